"""Fixtures of the OCI tests: real registries on loopback (tests/support/registry.py), each
for a module, and a private Docker config for every test.

(``gb200``, ``recipe_file`` and ``helm`` are in tests/conftest.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Registry, TokenServer, run_registry, run_token_server


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory) -> Iterator[tuple[Registry, TokenServer]]:
    """A plain-HTTP registry with bearer-token auth, and its token server."""
    directory = tmp_path_factory.mktemp("token-registry")
    with run_token_server(directory) as token, run_registry(directory, token=token) as running:
        yield running, token


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[Registry]:
    """A plain-HTTP registry without auth."""
    with run_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory) -> Iterator[Registry]:
    """A plain-HTTP registry with htpasswd basic auth (alice / s3cret-pw)."""
    with run_registry(tmp_path_factory.mktemp("auth-registry"), auth=True) as running:
        yield running


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory) -> Iterator[Registry]:
    """An HTTPS registry with a certificate from a test CA, and basic auth."""
    with run_registry(tmp_path_factory.mktemp("tls-registry"), auth=True, tls=True) as running:
        yield running


@pytest.fixture(autouse=True)
def docker_config(tmp_path, monkeypatch) -> Path:
    """An empty, private Docker config dir (``DOCKER_CONFIG``); HOME moved away too."""
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return config
