"""The GPU collector: a fake NVML module, and recorded ``nvidia-smi -q -x`` on PATH."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from snapshot_fakes import FakeNVML, fake_nvidia_smi, h100_nvml_gpu

from cns_core.errors import UnavailableError
from cns_core.snapshot import MeasurementType
from cns_core.snapshot.collectors.gpu import GPU_KEYS, collect_gpu, parse_nvidia_smi_xml

Install = Callable[[str, str], Path]
NO_NVML = FakeNVML([], init_error="NVML Shared Library Not Found")


def test_nvml_reports_every_gpu() -> None:
    nvml = FakeNVML([h100_nvml_gpu(i) for i in range(8)])
    measurement = collect_gpu(nvml=nvml)
    assert measurement.type is MeasurementType.GPU
    assert [s.name for s in measurement.subtypes] == ["smi", *(f"gpu-{i}" for i in range(8))]
    smi = measurement.subtype("smi").data
    assert smi["driver"] == "570.133.20"
    assert smi["cuda-version"] == "12.8"
    assert smi["gpu-count"] == 8
    assert smi["source"] == "nvml"
    assert smi["gpu.model"] == "NVIDIA H100 80GB HBM3"
    gpu7 = measurement.subtype("gpu-7").data
    assert list(gpu7) == list(GPU_KEYS)
    assert gpu7 == {
        "model": "NVIDIA H100 80GB HBM3",
        "product-architecture": "Hopper",
        "display-mode": "Enabled",
        "display-active": "Disabled",
        "persistence-mode": "Enabled",
        "addressing-mode": "N/A",
        "vbios-version": "96.00.BC.00.01",
        "gsp-firmware-version": "570.133.20",
        "mig-mode": "Disabled",
        "memory-total": "81559 MiB",
        "uuid": "GPU-0007",
        "pci-bus-id": "00000000:1F:00.0",
    }
    assert nvml.calls == ["init", "shutdown"]


def test_nvml_unsupported_queries_are_not_available() -> None:
    gpu = h100_nvml_gpu(0)
    del gpu["mig"], gpu["gsp"]
    gpu["arch"] = 42
    data = collect_gpu(nvml=FakeNVML([gpu])).subtype("gpu-0").data
    assert data["mig-mode"] == "N/A"
    assert data["gsp-firmware-version"] == "N/A"
    assert data["product-architecture"] == "Unknown (42)"


def test_nvml_unusable_falls_back_to_nvidia_smi(fake_bin: Install) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-h100.xml")
    measurement = collect_gpu(nvml=NO_NVML)
    smi = measurement.subtype("smi").data
    assert smi["source"] == "nvidia-smi"
    assert smi["gpu-count"] == 8
    assert len(measurement.subtypes) == 9


def test_nvidia_smi_h100_matches_the_real_snapshot_keys(fake_bin: Install) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-h100.xml")
    smi = collect_gpu(nvml=NO_NVML).subtype("smi").data
    # the keys and values a real EKS H100 snapshot has (fixtures/snapshots/h100-eks-ubuntu.yaml)
    assert {k: smi[k] for k in ("driver", "cuda-version", "gpu-count")} == {
        "driver": "570.133.20",
        "cuda-version": "12.8",
        "gpu-count": 8,
    }
    assert smi["gpu.model"] == "NVIDIA H100 80GB HBM3"
    assert smi["gpu.product-architecture"] == "Hopper"
    assert smi["gpu.addressing-mode"] == "HMM"
    assert smi["gpu.vbios-version"] == "96.00.BC.00.01"
    assert smi["gpu.memory-total"] == "81559 MiB"


def test_nvidia_smi_gb200_every_gpu(fake_bin: Install) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-gb200.xml")
    measurement = collect_gpu(nvml=NO_NVML)
    assert measurement.subtype("smi").data["gpu-count"] == 4
    gpus = [measurement.subtype(f"gpu-{i}").data for i in range(4)]
    assert {g["model"] for g in gpus} == {"NVIDIA GB200"}
    assert [g["mig-mode"] for g in gpus] == ["Disabled", "Disabled", "Disabled", "Enabled"]
    assert [g["pci-bus-id"] for g in gpus] == [
        "00000009:01:00.0",
        "00000009:02:00.0",
        "00000019:41:00.0",
        "00000019:42:00.0",
    ]
    assert gpus[0]["product-architecture"] == "Blackwell"
    assert gpus[0]["display-mode"] == "Requested functionality has been deprecated"


def test_driver_without_gpus(fake_bin: Install, caplog: pytest.LogCaptureFixture) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-no-gpu.xml")
    with caplog.at_level(logging.WARNING):
        measurement = collect_gpu(nvml=NO_NVML)
    assert [s.name for s in measurement.subtypes] == ["smi"]
    assert measurement.subtype("smi").data == {
        "driver": "570.133.20",
        "cuda-version": "12.8",
        "gpu-count": 0,
        "source": "nvidia-smi",
    }
    assert "reports no GPU" in caplog.text


def test_no_driver_at_all(fake_bin: Install, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        measurement = collect_gpu(nvml=NO_NVML)
    assert measurement.to_dict() == {
        "type": "GPU",
        "subtypes": [{"subtype": "smi", "data": {"gpu-count": 0}}],
    }
    assert "nvidia-smi: not found on PATH" in caplog.text


def test_nvidia_smi_failing_means_no_gpu(
    fake_bin: Install, caplog: pytest.LogCaptureFixture
) -> None:
    fake_bin(
        "nvidia-smi",
        'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2\n'
        "exit 9",
    )
    with caplog.at_level(logging.WARNING):
        assert collect_gpu(nvml=NO_NVML).subtype("smi").data == {"gpu-count": 0}
    assert "exited with 9: NVIDIA-SMI has failed" in caplog.text


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<nvidia_smi_log><gpu>", "invalid XML"),
        ("<html></html>", "printed <html>, expected <nvidia_smi_log>"),
    ],
)
def test_malformed_xml_is_an_error(xml: str, message: str) -> None:
    with pytest.raises(UnavailableError, match=message):
        parse_nvidia_smi_xml(xml)


def test_missing_elements_are_not_available() -> None:
    inventory = parse_nvidia_smi_xml(
        "<nvidia_smi_log><driver_version>1</driver_version><gpu><product_name>X</product_name>"
        "</gpu></nvidia_smi_log>"
    )
    assert inventory.cuda_version == "N/A"
    assert inventory.gpus[0]["model"] == "X"
    assert inventory.gpus[0]["pci-bus-id"] == "N/A"
    assert inventory.gpus[0]["memory-total"] == "N/A"


@pytest.mark.parametrize(
    ("current", "pending", "expected"), [(1, 0, "Enabled"), (0, 1, "Disabled")]
)
def test_nvml_mig_mode_is_the_current_one_not_the_pending(current, pending, expected) -> None:
    """NVML answers [current, pending]; a pending change (after a GPU reset) is not the mode."""
    gpu = h100_nvml_gpu(0)
    gpu["mig"] = [current, pending]
    assert collect_gpu(nvml=FakeNVML([gpu])).subtype("gpu-0").data["mig-mode"] == expected


@pytest.mark.parametrize(("current", "pending"), [("Enabled", "Disabled"), ("Disabled", "Enabled")])
def test_nvidia_smi_mig_mode_is_the_current_one_not_the_pending(current, pending) -> None:
    inventory = parse_nvidia_smi_xml(
        "<nvidia_smi_log><driver_version>1</driver_version><gpu><product_name>X</product_name>"
        f"<mig_mode><current_mig>{current}</current_mig><pending_mig>{pending}</pending_mig>"
        "</mig_mode></gpu></nvidia_smi_log>"
    )
    assert inventory.gpus[0]["mig-mode"] == current
