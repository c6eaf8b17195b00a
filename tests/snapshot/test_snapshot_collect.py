"""Orchestration: parallel collectors, fixed order, time budgets, soft and hard failures."""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from snapshot_fakes import FakeNVML, fake_nvidia_smi, h100_nvml_gpu

from cns_core.errors import InvalidRequestError, TimeoutExceededError, UnavailableError
from cns_core.snapshot import Measurement, MeasurementType, Subtype
from cns_core.snapshot.collect import (
    CollectOptions,
    Collector,
    collect_snapshot,
    default_collectors,
)

FIXED_NOW = dt.datetime(2026, 1, 2, 18, 1, 13, tzinfo=dt.UTC)


def _after(seconds: float, type_: MeasurementType) -> Collector:
    def collect() -> Measurement:
        time.sleep(seconds)
        return Measurement(type_, [Subtype("s", {"slept": seconds})])

    return collect


def _failing(error: Exception) -> Collector:
    def collect() -> Measurement:
        raise error

    return collect


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_measurements_come_in_fixed_order_whatever_finishes_first() -> None:
    collectors = {
        MeasurementType.GPU: _after(0.0, MeasurementType.GPU),
        MeasurementType.OS: _after(0.05, MeasurementType.OS),
        MeasurementType.SYSTEMD: _after(0.1, MeasurementType.SYSTEMD),
        MeasurementType.K8S: _after(0.15, MeasurementType.K8S),
    }
    snapshot = collect_snapshot(
        collectors=collectors, progress=io.StringIO(), now=lambda: FIXED_NOW
    )
    assert [m.type.value for m in snapshot.measurements] == ["K8s", "SystemD", "OS", "GPU"]
    assert snapshot.timestamp == "2026-01-02T18:01:13Z"
    assert snapshot.version


def test_collectors_run_in_parallel() -> None:
    started = time.monotonic()
    collect_snapshot(
        collectors={t: _after(0.3, t) for t in MeasurementType}, progress=io.StringIO()
    )
    # four 0.3 s collectors in sequence would take 1.2 s
    assert time.monotonic() - started < 1.0


def test_no_cluster_skips_k8s_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    collectors = {
        MeasurementType.K8S: _failing(UnavailableError("no Kubernetes cluster configured")),
        MeasurementType.OS: _after(0, MeasurementType.OS),
    }
    with caplog.at_level(logging.WARNING):
        snapshot = collect_snapshot(collectors=collectors, progress=io.StringIO())
    assert [m.type for m in snapshot.measurements] == [MeasurementType.OS]
    assert "K8s measurement skipped: no Kubernetes cluster configured" in caplog.text


def test_require_k8s_makes_no_cluster_an_error() -> None:
    collectors = {MeasurementType.K8S: _failing(UnavailableError("no cluster"))}
    with pytest.raises(
        UnavailableError, match="failed to collect kubernetes resources: no cluster"
    ):
        collect_snapshot(
            CollectOptions(require_k8s=True), collectors=collectors, progress=io.StringIO()
        )


def test_a_collector_error_fails_the_snapshot_naming_it() -> None:
    collectors = {
        MeasurementType.OS: _failing(InvalidRequestError("/proc/cmdline: not valid UTF-8")),
        MeasurementType.GPU: _after(0, MeasurementType.GPU),
    }
    with pytest.raises(
        InvalidRequestError, match="failed to collect OS info: /proc/cmdline: not valid UTF-8"
    ):
        collect_snapshot(collectors=collectors, progress=io.StringIO())


def test_a_slow_collector_runs_out_of_time() -> None:
    collectors = {
        MeasurementType.GPU: _after(5, MeasurementType.GPU),
        MeasurementType.OS: _after(0, MeasurementType.OS),
    }
    with pytest.raises(
        TimeoutExceededError,
        match="failed to collect GPU info: the GPU collector did not finish within 0.2s",
    ):
        collect_snapshot(CollectOptions(timeout=0.2), collectors=collectors, progress=io.StringIO())


def test_a_bug_in_a_collector_is_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        collect_snapshot(
            collectors={MeasurementType.OS: _failing(ZeroDivisionError("x"))},
            progress=io.StringIO(),
        )


def test_progress_shows_on_a_terminal_only() -> None:
    collectors = {
        MeasurementType.OS: _after(0, MeasurementType.OS),
        MeasurementType.K8S: _failing(UnavailableError("no cluster")),
    }
    terminal, pipe = _Terminal(), io.StringIO()
    collect_snapshot(collectors=collectors, progress=terminal)
    collect_snapshot(collectors=collectors, progress=pipe)
    assert pipe.getvalue() == ""
    shown = terminal.getvalue()
    assert shown.startswith("collecting K8s, OS …\n")
    assert "✓ OS" in shown and "1 readings" in shown
    assert "✗ K8s      no cluster" in shown
    assert shown.endswith("done\n")


def test_default_collectors_on_a_fake_host(
    fake_root: Path,
    fake_systemctl: Path,
    fake_bin: Callable[[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-gb200.xml")
    monkeypatch.setenv("NODE_NAME", "gpu-node-7")
    options = CollectOptions(
        root=str(fake_root),
        systemd_services=("containerd.service",),
        nvml=FakeNVML([], init_error="Driver Not Loaded"),
    )
    collectors = default_collectors(options)
    collectors[MeasurementType.K8S] = _failing(UnavailableError("not on a cluster"))
    snapshot = collect_snapshot(
        options, collectors=collectors, progress=io.StringIO(), now=lambda: FIXED_NOW
    )
    assert [m.type.value for m in snapshot.measurements] == ["SystemD", "OS", "GPU"]
    assert snapshot.source_node == "gpu-node-7"
    assert snapshot.find(MeasurementType.SYSTEMD, "containerd.service", "ActiveState") == "active"
    assert snapshot.find(MeasurementType.OS, "release", "ID") == "ubuntu"
    assert snapshot.find(MeasurementType.GPU, "smi", "gpu-count") == 4


def test_default_gpu_collector_uses_the_real_pynvml_then_nvidia_smi(
    fake_bin: Callable[[str, str], Path],
) -> None:
    """No NVIDIA library on this machine: real pynvml fails to initialise, the fallback runs."""
    fake_nvidia_smi(fake_bin, "nvidia-smi-h100.xml")
    gpu = default_collectors(CollectOptions())[MeasurementType.GPU]()
    smi = gpu.subtype("smi").data
    assert smi["gpu-count"] == 8
    assert smi["source"] in ("nvidia-smi", "nvml")


def test_nvml_collector_in_orchestration() -> None:
    options = CollectOptions(nvml=FakeNVML([h100_nvml_gpu(0), h100_nvml_gpu(1)]))
    collectors = {MeasurementType.GPU: default_collectors(options)[MeasurementType.GPU]}
    snapshot = collect_snapshot(options, collectors=collectors, progress=io.StringIO())
    assert snapshot.find(MeasurementType.GPU, "smi", "gpu-count") == 2
    assert snapshot.find(MeasurementType.GPU, "gpu-1", "uuid") == "GPU-0001"
