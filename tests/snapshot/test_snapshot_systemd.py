"""The SystemD collector with a fake ``systemctl`` on PATH (a real subprocess via sh)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from cns_core.errors import TimeoutExceededError
from cns_core.snapshot import MeasurementType
from cns_core.snapshot.collectors.systemd import collect_systemd, matches_pattern, parse_properties


def test_unit_properties_are_typed_and_filtered(fake_systemctl: Path) -> None:
    measurement = collect_systemd()
    assert measurement.type is MeasurementType.SYSTEMD
    assert [s.name for s in measurement.subtypes] == [
        "containerd.service",
        "docker.service",
        "kubelet.service",
    ]
    containerd = measurement.subtype("containerd.service").data
    assert containerd["ActiveState"] == "active"
    assert containerd["MainPID"] == 1234
    assert containerd["CPUUsageNSec"] == 2031112691933000
    assert containerd["OOMScoreAdjust"] == -999
    assert containerd["CPUAccounting"] is True
    assert containerd["CPUWeight"] == "[not set]"
    assert containerd["ExecStart"].startswith("{ path=/usr/bin/containerd ;")
    for removed in ("Id", "AllowedCPUs", "BusName", "LoadCredentialEncrypted", "SetCredential"):
        assert removed not in containerd
    docker = measurement.subtype("docker.service").data
    assert docker["LoadState"] == "not-found"
    assert docker["CanStart"] is False


def test_configured_services(fake_systemctl: Path) -> None:
    measurement = collect_systemd(["kubelet.service"])
    assert [s.name for s in measurement.subtypes] == ["kubelet.service"]


def test_no_systemctl_is_an_empty_measurement_with_a_warning(
    fake_bin: Callable[[str, str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        measurement = collect_systemd()
    assert measurement.subtypes == []
    assert measurement.to_dict() == {"type": "SystemD"}
    assert "systemctl: not found on PATH" in caplog.text


def test_not_booted_with_systemd_is_an_empty_measurement_with_a_warning(
    fake_bin: Callable[[str, str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    fake_bin(
        "systemctl",
        'echo "System has not been booted with systemd as init system (PID 1)." >&2; exit 1',
    )
    with caplog.at_level(logging.WARNING):
        assert collect_systemd().subtypes == []
    assert "exited with 1: System has not been booted with systemd" in caplog.text


def test_a_hung_systemctl_times_out(fake_bin: Callable[[str, str], Path]) -> None:
    fake_bin("systemctl", "exec /bin/sleep 30")
    with pytest.raises(TimeoutExceededError, match=r"systemctl: no answer within 0.3s"):
        collect_systemd(timeout=0.3)


def test_parse_properties_ignores_lines_without_equals() -> None:
    assert parse_properties(["A=1", "garbage", "=x", "B=no", "C=a=b"]) == {
        "A": 1,
        "B": False,
        "C": "a=b",
    }


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("root*", "rootfs", True),
        ("root*", "xroot", False),
        ("*root", "chroot", True),
        ("*root", "rooted", False),
        ("*root*", "chrooted", True),
        ("*_*", "a_b", True),
        ("*_*", "ab", False),
        ("*", "anything", True),
        ("", "x", False),
        ("Id", "Id", True),
        ("Id", "Ids", False),
        ("a*a", "a", False),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("[a]*", "[a]x", True),
        ("?x", "ax", False),
    ],
)
def test_wildcard_patterns(pattern: str, key: str, expected: bool) -> None:
    assert matches_pattern(pattern, key) is expected
