"""Kubernetes API objects turned into snapshot readings: pure functions, no API calls."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..model import Reading, reading_str

#: providerID scheme → managed Kubernetes service
PROVIDERS = {"aws": "eks", "gce": "gke", "azure": "aks", "oci": "oke"}
_CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def split_image(ref: str) -> tuple[str, str]:
    """``(name, tag)`` of an image reference: the last path segment and its tag.

    ``nvcr.io/nvidia/driver:580.82.07`` → ``(driver, 580.82.07)``; a registry port is
    not a tag (``reg:5000/app`` → ``(app, latest)``); with a tag and a digest the tag
    wins; a digest-only reference reports the digest (``sha256:…``), which says more
    than upstream's ``latest``.
    """
    last = ref.strip().rsplit("/", 1)[-1]
    name_tag, _, digest = last.partition("@")
    name, colon, tag = name_tag.rpartition(":")
    if not colon:
        return name_tag, digest or "latest"
    return name, tag or digest or "latest"


def images_from_pods(pods: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{image name: tag}`` over every container of every pod.

    Pods are visited in namespace/name order so that, when two pods run different
    tags of one image, the result is still the same on every run.
    """
    images: dict[str, str] = {}
    for pod in sorted(pods, key=_namespaced_name):
        spec = pod.get("spec") or {}
        for field_name in _CONTAINER_FIELDS:
            for container in spec.get(field_name) or []:
                if container.get("image"):
                    name, tag = split_image(container["image"])
                    images[name] = tag
    return dict(sorted(images.items()))


def flatten_spec(spec: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A nested spec as ``{dotted.path: string}``.

    Nested maps recurse; non-empty lists become compact JSON; empty lists are
    dropped; scalars are printed as upstream prints them (``true``, ``4``); null is
    ``<nil>``.
    """
    flat: dict[str, str] = {}
    for key, value in spec.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_spec(value, f"{path}."))
        elif isinstance(value, list):
            if value:
                flat[path] = json.dumps(
                    value, separators=(",", ":"), sort_keys=True, ensure_ascii=False
                )
        elif value is None:
            flat[path] = "<nil>"
        else:
            flat[path] = reading_str(value)
    return flat


def provider_name(provider_id: str) -> str:
    """The service behind a node's providerID: ``aws:///…`` → ``eks``; unknown schemes as-is."""
    scheme = provider_id.split("://", 1)[0].strip().lower()
    return PROVIDERS.get(scheme, scheme)


def server_readings(version: Mapping[str, Any]) -> dict[str, Reading]:
    """``version``, ``platform`` and ``goVersion`` from the API server's /version answer."""
    return {
        "version": str(version.get("gitVersion", "")),
        "platform": str(version.get("platform", "")),
        "goVersion": str(version.get("goVersion", "")),
    }


def node_readings(node: Mapping[str, Any]) -> dict[str, Reading]:
    """Provider, container runtime, kernel and OS of a Node object."""
    name = str((node.get("metadata") or {}).get("name", ""))
    info = (node.get("status") or {}).get("nodeInfo") or {}
    readings: dict[str, Reading] = {"source-node": name}
    provider_id = str((node.get("spec") or {}).get("providerID") or "")
    if provider_id:
        readings["provider"] = provider_name(provider_id)
        readings["provider-id"] = provider_id
    runtime = str(info.get("containerRuntimeVersion") or "")
    if runtime:
        runtime_name, _, runtime_version = runtime.partition("://")
        readings["container-runtime-id"] = runtime
        readings["container-runtime-name"] = runtime_name
        readings["container-runtime-version"] = runtime_version
    for key, field_name in (
        ("kernel-version", "kernelVersion"),
        ("operating-system", "operatingSystem"),
        ("os-image", "osImage"),
        ("architecture", "architecture"),
        ("kubelet-version", "kubeletVersion"),
    ):
        if info.get(field_name):
            readings[key] = str(info[field_name])
    return readings


def _namespaced_name(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))
