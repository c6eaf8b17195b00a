"""Fakes for the snapshot tests: recorded nvidia-smi output on PATH and a pynvml-like module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def fake_nvidia_smi(fake_bin: Callable[[str, str], Path], recording: str) -> Path:
    """``nvidia-smi -q -x`` printing a recorded XML file from tests/snapshot/data."""
    return fake_bin(
        "nvidia-smi",
        f'[ "$1 $2" = "-q -x" ] || exit 2\nexec /bin/cat {DATA / recording}',
    )


class FakeNVML:
    """A pynvml-like module: the functions the GPU collector calls, over a list of GPUs."""

    class NVMLError(Exception):
        pass

    class NVMLError_NotSupported(NVMLError):
        pass

    def __init__(self, gpus: list[dict[str, Any]], *, init_error: str | None = None) -> None:
        self.gpus = gpus
        self.init_error = init_error
        self.calls: list[str] = []

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.init_error:
            raise self.NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlSystemGetDriverVersion(self) -> str:
        return "570.133.20"

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return 12080

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> dict[str, Any]:
        return self.gpus[index]

    def _field(self, handle: dict[str, Any], name: str) -> Any:
        if name not in handle:
            raise self.NVMLError_NotSupported("Not Supported")
        return handle[name]

    def nvmlDeviceGetName(self, h: dict[str, Any]) -> str:
        return self._field(h, "name")

    def nvmlDeviceGetArchitecture(self, h: dict[str, Any]) -> int:
        return self._field(h, "arch")

    def nvmlDeviceGetDisplayMode(self, h: dict[str, Any]) -> int:
        return self._field(h, "display")

    def nvmlDeviceGetDisplayActive(self, h: dict[str, Any]) -> int:
        return self._field(h, "display_active")

    def nvmlDeviceGetPersistenceMode(self, h: dict[str, Any]) -> int:
        return self._field(h, "persistence")

    def nvmlDeviceGetVbiosVersion(self, h: dict[str, Any]) -> str:
        return self._field(h, "vbios")

    def nvmlDeviceGetGspFirmwareVersion(self, h: dict[str, Any]) -> bytes:
        return self._field(h, "gsp")

    def nvmlDeviceGetMigMode(self, h: dict[str, Any]) -> list[int]:
        return self._field(h, "mig")

    def nvmlDeviceGetMemoryInfo(self, h: dict[str, Any]) -> Any:
        return type("Memory", (), {"total": self._field(h, "memory")})()

    def nvmlDeviceGetUUID(self, h: dict[str, Any]) -> str:
        return self._field(h, "uuid")

    def nvmlDeviceGetPciInfo(self, h: dict[str, Any]) -> Any:
        return type("Pci", (), {"busId": self._field(h, "bus")})()


def h100_nvml_gpu(index: int) -> dict[str, Any]:
    """One H100 as NVML describes it (no addressing-mode query: an older binding)."""
    return {
        "name": "NVIDIA H100 80GB HBM3",
        "arch": 9,
        "display": 1,
        "display_active": 0,
        "persistence": 1,
        "vbios": "96.00.BC.00.01",
        "gsp": b"570.133.20",
        "mig": [0, 0],
        "memory": 81559 * 2**20,
        "uuid": f"GPU-{index:04d}",
        "bus": f"00000000:{0x18 + index:02X}:00.0",
    }
