"""Fixtures for the Kubernetes tests: a clean environment, the fake API server, a fake EKS cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_apiserver import (
    GPU_NODE,
    SNAPSHOT_YAML,
    AgentScript,
    FakeAPIServer,
    write_kubeconfig,
)
from tests.support.server import free_port

CLUSTER_ENV = (
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "NODE_NAME",
    "KUBERNETES_NODE_NAME",
    "HOSTNAME",
    "CNS_AGENT",
)


@pytest.fixture(autouse=True)
def clean_cluster_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No kubeconfig, node name or agent marker leaks in from the machine; HOME is empty."""
    for name in CLUSTER_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def api() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as server:
        yield server


@pytest.fixture
def kubeconfig(api: FakeAPIServer, tmp_path: Path) -> str:
    return str(api.write_kubeconfig(tmp_path / "kubeconfig"))


@pytest.fixture
def closed_port_kubeconfig(tmp_path: Path) -> str:
    """A kubeconfig whose server is a 127.0.0.1 port nothing listens on."""
    url = f"http://127.0.0.1:{free_port()}"
    return str(write_kubeconfig(tmp_path / "closed-kubeconfig", url))


@pytest.fixture
def eks_cluster(api: FakeAPIServer) -> FakeAPIServer:
    """An EKS-like cluster: a GPU node, system and GPU Operator pods, two kinds of ClusterPolicy."""
    api.add(
        "/api/v1",
        "nodes",
        {
            "metadata": {"name": GPU_NODE, "labels": {"nvidia.com/gpu.present": "true"}},
            "spec": {"providerID": "aws:///us-east-1-dfw-2a/i-03f2b75345f7ccfb4"},
            "status": {
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": "b",
                    "containerRuntimeVersion": "containerd://1.7.27",
                    "kernelVersion": "6.8.0-1028-aws",
                    "kubeProxyVersion": "",
                    "kubeletVersion": "v1.33.5-eks-3025e55",
                    "machineID": "m",
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 22.04.5 LTS",
                    "systemUUID": "s",
                }
            },
        },
    )
    pods = {
        ("kube-system", "aws-node-x1"): {
            "initContainers": [
                "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init:v1.20.1-eksbuild.1"
            ],
            "containers": [
                "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.20.1-eksbuild.1",
                "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.2.4-eksbuild.1",
            ],
        },
        ("kube-system", "coredns-1"): {
            "containers": ["registry.k8s.io/coredns/coredns:v1.12.2-eksbuild.4"]
        },
        ("gpu-operator", "gpu-operator-7d9"): {
            "containers": [
                "nvcr.io/nvidia/gpu-operator:v25.3.3@sha256:1b3a7e2f0c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
            ]
        },
        ("gpu-operator", "nvidia-driver-daemonset-abc"): {
            "initContainers": ["nvcr.io/nvidia/cloud-native/k8s-driver-manager:v0.8.1"],
            "containers": ["nvcr.io/nvidia/driver:580.82.07-ubuntu22.04"],
        },
        ("monitoring", "prom-0"): {
            "containers": [
                "registry.local:5000/prometheus",
                "quay.io/prometheus/node-exporter@sha256:abc123",
            ],
            "ephemeralContainers": ["busybox"],
        },
    }
    for (namespace, name), containers in pods.items():
        spec = {
            field: [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
            for field, images in containers.items()
        }
        api.add(
            "/api/v1", "pods", {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
        )
    api.add(
        "/apis/nvidia.com/v1",
        "clusterpolicies",
        {
            "metadata": {"name": "cluster-policy"},
            "spec": {
                "cdi": {"default": False, "enabled": True},
                "daemonsets": {
                    "priorityClassName": "system-node-critical",
                    "rollingUpdate": {"maxUnavailable": "1"},
                    "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                    "labels": {"app.kubernetes.io/managed-by": "gpu-operator"},
                },
                "driver": {"enabled": True, "version": "580.82.07", "certConfig": {"name": ""}},
                "devicePlugin": {"env": [], "resources": None},
                "mig": {"strategy": "single"},
                "validator": {"plugin": {"env": [{"name": "WITH_WORKLOAD", "value": "false"}]}},
                "operator": {
                    "initContainer": {"repository": "nvcr.io/nvidia"},
                    "runtimeClass": "nvidia",
                },
                "psa": {"enabled": False},
                "sandboxWorkloads": {"defaultWorkload": "container", "enabled": False},
                "dcgmExporter": {
                    "serviceMonitor": {"interval": "60s", "scrapeTimeout": 15.5, "port": 9400}
                },
            },
        },
    )
    api.add(
        "/apis/kyverno.io/v1",
        "clusterpolicies",
        {
            "metadata": {"name": "require-labels"},
            "spec": {
                "validationFailureAction": "Audit",
                "background": True,
                "rules": [{"name": "check"}],
            },
        },
    )
    return api


@pytest.fixture
def gpu_cluster(api: FakeAPIServer) -> FakeAPIServer:
    """A cluster with one GPU node, where the agent Job writes SNAPSHOT_YAML and logs two lines."""
    api.add(
        "/api/v1",
        "nodes",
        {"metadata": {"name": "gpu-node-1", "labels": {"nvidia.com/gpu.present": "true"}}},
    )
    api.script = AgentScript(
        document=SNAPSHOT_YAML,
        log_lines=("[agent] collecting", "[agent] wrote cm://gpu-operator/cns"),
    )
    return api
