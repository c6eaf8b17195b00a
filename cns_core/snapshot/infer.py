"""Criteria from a snapshot: which service, accelerator and OS this node has.

- service: ``K8s.server.service``, then ``K8s.node.provider`` (eks/gke/aks/oke), then the
  server version's vendor suffix (``-eks-``, ``-gke``, ``-aks``, ``-oke``) has the last word;
- accelerator: the GPU model (``GPU.smi.gpu.model``, then ``model`` in ``smi``/``device``),
  a case-insensitive substring match in the order gb200, h100, a100, l40 (L40S is l40);
- os: ``OS.release.ID`` (``ubuntu``, ``rhel``, ``cos``, ``amzn``/``amazonlinux``), else the
  first known ``ID_LIKE`` entry (Rocky Linux → rhel).

Intent and node count cannot be measured; they stay ``any`` / 0. Unknown values stay ``any``.
"""

from __future__ import annotations

import logging

from ..criteria import ANY, Criteria, parse_enum
from ..errors import InvalidRequestError
from .model import MeasurementType, Snapshot, reading_str

#: Substring of the Kubernetes server version → service.
VERSION_SERVICES = (("-eks-", "eks"), ("-gke", "gke"), ("-aks", "aks"), ("-oke", "oke"))
#: Substring of the GPU model → accelerator, most specific first.
GPU_MODELS = (("gb200", "gb200"), ("h100", "h100"), ("a100", "a100"), ("l40", "l40"))
GPU_SUBTYPES = ("smi", "device")
GPU_MODEL_KEYS = ("gpu.model", "model")

log = logging.getLogger(__name__)


def criteria_from_snapshot(snapshot: Snapshot) -> Criteria:
    """The criteria this snapshot's node matches (intent and nodes stay unset)."""
    criteria = Criteria(
        service=infer_service(snapshot),
        accelerator=infer_accelerator(snapshot),
        os=infer_os(snapshot),
    )
    log.info("criteria detected from the snapshot: %s", criteria)
    return criteria


def infer_service(snapshot: Snapshot) -> str:
    service = ANY
    for subtype, key in (("server", "service"), ("node", "provider")):
        value = _enum("service", _read(snapshot, MeasurementType.K8S, subtype, key))
        if value != ANY:
            service = value
    version = _read(snapshot, MeasurementType.K8S, "server", "version").lower()
    for marker, name in VERSION_SERVICES:
        if marker in version:
            return name
    return service


def infer_accelerator(snapshot: Snapshot) -> str:
    models = [
        _read(snapshot, MeasurementType.GPU, subtype, key)
        for subtype in GPU_SUBTYPES
        for key in GPU_MODEL_KEYS
    ]
    model = next((m for m in reversed(models) if m), "").lower()
    return next((name for marker, name in GPU_MODELS if marker in model), ANY)


def infer_os(snapshot: Snapshot) -> str:
    os_id = _enum("os", _read(snapshot, MeasurementType.OS, "release", "ID"))
    if os_id != ANY:
        return os_id
    for like in _read(snapshot, MeasurementType.OS, "release", "ID_LIKE").split():
        value = _enum("os", like)
        if value != ANY:
            return value
    return ANY


def _read(snapshot: Snapshot, type_: MeasurementType, subtype: str, key: str) -> str:
    value = snapshot.find(type_, subtype, key)
    return "" if value is None else reading_str(value)


def _enum(field_name: str, value: str) -> str:
    try:
        return parse_enum(field_name, value)
    except InvalidRequestError:
        return ANY
