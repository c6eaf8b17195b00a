"""``cns bundle -o DIR`` trusts nothing in DIR (GitHub issue 11, item 6): no write through a
symlink, only unchanged files of the previous bundle removed, dotfiles never touched."""

from __future__ import annotations

import hashlib
import os

import pytest

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from cns_core.errors import InvalidRequestError
from cns_core.serialize import dump_yaml


@pytest.fixture
def bundle(store, gb200):
    return generate_bundle(gb200, store, BundleOptions())


@pytest.fixture
def previous(tmp_path, bundle):
    """A previous bundle in tmp_path/out, with a victim file beside it."""
    dest = tmp_path / "out"
    write_tree(bundle.files, dest)
    (tmp_path / "victim").write_text("precious\n")
    return dest


def tree(root):
    """Every entry under ``root`` (not following symlinks) with its kind and contents."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = ("file", path.read_bytes())
        else:
            out[rel] = ("dir", None)
    return out


def test_a_symlink_in_a_previous_bundle_is_never_written_through(tmp_path, previous, bundle):
    (previous / "README.md").unlink()
    os.symlink("../victim", previous / "README.md")
    before = tree(previous)
    with pytest.raises(InvalidRequestError, match=r"README\.md would be overwritten"):
        write_tree(bundle.files, previous)
    assert (tmp_path / "victim").read_text() == "precious\n"
    assert tree(previous) == before  # refused before anything changed


def test_a_symlinked_directory_in_a_previous_bundle_is_never_entered(tmp_path, previous, bundle):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for path in sorted((previous / "templates").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (previous / "templates").rmdir()
    os.symlink(elsewhere, previous / "templates")
    with pytest.raises(InvalidRequestError, match="would be overwritten"):
        write_tree(bundle.files, previous)
    assert list(elsewhere.iterdir()) == []


def test_a_planted_checksums_file_deletes_nothing_the_bundle_did_not_write(tmp_path, bundle):
    dest = tmp_path / "gitops"
    (dest / ".git").mkdir(parents=True)
    git_config = b"[core]\n\trepositoryformatversion = 0\n"
    (dest / ".git" / "config").write_bytes(git_config)
    (dest / "notes.txt").write_text("mine")
    victim = b"precious\n"
    (tmp_path / "victim").write_bytes(victim)
    sha = hashlib.sha256
    (dest / "checksums.txt").write_text(
        f"{sha(git_config).hexdigest()}  .git/config\n"
        f"{sha(victim).hexdigest()}  ../victim\n"
        f"{sha(b'not mine').hexdigest()}  notes.txt\n"
    )
    write_tree(bundle.files, dest)
    assert (dest / ".git" / "config").read_bytes() == git_config
    assert (tmp_path / "victim").read_text() == "precious\n"
    assert (dest / "notes.txt").read_text() == "mine"  # its checksum did not match


def test_a_previous_bundle_is_replaced_and_what_is_not_ours_is_kept(tmp_path, store, gb200):
    dest = tmp_path / "out"
    full = generate_bundle(gb200, store, BundleOptions())
    write_tree(full.files, dest)
    write_tree(full.files, dest)  # the same bundle again: every file is ours
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "notes.txt").write_text("mine")
    smaller = generate_bundle(gb200, store, BundleOptions.parse(bundlers=["gpu-operator"]))
    write_tree(smaller.files, dest)
    on_disk = {k for k, (kind, _) in tree(dest).items() if kind == "file"}
    assert on_disk == set(smaller.files) | {".git/HEAD", "notes.txt"}
    assert not (dest / "components" / "cert-manager").exists()  # emptied directories go too


def test_a_file_edited_since_the_previous_bundle_is_neither_removed_nor_overwritten(
    tmp_path, store, gb200, bundle
):
    dest = tmp_path / "out"
    write_tree(bundle.files, dest)
    (dest / "values.yaml").write_text("# my edits\n")
    (dest / "components" / "cert-manager" / "values.yaml").write_text("# mine too\n")
    with pytest.raises(InvalidRequestError, match=r"values\.yaml.* would be overwritten"):
        write_tree(bundle.files, dest)
    assert (dest / "values.yaml").read_text() == "# my edits\n"
    smaller = generate_bundle(gb200, store, BundleOptions.parse(bundlers=["gpu-operator"]))
    with pytest.raises(InvalidRequestError):  # values.yaml is in this bundle too
        write_tree(smaller.files, dest)
    (dest / "values.yaml").unlink()
    write_tree(smaller.files, dest)
    # not in the new bundle and edited: kept, not deleted
    assert (dest / "components" / "cert-manager" / "values.yaml").read_text() == "# mine too\n"


@pytest.mark.parametrize("path", ["../x", "/etc/x", "a//b", ".git/config", "a/./b", ".git"])
def test_paths_a_bundle_may_not_write(tmp_path, path):
    with pytest.raises(InvalidRequestError, match="invalid bundle file path"):
        write_tree({path: b"x", "checksums.txt": b""}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_refuses_with_one_line_and_exit_3(runner, tmp_path, previous, gb200):
    (previous / "README.md").unlink()
    os.symlink("../victim", previous / "README.md")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(dump_yaml(gb200.to_dict()))
    result = runner.invoke(["bundle", "-r", str(recipe), "-o", str(previous)])
    assert result.exit_code == 3, result.output
    assert len(result.stderr.splitlines()) == 1 and "README.md" in result.stderr
    assert (tmp_path / "victim").read_text() == "precious\n"
