"""The K8s measurement on a fake EKS cluster, through the real kubernetes client."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cns_core.cli.exit_codes import EXIT_UNAVAILABLE, exit_code
from cns_core.errors import UnavailableError
from cns_core.serialize import dump_json
from cns_core.snapshot.collectors.k8s import collect_k8s, node_name_from_env

from ..support.fake_apiserver import GPU_NODE, FakeAPIServer
from ..support.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden" / "k8s_measurement.json"


def test_fake_eks_cluster_measurement(eks_cluster: FakeAPIServer, kubeconfig: str) -> None:
    measurement = collect_k8s(kubeconfig=kubeconfig, node_name=GPU_NODE, timeout=10)
    assert [s.name for s in measurement.subtypes] == ["server", "image", "policy", "node"]
    assert_golden(GOLDEN, dump_json(measurement.to_dict()))


def test_only_the_nvidia_cluster_policy_is_read(
    eks_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    policy = collect_k8s(kubeconfig=kubeconfig, node_name=GPU_NODE, timeout=10).subtype("policy")
    assert policy.data["driver.version"] == "580.82.07"
    assert not any(
        key.startswith(("validationFailureAction", "background", "rules")) for key in policy.data
    )
    assert [r.path for r in eks_cluster.calls("GET", "clusterpolicies")] == [
        "/apis/nvidia.com/v1/clusterpolicies"
    ]


def test_same_bytes_every_run(eks_cluster: FakeAPIServer, kubeconfig: str) -> None:
    runs = {
        dump_json(collect_k8s(kubeconfig=kubeconfig, node_name=GPU_NODE, timeout=10).to_dict())
        for _ in range(2)
    }
    assert len(runs) == 1


def test_pods_are_read_page_by_page(eks_cluster: FakeAPIServer, kubeconfig: str) -> None:
    eks_cluster.page_size = 2
    images = (
        collect_k8s(kubeconfig=kubeconfig, node_name=GPU_NODE, timeout=10).subtype("image").data
    )
    assert images["driver"] == "580.82.07-ubuntu22.04"
    pages = eks_cluster.calls("GET", "/api/v1/pods")
    assert [r.query.get("continue") for r in pages] == [None, "2", "4"]


def test_node_name_from_environment(
    eks_cluster: FakeAPIServer, kubeconfig: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTNAME", "not-this-one")
    monkeypatch.setenv("KUBERNETES_NODE_NAME", GPU_NODE)
    node = collect_k8s(kubeconfig=kubeconfig, node_name=None, timeout=10).subtype("node")
    assert node.data["provider"] == "eks"
    assert node.data["source-node"] == GPU_NODE


def test_node_name_precedence() -> None:
    env = {"HOSTNAME": "h", "KUBERNETES_NODE_NAME": "k", "NODE_NAME": "n"}
    assert node_name_from_env(env) == "n"
    assert node_name_from_env({"HOSTNAME": "h", "NODE_NAME": " "}) == "h"
    assert node_name_from_env({}) is None


def test_unknown_node_is_skipped_with_a_warning(
    eks_cluster: FakeAPIServer, kubeconfig: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        measurement = collect_k8s(kubeconfig=kubeconfig, node_name="my-laptop", timeout=10)
    assert [s.name for s in measurement.subtypes] == ["server", "image", "policy"]
    assert "node 'my-laptop' does not exist in the cluster" in caplog.text


def test_no_node_name_is_skipped_with_a_warning(
    eks_cluster: FakeAPIServer, kubeconfig: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        measurement = collect_k8s(kubeconfig=kubeconfig, node_name=None, timeout=10)
    assert "node" not in [s.name for s in measurement.subtypes]
    assert "no node name (pass one or set NODE_NAME, KUBERNETES_NODE_NAME, HOSTNAME)" in caplog.text


def test_cluster_without_gpu_operator_has_empty_policy(api: FakeAPIServer, kubeconfig: str) -> None:
    measurement = collect_k8s(kubeconfig=kubeconfig, node_name=None, timeout=10)
    assert measurement.subtype("policy").data == {}
    assert measurement.subtype("image").data == {}


def test_no_cluster_configured_is_unavailable() -> None:
    with pytest.raises(UnavailableError) as err:
        collect_k8s(kubeconfig=None, node_name=None, timeout=10)
    assert "no Kubernetes cluster configured" in str(err.value)
    assert exit_code(err.value.code) == EXIT_UNAVAILABLE


def test_unreachable_cluster_is_unavailable(closed_port_kubeconfig: str) -> None:
    with pytest.raises(
        UnavailableError, match="reading the server version: cannot reach the Kubernetes API server"
    ):
        collect_k8s(kubeconfig=closed_port_kubeconfig, node_name=None, timeout=30)
