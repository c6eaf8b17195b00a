"""A bundle as an OCI artifact, packed and unpacked byte-reproducibly, as upstream packs it.

Upstream (oras-go: a file store with ``TarReproducible``, ``PackManifest`` version 1.1):

- manifest ``artifactType: application/vnd.nvidia.cns.artifact``, the empty config
  (``application/vnd.oci.empty.v1+json``, ``{}`` inlined as ``data``);
- one ``application/vnd.oci.image.layer.v1.tar+gzip`` layer: the bundle directory as a tar
  whose entries are relative to the bundle root, annotated as oras does for a directory
  (title ``.``, ``io.deis.oras.content.digest`` = digest of the tar, ``unpack: "true"``), so
  ``oras pull`` unpacks it too;
- manifest annotations ``org.opencontainers.image.{created,source,title,vendor,version}``
  with ``created`` fixed at the epoch.

The tar is sorted, with fixed mtimes (0), owners (0/0, no names) and modes (0644 files,
0755 scripts and directories, as ``-o DIR`` writes them), gzip header mtime 0: the same files give the same layer and manifest
digest every time. The manifest JSON is written here (compact, fixed key order) rather
than by oras-py, whose ``push`` re-serialises it and has no artifactType, empty config or
reproducible layer.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import posixpath
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..bundle.archive import CHECKSUMS_FILE, DIR_MODE, file_mode
from ..errors import InvalidRequestError

ARTIFACT_TYPE = "application/vnd.nvidia.cns.artifact"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_JSON = b"{}"

ANNOTATION_CREATED = "org.opencontainers.image.created"
ANNOTATION_TITLE = "org.opencontainers.image.title"
ANNOTATION_CONTENT_DIGEST = "io.deis.oras.content.digest"
ANNOTATION_UNPACK = "io.deis.oras.content.unpack"
CREATED = "1970-01-01T00:00:00Z"
VENDOR = "NVIDIA"
TITLE = "CNS Bundle"
SOURCE = "https://github.com/NVIDIA/cloud-native-stack"

GZIP_LEVEL = 6
#: limits on what a pulled layer may unpack to
MAX_FILES = 10_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_CHECKSUM_LINE = re.compile(r"^(?P<sha>[a-f0-9]{64})  (?P<path>.+)$")


class VerificationError(InvalidRequestError):
    """A pulled artifact that is not what it claims to be (digest, checksum, layout)."""


def sha256_digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    data: bytes | None = None

    @classmethod
    def of(cls, media_type: str, blob: bytes, **kwargs: Any) -> Descriptor:
        return cls(media_type, sha256_digest(blob), len(blob), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in the order of the OCI image-spec Go types."""
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest}
        out["size"] = self.size
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        if self.data is not None:
            out["data"] = base64.b64encode(self.data).decode()
        return out


@dataclass(frozen=True)
class Artifact:
    """A packed bundle: the manifest bytes and the blobs it references."""

    manifest: bytes
    config: Descriptor
    layer: Descriptor
    blobs: Mapping[str, bytes]

    @property
    def digest(self) -> str:
        """The manifest digest: what the registry names the artifact by."""
        return sha256_digest(self.manifest)


def bundle_annotations(version: str) -> dict[str, str]:
    """Upstream's manifest annotations, with the fixed creation time."""
    return {
        ANNOTATION_CREATED: CREATED,
        "org.opencontainers.image.source": SOURCE,
        ANNOTATION_TITLE: TITLE,
        "org.opencontainers.image.vendor": VENDOR,
        "org.opencontainers.image.version": version,
    }


def pack_bundle(files: Mapping[str, bytes], *, version: str) -> Artifact:
    """Pack bundle files (relative path → bytes) into a reproducible OCI artifact."""
    tar = bundle_tar(files)
    layer_blob = gzip_bytes(tar)
    layer = Descriptor.of(
        LAYER_MEDIA_TYPE,
        layer_blob,
        annotations={
            ANNOTATION_CONTENT_DIGEST: sha256_digest(tar),
            ANNOTATION_UNPACK: "true",
            ANNOTATION_TITLE: ".",
        },
    )
    config = Descriptor.of(EMPTY_MEDIA_TYPE, EMPTY_JSON, data=EMPTY_JSON)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": config.to_dict(),
        "layers": [layer.to_dict()],
        "annotations": dict(sorted(bundle_annotations(version).items())),
    }
    raw = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode()
    return Artifact(raw, config, layer, {config.digest: EMPTY_JSON, layer.digest: layer_blob})


