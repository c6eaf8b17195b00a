"""The bundle as an OCI artifact: reproducible bytes, upstream's layout, strict unpacking."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile

import pytest

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.oci.artifact import (
    ARTIFACT_TYPE,
    EMPTY_MEDIA_TYPE,
    LAYER_MEDIA_TYPE,
    VerificationError,
    bundle_layer,
    bundle_tar,
    check_blob,
    gzip_bytes,
    pack_bundle,
    sha256_digest,
    unpack_layer,
    verify_checksums,
)


@pytest.fixture
def files(gb200, store):
    return dict(generate_bundle(gb200, store, BundleOptions.parse()).files)


def test_same_files_same_bytes_and_digest_whatever_the_insertion_order(files):
    first = pack_bundle(files, version="1.2.3")
    second = pack_bundle(dict(reversed(list(files.items()))), version="1.2.3")
    assert first.manifest == second.manifest
    assert first.blobs == second.blobs
    assert first.digest == second.digest == sha256_digest(first.manifest)
    assert pack_bundle(files, version="1.2.4").digest != first.digest  # version annotation


def test_manifest_is_upstreams_artifact_layout(files):
    artifact = pack_bundle(files, version="1.2.3")
    manifest = json.loads(artifact.manifest)
    assert list(manifest) == [
        "schemaVersion",
        "mediaType",
        "artifactType",
        "config",
        "layers",
        "annotations",
    ]
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["artifactType"] == ARTIFACT_TYPE == "application/vnd.nvidia.cns.artifact"
    assert manifest["config"] == {
        "mediaType": EMPTY_MEDIA_TYPE,
        "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "size": 2,
        "data": "e30=",
    }
    assert manifest["annotations"] == {
        "org.opencontainers.image.created": "1970-01-01T00:00:00Z",
        "org.opencontainers.image.source": "https://github.com/NVIDIA/cloud-native-stack",
        "org.opencontainers.image.title": "CNS Bundle",
        "org.opencontainers.image.vendor": "NVIDIA",
        "org.opencontainers.image.version": "1.2.3",
    }
    (layer,) = manifest["layers"]
    blob = artifact.blobs[layer["digest"]]
    assert layer["mediaType"] == LAYER_MEDIA_TYPE
    assert layer["size"] == len(blob) and layer["digest"] == sha256_digest(blob)
    assert layer["annotations"] == {
        "io.deis.oras.content.digest": sha256_digest(gzip.decompress(blob)),
        "io.deis.oras.content.unpack": "true",
        "org.opencontainers.image.title": ".",
    }
    assert artifact.manifest == json.dumps(manifest, separators=(",", ":")).encode()  # compact


def test_layer_is_a_sorted_tar_with_fixed_metadata_and_a_zero_gzip_mtime(files):
    blob = pack_bundle(files, version="1").layer
    data = pack_bundle(files, version="1").blobs[blob.digest]
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip magic, MTIME 0
    assert data[3] & 0x08 == 0  # no FNAME
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {m.name for m in members if m.isfile()} == set(files)
    assert "templates" in names and "templates/gpu-operator" in names  # directories, parents first
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
        assert m.mode == (0o755 if m.isdir() or m.name.endswith(".sh") else 0o644)
        assert not m.name.startswith(("/", "./"))
    assert any(m.name.endswith(".sh") for m in members)  # deploy.sh: executable


def test_round_trip_gives_the_files_back(files):
    artifact = pack_bundle(files, version="1")
    blob = artifact.blobs[artifact.layer.digest]
    layer = bundle_layer(artifact.manifest, "here")
    assert layer == artifact.layer
    check_blob(blob, layer, "here")
    assert unpack_layer(blob, layer, "here") == files
    verify_checksums(files, "here")


def test_a_changed_layer_is_refused_with_its_digest(files):
    artifact = pack_bundle(files, version="1")
    blob = bytearray(artifact.blobs[artifact.layer.digest])
    blob[-9] ^= 0xFF
    with pytest.raises(VerificationError, match=f"layer {artifact.layer.digest} does not match"):
        check_blob(bytes(blob), artifact.layer, "oci://x")


def test_an_unpacked_tar_that_does_not_match_its_annotation_is_refused(files):
    artifact = pack_bundle(files, version="1")
    other = gzip_bytes(bundle_tar({**files, "values.yaml": b"x: 1\n"}))
    with pytest.raises(VerificationError, match="io.deis.oras.content.digest"):
        unpack_layer(other, artifact.layer, "oci://x")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.update({"values.yaml": b"tampered: true\n"}),
            "values.yaml does not match its sha256",
        ),
        (
            lambda f: f.update({"extra.yaml": b"a: 1\n"}),
            "extra.yaml is not listed in checksums.txt",
        ),
        (lambda f: f.pop("Chart.yaml"), "Chart.yaml is listed in checksums.txt but missing"),
        (lambda f: f.pop("checksums.txt"), "has no checksums.txt"),
        (lambda f: f.update({"checksums.txt": b"nonsense\n"}), "checksums.txt line 1 is malformed"),
    ],
)
def test_checksums_catch_every_difference_and_name_the_file(files, change, message):
    change(files)
    with pytest.raises(VerificationError, match=message):
        verify_checksums(files, "oci://x")


def _tar_with(member: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return gzip_bytes(buffer.getvalue())


def _symlink() -> tarfile.TarInfo:
    info = tarfile.TarInfo("link")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (tarfile.TarInfo("../escape.yaml"), "unsafe path '../escape.yaml'"),
        (tarfile.TarInfo("/abs.yaml"), "unsafe path '/abs.yaml'"),
        (tarfile.TarInfo("a/../../b"), "unsafe path"),
        (_symlink(), "'link' is not a regular file or directory"),
    ],
)
def test_unsafe_members_are_refused(member, message):
    blob = _tar_with(member, b"x")
    layer = bundle_layer(
        json.dumps(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": ARTIFACT_TYPE,
                "layers": [
                    {
                        "mediaType": LAYER_MEDIA_TYPE,
                        "digest": sha256_digest(blob),
                        "size": len(blob),
                    }
                ],
            }
        ).encode(),
        "x",
    )
    with pytest.raises(VerificationError, match=message):
        unpack_layer(blob, layer, "x")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"not json", "the manifest is not JSON"),
        ({"mediaType": "application/vnd.oci.image.index.v1+json"}, "not an OCI image manifest"),
        (
            {"config": {"mediaType": "application/vnd.cncf.helm.config.v1+json"}},
            "is not a cns bundle: its artifact type is 'application/vnd.cncf.helm.config.v1+json'",
        ),
        ({"artifactType": ARTIFACT_TYPE, "layers": []}, "expected exactly one layer, found 0"),
        ({"artifactType": ARTIFACT_TYPE, "layers": [{"mediaType": "x"}]}, "layer media type 'x'"),
        (
            {
                "artifactType": ARTIFACT_TYPE,
                "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": "md5:1", "size": 1}],
            },
            "is not a sha256 digest",
        ),
    ],
)
def test_manifests_that_are_not_cns_bundles_are_refused(manifest, message):
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    with pytest.raises(VerificationError, match=re.escape(message)):
        bundle_layer(raw, "oci://x")


def test_sha256_digest():
    assert sha256_digest(b"{}") == "sha256:" + hashlib.sha256(b"{}").hexdigest()
