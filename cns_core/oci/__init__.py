"""Bundles in OCI registries: push a bundle as an artifact, pull it back and verify it.

``reference`` and ``artifact`` are pure (no network); ``client`` talks to the registry
through oras-py and is imported only when a registry is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .artifact import (
    ARTIFACT_TYPE,
    Artifact,
    VerificationError,
    bundle_layer,
    check_blob,
    pack_bundle,
    unpack_layer,
    verify_checksums,
)
from .credentials import find_credential
from .reference import OCIReference, default_tag, is_oci, parse_reference

if TYPE_CHECKING:
    from .client import RegistryOptions

__all__ = [
    "ARTIFACT_TYPE",
    "Artifact",
    "OCIReference",
    "PulledBundle",
    "VerificationError",
    "default_tag",
    "is_oci",
    "pack_bundle",
    "parse_reference",
    "pull_bundle",
    "push_bundle",
]


@dataclass(frozen=True)
class PulledBundle:
    """A fetched and verified bundle: its reference (with the manifest digest) and files."""

    reference: OCIReference
    files: Mapping[str, bytes]


def push_bundle(
    files: Mapping[str, bytes],
    ref: OCIReference,
    options: RegistryOptions | None = None,
    *,
    version: str,
) -> OCIReference:
    """Pack ``files`` and push them to ``ref``; the reference with the manifest digest."""
    from .client import RegistryClient

    artifact = pack_bundle(files, version=version)
    client = RegistryClient(ref, options, find_credential(ref.registry))
    return ref.with_digest(client.push(artifact))


def pull_bundle(ref: OCIReference, options: RegistryOptions | None = None) -> PulledBundle:
    """Fetch the bundle at ``ref``, check every digest and ``checksums.txt``; nothing written."""
    from .client import RegistryClient

    client = RegistryClient(ref, options, find_credential(ref.registry))
    manifest, digest = client.fetch_manifest()
    where = ref.with_digest(digest).uri
    layer = bundle_layer(manifest, where)
    blob = client.fetch_blob(layer)
    check_blob(blob, layer, where)
    files = unpack_layer(blob, layer, where)
    verify_checksums(files, where)
    return PulledBundle(ref.with_digest(digest), {path: files[path] for path in sorted(files)})
