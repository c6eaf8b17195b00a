"""GPU collector: driver, CUDA version and every GPU, from NVML or ``nvidia-smi -q -x``.

NVML (``nvidia-ml-py``'s ``pynvml``) is tried first, imported and initialised only when
collecting. When NVML is unusable the collector runs ``nvidia-smi -q -x`` and parses
its XML. No driver or no GPU gives ``gpu-count: 0`` and a warning, never an error.

Measurement layout (upstream-compatible ``smi`` first, then one subtype per GPU)::

    smi:    driver, cuda-version, gpu-count, source, gpu.<key> of the first GPU
    gpu-0:  model, product-architecture, memory-total, mig-mode, ... (every GPU)
"""

from __future__ import annotations

import importlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from ...errors import NotFoundError, UnavailableError
from ..model import Measurement, MeasurementType, Reading, Subtype
from .command import run_command

DEFAULT_TIMEOUT = 10.0
NOT_AVAILABLE = "N/A"
#: Per-GPU keys, in the order they are read.
GPU_KEYS = (
    "model",
    "product-architecture",
    "display-mode",
    "display-active",
    "persistence-mode",
    "addressing-mode",
    "vbios-version",
    "gsp-firmware-version",
    "mig-mode",
    "memory-total",
    "uuid",
    "pci-bus-id",
)
#: nvidia-smi XML element (path) for each per-GPU key; pci-bus-id is the <gpu id=...> attribute.
SMI_ELEMENTS = {
    "model": "product_name",
    "product-architecture": "product_architecture",
    "display-mode": "display_mode",
    "display-active": "display_active",
    "persistence-mode": "persistence_mode",
    "addressing-mode": "addressing_mode",
    "vbios-version": "vbios_version",
    "gsp-firmware-version": "gsp_firmware_version",
    "mig-mode": "mig_mode/current_mig",
    "memory-total": "fb_memory_usage/total",
    "uuid": "uuid",
}
#: NVML_DEVICE_ARCH_* values as nvidia-smi names them.
ARCHITECTURES = {
    2: "Kepler",
    3: "Maxwell",
    4: "Pascal",
    5: "Volta",
    6: "Turing",
    7: "Ampere",
    8: "Ada Lovelace",
    9: "Hopper",
    10: "Blackwell",
}
ADDRESSING_MODES = {0: "None", 1: "HMM", 2: "ATS"}

log = logging.getLogger(__name__)


@dataclass(slots=True)
class GPUInventory:
    """What the driver reports: versions and one key→value map per GPU."""

    source: str
    driver: str
    cuda_version: str
    gpus: list[dict[str, str]] = field(default_factory=list)

    def to_measurement(self) -> Measurement:
        summary: dict[str, Reading] = {
            "driver": self.driver,
            "cuda-version": self.cuda_version,
            "gpu-count": len(self.gpus),
            "source": self.source,
        }
        if self.gpus:
            summary.update({f"gpu.{k}": v for k, v in self.gpus[0].items()})
        per_gpu = [Subtype(f"gpu-{i}", dict(gpu)) for i, gpu in enumerate(self.gpus)]
        return Measurement(MeasurementType.GPU, [Subtype("smi", summary), *per_gpu])