def bundle_tar(files: Mapping[str, bytes]) -> bytes:
    """A deterministic POSIX tar: directories then files in sorted order, fixed metadata."""
    entries: dict[str, bytes | None] = {}
    for path in files:
        _check_member_name(path, "bundle")
        parent = posixpath.dirname(path)
        while parent:
            entries[parent] = None
            parent = posixpath.dirname(parent)
        entries[path] = files[path]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(entries):
            data = entries[name]
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = DIR_MODE
                tar.addfile(info)
            else:
                info.mode = file_mode(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no file name and header mtime 0."""
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=GZIP_LEVEL
    ) as out:
        out.write(data)
    return buffer.getvalue()


def bundle_layer(manifest: bytes, where: str) -> Descriptor:
    """The layer descriptor of a cns bundle manifest; anything else is an error."""
    try:
        doc = json.loads(manifest)
    except ValueError as exc:
        raise VerificationError(f"{where}: the manifest is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("mediaType", MANIFEST_MEDIA_TYPE) != (
        MANIFEST_MEDIA_TYPE
    ):
        kind = doc.get("mediaType") if isinstance(doc, dict) else type(doc).__name__
        raise VerificationError(f"{where}: not an OCI image manifest ({kind})")
    artifact_type = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
    if artifact_type != ARTIFACT_TYPE:
        raise VerificationError(
            f"{where} is not a cns bundle: its artifact type is '{artifact_type}', "
            f"expected '{ARTIFACT_TYPE}' (a Helm chart is pulled with helm pull)"
        )
    layers = doc.get("layers")
    if not isinstance(layers, list) or len(layers) != 1 or not isinstance(layers[0], dict):
        count = len(layers) if isinstance(layers, list) else 0
        raise VerificationError(f"{where}: expected exactly one layer, found {count}")
    layer = layers[0]
    if layer.get("mediaType") != LAYER_MEDIA_TYPE:
        raise VerificationError(
            f"{where}: layer media type '{layer.get('mediaType')}', expected '{LAYER_MEDIA_TYPE}'"
        )
    digest, size = layer.get("digest"), layer.get("size")
    if not isinstance(digest, str) or not re.match(r"^sha256:[a-f0-9]{64}$", digest):
        raise VerificationError(f"{where}: layer digest {digest!r} is not a sha256 digest")
    if not isinstance(size, int) or size < 0:
        raise VerificationError(f"{where}: layer size {size!r} is not a byte count")
    annotations = layer.get("annotations") or {}
    return Descriptor(LAYER_MEDIA_TYPE, digest, size, dict(annotations))


def check_blob(blob: bytes, expected: Descriptor, where: str) -> None:
    """The blob must have the size and the digest its descriptor names."""
    actual = sha256_digest(blob)
    if actual != expected.digest or len(blob) != expected.size:
        raise VerificationError(
            f"{where}: layer {expected.digest} does not match its content "
            f"(got {actual}, {len(blob)} bytes; expected {expected.size} bytes): "
            "the layer was altered or corrupted"
        )


def unpack_layer(blob: bytes, layer: Descriptor, where: str) -> dict[str, bytes]:
    """The files of a verified layer blob (regular files and directories only, no escapes)."""
    try:
        tar = gzip.decompress(blob)
    except (OSError, EOFError) as exc:
        raise VerificationError(f"{where}: layer {layer.digest} is not gzip: {exc}") from None
    wanted = layer.annotations.get(ANNOTATION_CONTENT_DIGEST)
    if wanted and sha256_digest(tar) != wanted:
        raise VerificationError(
            f"{where}: the unpacked layer does not match its {ANNOTATION_CONTENT_DIGEST} "
            f"annotation {wanted}"
        )
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
            for member in archive:
                name = _member_name(member.name)
                if member.isdir():
                    if name:
                        _check_member_name(name, where)
                    continue
                if not member.isfile():
                    raise VerificationError(
                        f"{where}: '{member.name}' is not a regular file or directory"
                    )
                _check_member_name(name, where)
                total += member.size
                if len(files) >= MAX_FILES or total > MAX_UNPACKED_BYTES:
                    raise VerificationError(
                        f"{where}: more than {MAX_FILES} files or {MAX_UNPACKED_BYTES} bytes"
                    )
                if name in files:
                    raise VerificationError(f"{where}: '{name}' appears twice in the layer")
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file always has content
                files[name] = handle.read()
    except tarfile.TarError as exc:
        raise VerificationError(f"{where}: layer {layer.digest} is not a tar: {exc}") from None
    return files


def verify_checksums(files: Mapping[str, bytes], where: str) -> None:
    """Every file must be listed in checksums.txt with its sha256, and every listed file exist."""
    listing = files.get(CHECKSUMS_FILE)
    if listing is None:
        raise VerificationError(f"{where}: the bundle has no {CHECKSUMS_FILE}")
    expected: dict[str, str] = {}
    for number, line in enumerate(listing.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        match = _CHECKSUM_LINE.match(line)
        if not match:
            raise VerificationError(f"{where}: {CHECKSUMS_FILE} line {number} is malformed")
        expected[match["path"]] = match["sha"]
    for path in sorted(files):
        if path == CHECKSUMS_FILE:
            continue
        if path not in expected:
            raise VerificationError(f"{where}: {path} is not listed in {CHECKSUMS_FILE}")
        if hashlib.sha256(files[path]).hexdigest() != expected[path]:
            raise VerificationError(
                f"{where}: {path} does not match its sha256 in {CHECKSUMS_FILE}"
            )
    missing = sorted(set(expected) - set(files))
    if missing:
        raise VerificationError(
            f"{where}: {missing[0]} is listed in {CHECKSUMS_FILE} but missing from the bundle"
        )


def _member_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name != "." else ""


def _check_member_name(name: str, where: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise VerificationError(f"{where}: unsafe path '{name}'")
