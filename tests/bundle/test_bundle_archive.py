"""Determinism, the checksum round trip, and safe writing of folders and zips."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree, write_zip, zip_bytes, zipfile_bytes
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult

OPTIONS = {
    "sets": ["gpu-operator:driver.version=580.105.08"],
    "system_node_selector": ["role=system"],
    "accelerated_node_toleration": ["nvidia.com/gpu:NoSchedule"],
}


@pytest.mark.parametrize("deployer", ["helm", "argocd", "flux"])
def test_same_input_same_zip_bytes_ten_times(store, gb200, deployer):
    options = BundleOptions.parse(deployer=deployer, **OPTIONS)
    zips = {generate_bundle(gb200, store, options).zip for _ in range(10)}
    assert len(zips) == 1
    # a recipe re-read from its own document gives the same bytes too
    again = RecipeResult.from_dict(gb200.to_dict())
    assert generate_bundle(again, store, options).zip in zips


@pytest.mark.parametrize("deployer", ["helm", "argocd", "flux"])
def test_zip_round_trip_every_checksum_line_verifies(store, h100, deployer):
    bundle = generate_bundle(h100, store, BundleOptions.parse(deployer=deployer))
    with zipfile.ZipFile(io.BytesIO(bundle.zip)) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        contents = {name: archive.read(name) for name in names}
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    modes = {i.filename: i.external_attr >> 16 for i in infos}
    scripts = {"deploy.sh", "undeploy.sh"} if deployer == "helm" else set()
    assert {n for n, mode in modes.items() if mode == 0o100755} == scripts
    assert all(mode in (0o100644, 0o100755) for mode in modes.values())
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
    lines = contents["checksums.txt"].decode().splitlines()
    listed = [line.split("  ", 1)[1] for line in lines]
    assert listed == sorted(listed)
    assert set(listed) == set(names) - {"checksums.txt"}
    assert "recipe.yaml" in listed
    for line in lines:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(contents[path]).hexdigest() == digest, path
    assert bundle.size == sum(len(c) for c in contents.values())
    assert bundle.file_count == len(names)


def test_write_tree_new_dir_modes_and_contents(tmp_path, store, gb200):
    bundle = generate_bundle(gb200, store, BundleOptions())
    dest = tmp_path / "out"
    write_tree(bundle.files, dest)
    on_disk = {p.relative_to(dest).as_posix(): p for p in dest.rglob("*") if p.is_file()}
    assert set(on_disk) == set(bundle.files)
    for rel, path in on_disk.items():
        assert path.read_bytes() == bundle.files[rel]
        expected = 0o755 if rel in ("deploy.sh", "undeploy.sh") else 0o644
        assert path.stat().st_mode & 0o777 == expected, rel


def test_write_tree_replaces_previous_bundle_but_keeps_other_files(tmp_path, store, gb200):
    dest = tmp_path / "gitops"
    write_tree(generate_bundle(gb200, store, BundleOptions.parse(deployer="argocd")).files, dest)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    smaller = generate_bundle(
        gb200, store, BundleOptions.parse(deployer="argocd", bundlers=["gpu-operator"])
    )
    write_tree(smaller.files, dest)
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert files == set(smaller.files) | {".git/HEAD"}
    assert not (dest / "cert-manager").exists()


def test_write_tree_refuses_unrelated_non_empty_dir(tmp_path, store, gb200):
    dest = tmp_path / "home"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    with pytest.raises(InvalidRequestError, match="not empty and is not a previous bundle"):
        write_tree(generate_bundle(gb200, store, BundleOptions()).files, dest)
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_write_tree_refuses_a_file_and_the_current_directory(tmp_path, monkeypatch):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(InvalidRequestError, match="not a directory"):
        write_tree({"a": b"1"}, target)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidRequestError, match="current directory"):
        write_tree({"a": b"1"}, tmp_path)


def test_write_zip_is_atomic_and_exact(tmp_path, store, gb200):
    bundle = generate_bundle(gb200, store, BundleOptions())
    dest = tmp_path / "nested" / "bundle.zip"
    write_zip(bundle.zip, dest)
    assert dest.read_bytes() == bundle.zip
    assert [p.name for p in dest.parent.iterdir()] == ["bundle.zip"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(name="../etc"), "invalid component name '../etc'"),
        (lambda r: r.update(name="GPU"), "invalid component name 'GPU'"),
        (lambda r: r.pop("version"), "has no version"),
        (lambda r: r.update(source="github.com/x"), "is not a chart repository URL"),
        (lambda r: r.update(type="Kustomize"), "Kustomize component"),
        (lambda r: r.update(manifestFiles=["components/x/nope.yaml"]), "nope.yaml"),
    ],
)
def test_bad_component_refs_are_errors(store, gb200, mutate, message):
    doc = gb200.to_dict()
    ref = doc["componentRefs"][0]
    mutate(ref)
    doc["deploymentOrder"] = None
    recipe = RecipeResult.from_dict(doc)
    with pytest.raises(InvalidRequestError, match=message.replace(".", r"\.")):
        generate_bundle(recipe, store, BundleOptions())


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda p: "\0" not in p and p[-1] != "/"),
        st.binary(max_size=300) | st.sampled_from([b"", b"x" * 5000, b"#!/bin/sh\n"]),
        max_size=6,
    )
)
def test_the_zip_writer_writes_exactly_what_zipfile_writes(files):
    assert zip_bytes(files) == zipfile_bytes(files)
    assert zip_bytes(files) == zipfile_bytes(files)  # again, from the deflate memo


@pytest.mark.parametrize("deployer", ["helm", "argocd", "flux"])
def test_bundle_zips_are_the_bytes_zipfile_writes(store, gb200, deployer):
    bundle = generate_bundle(gb200, store, BundleOptions.parse(deployer=deployer, **OPTIONS))
    assert bundle.zip == zipfile_bytes(bundle.files)
    with zipfile.ZipFile(io.BytesIO(bundle.zip)) as archive:
        assert archive.testzip() is None
