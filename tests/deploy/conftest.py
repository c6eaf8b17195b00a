"""Fixtures for the deployment tests: the chart rendered by the real helm (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.support.helm import Render, run_helm
from tests.support.paths import CHART

RELEASE = "cns"


@pytest.fixture(scope="session")
def render(helm: str, tmp_path_factory: pytest.TempPathFactory) -> Render:
    """``render(values, *args)``: the objects ``helm template`` renders (cached per input)."""
    cache: dict[str, list[dict[str, Any]]] = {}
    folder = tmp_path_factory.mktemp("values")

    def run(values: dict[str, Any] | None = None, *args: str) -> list[dict[str, Any]]:
        text = yaml.safe_dump(values or {}, sort_keys=True)
        key = text + "\0".join(args)
        if key not in cache:
            path = folder / f"values-{len(cache)}.yaml"
            path.write_text(text)
            result = run_helm(helm, "template", RELEASE, str(CHART), "-f", str(path), *args)
            assert result.returncode == 0, result.stderr
            cache[key] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return cache[key]

    return run
