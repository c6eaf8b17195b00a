"""Fixtures for bundle tests: recipes built from the embedded data, a real gunicorn.

(``gb200``, ``recipe_file`` and ``helm`` are shared with other packages: tests/conftest.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cns_core.recipes import RecipeResult
from tests.support.recipes import recipe_for
from tests.support.server import Server


@pytest.fixture
def h100(store) -> RecipeResult:
    """H100 Ubuntu inference: network-operator and prometheus-adapter."""
    return recipe_for(store, "h100-ubuntu-inference")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real gunicorn (our gunicorn.conf.py, 2 workers) on a free 127.0.0.1 port; its base
    URL. Stopped after the module."""
    env = {
        "CNS_RATE_LIMIT_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prom")),
    }
    with Server("wsgi:app", env=env) as server:
        yield server.url("")