def collect_gpu(*, nvml: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Measurement:
    """The GPU measurement (``nvml``: a pynvml-like module; default the real ``pynvml``)."""
    inventory = from_nvml(nvml) or from_nvidia_smi(timeout)
    if inventory is None:
        return Measurement(MeasurementType.GPU, [Subtype("smi", {"gpu-count": 0})])
    if not inventory.gpus:
        log.warning("GPU: driver %s reports no GPU; gpu-count is 0", inventory.driver)
    return inventory.to_measurement()


def from_nvml(nvml: Any = None) -> GPUInventory | None:
    """Read every GPU through NVML, or None (logged) when NVML cannot be used."""
    if nvml is None:
        try:
            nvml = importlib.import_module("pynvml")
        except ImportError:
            log.info("GPU: nvidia-ml-py is not installed; trying nvidia-smi")
            return None
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        log.info("GPU: NVML unavailable (%s); trying nvidia-smi", exc)
        return None
    try:
        count = nvml.nvmlDeviceGetCount()
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        return GPUInventory(
            source="nvml",
            driver=_text(nvml.nvmlSystemGetDriverVersion()),
            cuda_version=_nvml_cuda_version(nvml),
            gpus=[_nvml_gpu(nvml, handle) for handle in handles],
        )
    except nvml.NVMLError as exc:
        log.info("GPU: NVML query failed (%s); trying nvidia-smi", exc)
        return None
    finally:
        try:
            nvml.nvmlShutdown()
        except nvml.NVMLError as exc:
            log.debug("GPU: nvmlShutdown failed: %s", exc)


def _nvml_cuda_version(nvml: Any) -> str:
    version = _query(nvml, "nvmlSystemGetCudaDriverVersion")
    if not isinstance(version, int):
        return NOT_AVAILABLE
    return f"{version // 1000}.{version % 1000 // 10}"


def _nvml_gpu(nvml: Any, handle: Any) -> dict[str, str]:
    def get(function: str) -> Any:
        return _query(nvml, function, handle)

    mig = get("nvmlDeviceGetMigMode")
    memory = get("nvmlDeviceGetMemoryInfo")
    pci = get("nvmlDeviceGetPciInfo")
    values: dict[str, Any] = {
        "model": get("nvmlDeviceGetName"),
        "product-architecture": _lookup(ARCHITECTURES, get("nvmlDeviceGetArchitecture")),
        "display-mode": _enabled(get("nvmlDeviceGetDisplayMode")),
        "display-active": _enabled(get("nvmlDeviceGetDisplayActive")),
        "persistence-mode": _enabled(get("nvmlDeviceGetPersistenceMode")),
        "addressing-mode": _lookup(ADDRESSING_MODES, get("nvmlDeviceGetAddressingMode")),
        "vbios-version": get("nvmlDeviceGetVbiosVersion"),
        "gsp-firmware-version": get("nvmlDeviceGetGspFirmwareVersion"),
        "mig-mode": _enabled(mig[0] if isinstance(mig, list | tuple) else mig),
        "memory-total": f"{memory.total // 2**20} MiB" if hasattr(memory, "total") else memory,
        "uuid": get("nvmlDeviceGetUUID"),
        "pci-bus-id": getattr(pci, "busId", pci),
    }
    return {key: _text(values[key]) for key in GPU_KEYS}


def _query(nvml: Any, function: str, *args: Any) -> Any:
    """Call an NVML function; N/A when this GPU, driver or binding does not support it."""
    try:
        return getattr(nvml, function)(*args)
    except (nvml.NVMLError, AttributeError):
        return NOT_AVAILABLE


def _enabled(value: Any) -> Any:
    return {0: "Disabled", 1: "Enabled"}.get(value, value) if isinstance(value, int) else value


def _lookup(names: dict[int, str], value: Any) -> Any:
    value = getattr(value, "value", value)
    if isinstance(value, int):
        return names.get(value, f"Unknown ({value})")
    return value


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def from_nvidia_smi(timeout: float = DEFAULT_TIMEOUT) -> GPUInventory | None:
    """Parse ``nvidia-smi -q -x``, or None with a warning when there is no usable driver."""
    try:
        xml = run_command("nvidia-smi", "-q", "-x", timeout=timeout)
    except (NotFoundError, UnavailableError) as exc:
        log.warning("GPU: no NVIDIA driver or GPU found (%s); gpu-count is 0", exc)
        return None
    return parse_nvidia_smi_xml(xml)


def parse_nvidia_smi_xml(xml: str) -> GPUInventory:
    """The inventory in an ``nvidia-smi -q -x`` report (UnavailableError if it is not one)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise UnavailableError(f"nvidia-smi -q -x printed invalid XML: {exc}") from None
    if root.tag != "nvidia_smi_log":
        raise UnavailableError(f"nvidia-smi -q -x printed <{root.tag}>, expected <nvidia_smi_log>")
    gpus = []
    for gpu in root.findall("gpu"):
        values = {key: _element_text(gpu, path) for key, path in SMI_ELEMENTS.items()}
        values["pci-bus-id"] = gpu.get("id", NOT_AVAILABLE)
        gpus.append({key: values[key] for key in GPU_KEYS})
    return GPUInventory(
        source="nvidia-smi",
        driver=_element_text(root, "driver_version"),
        cuda_version=_element_text(root, "cuda_version"),
        gpus=gpus,
    )


def _element_text(parent: ET.Element, path: str) -> str:
    element = parent.find(path)
    text = (element.text or "").strip() if element is not None else ""
    return text or NOT_AVAILABLE
