"""Pure conversions from API objects to readings: images, ClusterPolicy flattening, nodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cns_core.snapshot.collectors.k8s_readings import (
    flatten_spec,
    images_from_pods,
    node_readings,
    provider_name,
    split_image,
)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nvcr.io/nvidia/driver:580.82.07-ubuntu22.04", ("driver", "580.82.07-ubuntu22.04")),
        ("busybox", ("busybox", "latest")),
        ("library/busybox:1.36", ("busybox", "1.36")),
        ("registry.local:5000/team/app", ("app", "latest")),
        ("registry.local:5000/team/app:2.1", ("app", "2.1")),
        ("nvcr.io/nvidia/gpu-operator:v25.3.3@sha256:1b3a", ("gpu-operator", "v25.3.3")),
        ("quay.io/prometheus/node-exporter@sha256:abc123", ("node-exporter", "sha256:abc123")),
        ("localhost:5000/app@sha256:ff", ("app", "sha256:ff")),
        ("  ghcr.io/nvidia/cns:latest ", ("cns", "latest")),
    ],
)
def test_split_image(ref: str, expected: tuple[str, str]) -> None:
    assert split_image(ref) == expected


@given(st.text(alphabet="abc:/@.5", max_size=30))
def test_split_image_never_fails_and_names_have_no_slash(ref: str) -> None:
    name, tag = split_image(ref)
    assert "/" not in name
    assert tag


def _pod(namespace: str, name: str, *images: str) -> dict:
    return {
        "metadata": {"namespace": namespace, "name": name},
        "spec": {
            "containers": [{"name": str(i), "image": image} for i, image in enumerate(images)]
        },
    }


def test_images_order_independent_last_pod_by_name_wins() -> None:
    pods = [_pod("b", "p", "x/app:2"), _pod("a", "p", "x/app:1", "y/other")]
    assert images_from_pods(pods) == {"app": "2", "other": "latest"}
    assert images_from_pods(reversed(pods)) == images_from_pods(pods)


def test_images_cover_init_and_ephemeral_containers() -> None:
    pod = {
        "metadata": {"namespace": "a", "name": "p"},
        "spec": {
            "initContainers": [{"name": "i", "image": "init:1"}],
            "containers": [{"name": "c", "image": "main:2"}],
            "ephemeralContainers": [{"name": "e", "image": "debug:3"}],
        },
    }
    assert images_from_pods([pod]) == {"debug": "3", "init": "1", "main": "2"}


def test_flatten_spec_rules() -> None:
    spec = {
        "driver": {"enabled": True, "version": "580.82.07", "env": [], "args": ["--a", "--b"]},
        "daemonsets": {"tolerations": [{"operator": "Exists", "effect": "NoSchedule"}]},
        "mig": {"strategy": None},
        "port": 9400,
        "ratio": 0.5,
        "big": 1e21,
        "labels": {"app.kubernetes.io/name": "x"},
    }
    assert flatten_spec(spec) == {
        "driver.enabled": "true",
        "driver.version": "580.82.07",
        "driver.args": '["--a","--b"]',
        "daemonsets.tolerations": '[{"effect":"NoSchedule","operator":"Exists"}]',
        "mig.strategy": "<nil>",
        "port": "9400",
        "ratio": "0.5",
        "big": "1e+21",
        "labels.app.kubernetes.io/name": "x",
    }


@pytest.mark.parametrize(
    ("provider_id", "name"),
    [
        ("aws:///us-east-1a/i-0abc", "eks"),
        ("gce://project/us-central1-a/gke-node", "gke"),
        ("azure:///subscriptions/x/vm-0", "aks"),
        ("oci://ocid1.instance.oc1", "oke"),
        ("KIND://docker/kind/kind-worker", "kind"),
    ],
)
def test_provider_name(provider_id: str, name: str) -> None:
    assert provider_name(provider_id) == name


def test_node_without_provider_or_runtime_keeps_what_it_has() -> None:
    node = {
        "metadata": {"name": "n"},
        "status": {"nodeInfo": {"kernelVersion": "6.8", "osImage": ""}},
    }
    assert node_readings(node) == {"source-node": "n", "kernel-version": "6.8"}
