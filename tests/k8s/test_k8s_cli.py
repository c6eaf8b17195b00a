"""The cns CLI over the Kubernetes code: agent runs, cm:// inputs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import CnsRunner

from ..support.fake_apiserver import AgentScript, FakeAPIServer, left_behind


def test_agent_snapshot_delivered_to_a_file_in_json(
    runner: CnsRunner, gpu_cluster: FakeAPIServer, kubeconfig: str, tmp_path: Path
) -> None:
    out = tmp_path / "snap.json"
    result = runner.invoke(
        ["snapshot", "--deploy-agent", "-k", kubeconfig, "-o", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text())["metadata"]["source-node"] == "gpu-node-1"
    assert left_behind(gpu_cluster) == {}


def test_agent_missing_permissions_exit_1(
    runner: CnsRunner, gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.denied = {("create", "clusterrolebindings")}
    result = runner.invoke(["snapshot", "--deploy-agent", "-k", kubeconfig])
    assert result.exit_code == 1
    assert (
        "  - create clusterrolebindings.rbac.authorization.k8s.io cluster-wide\n" in result.stderr
    )


def test_agent_timeout_exit_4(
    runner: CnsRunner, gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.script = AgentScript(outcome="hang")
    result = runner.invoke(["snapshot", "--deploy-agent", "-k", kubeconfig, "--timeout", "1s"])
    assert result.exit_code == 4
    assert (
        "timed out after 1s waiting for the agent Job gpu-operator/cns to complete" in result.stderr
    )


def test_agent_refused_inside_the_agent(runner: CnsRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNS_AGENT", "1")
    result = runner.invoke(["snapshot", "--deploy-agent"])
    assert result.exit_code == 3
    assert "--deploy-agent cannot be used inside the snapshot agent" in result.stderr


def test_recipe_from_missing_configmap_exit_4(
    runner: CnsRunner, api: FakeAPIServer, kubeconfig: str
) -> None:
    result = runner.invoke(["recipe", "--snapshot", "cm://gpu-operator/absent", "-k", kubeconfig])
    assert result.exit_code == 4
    assert (
        'reading ConfigMap gpu-operator/absent: not found (configmaps "absent" not found)'
        in result.stderr
    )


@pytest.mark.parametrize("uri", ["cm://", "cm://gpu-operator", "cm:///x", "cm://a/b/c"])
def test_recipe_from_malformed_configmap_uri_exit_3(
    runner: CnsRunner, uri: str, kubeconfig: str
) -> None:
    result = runner.invoke(["recipe", "--snapshot", uri, "-k", kubeconfig])
    assert result.exit_code == 3
    assert f"invalid ConfigMap URI {uri!r}" in result.stderr


def test_recipe_from_an_upstream_configmap(
    runner: CnsRunner, api: FakeAPIServer, kubeconfig: str, snapshot_dir: Path
) -> None:
    text = (snapshot_dir / "h100-eks-ubuntu.yaml").read_text()
    api.add(
        "/api/v1",
        "configmaps",
        {
            "metadata": {"name": "cns-snapshot", "namespace": "gpu-operator"},
            "data": {"snapshot.yaml": text, "format": "yaml"},
        },
    )
    result = runner.invoke(
        [
            "recipe",
            "--snapshot",
            "cm://gpu-operator/cns-snapshot",
            "-k",
            kubeconfig,
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "recipeResult"
