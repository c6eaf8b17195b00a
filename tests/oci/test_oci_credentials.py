"""Credentials as ``docker login`` leaves them: DOCKER_CONFIG, auths, credsStore, credHelpers."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.oci.credentials import Credential, docker_config_path, find_credential
from tests.support.docker_config import credential_helper, path_with, write_docker_config

HOST = "127.0.0.1:5000"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_docker_config_env_wins_over_home(tmp_path, docker_config, monkeypatch):
    assert docker_config_path() == docker_config / "config.json"
    monkeypatch.delenv("DOCKER_CONFIG")
    assert docker_config_path() == tmp_path / "home" / ".docker" / "config.json"


def test_no_config_means_anonymous(docker_config):
    assert find_credential(HOST) is None


def test_auths_entry(docker_config):
    write_docker_config(docker_config, {"auths": {HOST: {"auth": _auth("bob", "pw:with:colons")}}})
    cred = find_credential(HOST)
    assert (cred.username, cred.password) == ("bob", "pw:with:colons")
    assert str(docker_config / "config.json") in cred.source
    assert find_credential("127.0.0.1:5001") is None


def test_home_docker_config_is_used_without_docker_config(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_CONFIG")
    write_docker_config(tmp_path / "home" / ".docker", {"auths": {HOST: {"auth": _auth("h", "p")}}})
    assert find_credential(HOST).username == "h"


@pytest.mark.parametrize("key", ["https://registry.example.com/v1/", "http://registry.example.com"])
def test_legacy_url_keys_match_the_host(docker_config, key):
    write_docker_config(docker_config, {"auths": {key: {"auth": _auth("u", "p")}}})
    assert find_credential("registry.example.com").username == "u"


def test_docker_hub_is_stored_under_the_index_url(docker_config):
    write_docker_config(
        docker_config, {"auths": {"https://index.docker.io/v1/": {"auth": _auth("hub", "p")}}}
    )
    assert find_credential("docker.io").username == "hub"


def test_username_password_fields(docker_config):
    write_docker_config(docker_config, {"auths": {HOST: {"username": "u", "password": "p"}}})
    assert (find_credential(HOST).username, find_credential(HOST).password) == ("u", "p")


def test_creds_store_replaces_auths(tmp_path, docker_config, monkeypatch):
    log = credential_helper(tmp_path / "bin", "teststore", {HOST: ("store-user", "store-pw")})
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    write_docker_config(
        docker_config,
        {"credsStore": "teststore", "auths": {HOST: {}, "other:1": {"auth": _auth("file", "x")}}},
    )
    cred = find_credential(HOST)
    assert (cred.username, cred.password, cred.source) == (
        "store-user",
        "store-pw",
        "docker-credential-teststore",
    )
    assert find_credential("other:1") is None  # the store has none: anonymous, like docker
    assert log.read_text().splitlines() == [HOST, "other:1"]


def test_cred_helpers_win_over_the_store_per_registry(tmp_path, docker_config, monkeypatch):
    credential_helper(tmp_path / "bin", "teststore", {HOST: ("store", "1")})
    credential_helper(tmp_path / "bin", "ecr", {HOST: ("helper", "2")})
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    write_docker_config(docker_config, {"credsStore": "teststore", "credHelpers": {HOST: "ecr"}})
    assert find_credential(HOST).username == "helper"


def test_helper_asked_with_the_docker_hub_address(tmp_path, docker_config, monkeypatch):
    log = credential_helper(tmp_path / "bin", "s", {"https://index.docker.io/v1/": ("hub", "p")})
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    write_docker_config(docker_config, {"credsStore": "s"})
    assert find_credential("docker.io").username == "hub"
    assert log.read_text() == "https://index.docker.io/v1/\n"


def test_a_missing_helper_only_warns(docker_config, caplog):
    write_docker_config(docker_config, {"credsStore": "does-not-exist-cns"})
    with caplog.at_level(logging.WARNING):
        assert find_credential(HOST) is None
    assert "docker-credential-does-not-exist-cns not found on PATH" in caplog.text


def test_identity_tokens_are_reported_and_skipped(tmp_path, docker_config, monkeypatch, caplog):
    credential_helper(tmp_path / "bin", "tok", {HOST: ("<token>", "refresh")})
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    write_docker_config(docker_config, {"credsStore": "tok"})
    with caplog.at_level(logging.WARNING):
        assert find_credential(HOST) is None
    assert "identity token" in caplog.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "is not a JSON object"),
        (json.dumps({"auths": {HOST: {"auth": "%%%"}}}), "is not base64 'user:password'"),
        (
            json.dumps({"auths": {HOST: {"auth": base64.b64encode(b"nocolon").decode()}}}),
            "has no ':'",
        ),
    ],
)
def test_broken_configs_are_errors(docker_config, content, message):
    (docker_config / "config.json").write_text(content)
    with pytest.raises(InvalidRequestError, match=message):
        find_credential(HOST)


def test_the_secret_is_never_in_the_repr():
    assert "pw" not in repr(Credential("u", "pw", "src"))
