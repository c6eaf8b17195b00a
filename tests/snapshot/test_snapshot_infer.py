"""Criteria from a snapshot: service, accelerator and OS detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from cns_core.cli.documents import read_document
from cns_core.criteria import Criteria
from cns_core.snapshot import Measurement, MeasurementType, Snapshot, Subtype
from cns_core.snapshot.infer import (
    criteria_from_snapshot,
    infer_accelerator,
    infer_os,
    infer_service,
)
from tests.support.snapshots import snapshot_params


def _snapshot(type_: MeasurementType, subtype: str, **data: str) -> Snapshot:
    return Snapshot([Measurement(type_, [Subtype(subtype, dict(data))])])


@pytest.mark.parametrize(
    ("path", "expected"),
    snapshot_params(
        "h100-eks-ubuntu.yaml",
        "gb200-eks-ubuntu.yaml",
        **{
            "h100-eks-ubuntu.yaml": [Criteria(service="eks", accelerator="h100", os="ubuntu")],
            "gb200-eks-ubuntu.yaml": [Criteria(service="eks", accelerator="gb200", os="ubuntu")],
        },
    ),
)
def test_real_snapshots(path: Path, expected: Criteria) -> None:
    snapshot = Snapshot.from_dict(read_document(str(path)))
    assert criteria_from_snapshot(snapshot) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"version": "v1.33.5-eks-3025e55"}, "eks"),
        ({"version": "v1.28.0-gke.1337000"}, "gke"),
        ({"version": "v1.30.1-aks-1"}, "aks"),
        ({"version": "v1.31.1"}, "any"),
        ({"version": "v1.31.1", "service": "GKE"}, "gke"),
        ({"version": "v1.31.1", "service": "nonsense"}, "any"),
        ({"version": "v1.31.1-eks-1", "service": "gke"}, "eks"),
    ],
)
def test_service_from_server(data: dict[str, str], expected: str) -> None:
    assert infer_service(_snapshot(MeasurementType.K8S, "server", **data)) == expected


def test_service_from_node_provider_covers_oke() -> None:
    snapshot = Snapshot(
        [
            Measurement(
                MeasurementType.K8S,
                [Subtype("server", {"version": "v1.30.1"}), Subtype("node", {"provider": "oke"})],
            )
        ]
    )
    assert infer_service(snapshot) == "oke"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "h100"),
        ("NVIDIA GB200", "gb200"),
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("NVIDIA L40S", "l40"),
        ("nvidia l40", "l40"),
        ("A1x00", "any"),  # upstream's subsequence match said a100; a substring match does not
        ("Tesla T4", "any"),
        ("", "any"),
    ],
)
def test_accelerator_from_model(model: str, expected: str) -> None:
    assert (
        infer_accelerator(_snapshot(MeasurementType.GPU, "smi", **{"gpu.model": model})) == expected
    )


def test_accelerator_from_device_subtype_model_key() -> None:
    assert infer_accelerator(_snapshot(MeasurementType.GPU, "device", model="H100 PCIe")) == "h100"


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ({"ID": "ubuntu"}, "ubuntu"),
        ({"ID": "amzn", "VERSION_ID": "2023"}, "amazonlinux"),
        ({"ID": "rhel"}, "rhel"),
        ({"ID": "cos"}, "cos"),
        ({"ID": "rocky", "ID_LIKE": "rhel centos fedora"}, "rhel"),
        ({"ID": "debian"}, "any"),
        ({}, "any"),
    ],
)
def test_os_from_release(release: dict[str, str], expected: str) -> None:
    assert infer_os(_snapshot(MeasurementType.OS, "release", **release)) == expected


def test_empty_snapshot_is_all_any() -> None:
    assert criteria_from_snapshot(Snapshot()) == Criteria()


def test_a_kind_node_is_service_kind_and_the_platform_stays_any() -> None:
    """A kind node's providerID is ``kind://docker/<cluster>/<node>``; the collector reports
    the scheme as the provider. No snapshot reading tells the platform."""
    from cns_core.snapshot.collectors.k8s_readings import provider_name

    assert provider_name("kind://docker/gpu/gpu-worker") == "kind"
    snapshot = Snapshot(
        [
            Measurement(
                MeasurementType.K8S,
                [Subtype("server", {"version": "v1.34.0"}), Subtype("node", {"provider": "kind"})],
            )
        ]
    )
    criteria = criteria_from_snapshot(snapshot)
    assert criteria.service == "kind"
    assert criteria.platform == "any"
