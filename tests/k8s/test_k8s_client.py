"""Kubeconfig resolution, connection errors and API status translation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cns_core.cli.exit_codes import EXIT_INVALID_INPUT, EXIT_UNAVAILABLE, exit_code
from cns_core.errors import InvalidRequestError, NotFoundError, UnavailableError
from cns_core.k8s.client import IN_CLUSTER, PermissionDeniedError, connect, resolve_kubeconfig

from ..support.fake_apiserver import FakeAPIServer


def _file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("apiVersion: v1\n")
    return str(path)


def test_flag_wins_over_env_and_default(tmp_path: Path, clean_cluster_env: Path) -> None:
    flag = _file(tmp_path / "flag")
    env = {"KUBECONFIG": _file(tmp_path / "env"), "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
    _file(clean_cluster_env / ".kube" / "config")
    assert resolve_kubeconfig(flag, env) == (flag, f"--kubeconfig {flag}")


def test_env_path_list_keeps_existing_files(tmp_path: Path) -> None:
    first, second = _file(tmp_path / "a"), _file(tmp_path / "b")
    listed = os.pathsep.join([first, str(tmp_path / "missing"), second])
    path, source = resolve_kubeconfig(None, {"KUBECONFIG": listed})
    assert path == os.pathsep.join([first, second])
    assert source == f"KUBECONFIG={listed}"


def test_home_config_then_in_cluster(clean_cluster_env: Path) -> None:
    assert resolve_kubeconfig(None, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) == (None, IN_CLUSTER)
    default = _file(clean_cluster_env / ".kube" / "config")
    assert resolve_kubeconfig(None, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) == (
        default,
        "~/.kube/config",
    )


def test_nothing_configured_is_unavailable() -> None:
    with pytest.raises(UnavailableError) as err:
        resolve_kubeconfig(None, {})
    assert "no Kubernetes cluster configured" in str(err.value)
    assert exit_code(err.value.code) == EXIT_UNAVAILABLE


def test_missing_flag_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"kubeconfig .*/nope: no such file"):
        resolve_kubeconfig(str(tmp_path / "nope"), {})


def test_env_listing_only_missing_files_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError, match="none of the listed files exist"):
        resolve_kubeconfig(None, {"KUBECONFIG": str(tmp_path / "gone")})


def test_in_cluster_without_token_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(UnavailableError, match="cannot use the in-cluster service account"):
        connect(None)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "just text",
        "apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: nowhere\n",
        "[1, 2",
    ],
)
def test_malformed_kubeconfig_is_invalid_input(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad"
    path.write_text(content)
    with pytest.raises(InvalidRequestError) as err:
        connect(str(path))
    assert str(err.value).startswith(f"invalid kubeconfig (--kubeconfig {path}): ")
    assert exit_code(err.value.code) == EXIT_INVALID_INPUT


def test_env_kubeconfig_is_used(
    api: FakeAPIServer, kubeconfig: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    with connect(None) as cluster:
        version = cluster.call("reading the version", cluster.version.get_code, timeout=5)
    assert version["gitVersion"] == "v1.33.5-eks-3025e55"
    assert cluster.source == f"KUBECONFIG={kubeconfig}"


def test_closed_port_fails_fast_as_unavailable(closed_port_kubeconfig: str) -> None:
    with connect(closed_port_kubeconfig) as cluster, pytest.raises(UnavailableError) as err:
        cluster.call("reading the version", cluster.version.get_code, timeout=30)
    message = str(err.value)
    assert message.startswith(
        "reading the version: cannot reach the Kubernetes API server at http://127.0.0.1:"
    )
    assert f"(configured by --kubeconfig {closed_port_kubeconfig})" in message
    assert "Connection refused" in message


def test_rejected_token_is_permission_denied(api: FakeAPIServer, tmp_path: Path) -> None:
    path = api.write_kubeconfig(tmp_path / "kc", token="wrong")
    with connect(str(path)) as cluster, pytest.raises(PermissionDeniedError) as err:
        cluster.call("reading the version", cluster.version.get_code, timeout=5)
    assert str(err.value) == (
        f"reading the version: unauthorized: the API server rejected the credentials from --kubeconfig {path}"
    )


def test_missing_object_is_not_found_with_server_message(
    api: FakeAPIServer, kubeconfig: str
) -> None:
    with connect(kubeconfig) as cluster, pytest.raises(NotFoundError) as err:
        cluster.call("reading node x", cluster.core.read_node, "x", timeout=5)
    assert str(err.value) == 'reading node x: not found (nodes "x" not found)'
