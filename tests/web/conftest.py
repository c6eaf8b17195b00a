"""Fixtures for the web service tests: apps built from explicit settings, a real Redis."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cns_web import create_app
from tests.support.fleet import Redis


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test states its settings: no CNS_* or multiprocess-metrics variable leaks in."""
    for name in list(os.environ):
        if name.startswith("CNS_") or name == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(name)


@pytest.fixture
def make_app() -> Callable[..., Flask]:
    """``make_app(CNS_X="...")``: an app with those settings (quiet logs unless asked)."""

    def make(**config: Any) -> Flask:
        return create_app({"CNS_LOG_LEVEL": "warning", **config})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real redis-server on a free port, without persistence, stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    redis = Redis(binary)
    try:
        yield redis.start().url
    finally:
        redis.stop()
