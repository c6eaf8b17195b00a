"""Golden files: produced by the code, reviewed, then frozen.

``CNS_UPDATE_GOLDEN=1`` (exactly ``1``; any other value compares as usual) rewrites the
files that differ and records them; the run then fails at the end listing every file
it rewrote, so an update can never pass as a green run. Under ``CI=true`` an update
is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

#: files rewritten by this run (reported, and failing the run, at its end)
REWRITTEN: list[Path] = []


def updating() -> bool:
    """Whether this run rewrites golden files (refused under CI)."""
    if os.environ.get("CNS_UPDATE_GOLDEN") != "1":
        return False
    if os.environ.get("CI") == "true":
        pytest.fail("CNS_UPDATE_GOLDEN=1 is refused under CI=true: golden files are frozen")
    return True


def assert_golden(path: Path, data: str | bytes) -> None:
    """``data`` must equal the frozen file (rewritten and recorded instead when updating)."""
    raw = data.encode() if isinstance(data, str) else data
    if updating() and (not path.is_file() or path.read_bytes() != raw):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        REWRITTEN.append(path)
    assert path.is_file(), f"{path} is missing: run with CNS_UPDATE_GOLDEN=1, review it, commit it"
    frozen = path.read_bytes()
    if isinstance(data, str):
        assert data == frozen.decode(), (
            f"{path} differs: review the change, then CNS_UPDATE_GOLDEN=1"
        )
    else:
        assert raw == frozen, f"{path} differs: review the change, then CNS_UPDATE_GOLDEN=1"


def assert_golden_tree(root: Path, files: Mapping[str, bytes]) -> None:
    """Every file under ``root`` equals ``files`` (and no other file is there)."""
    if updating():
        for old in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            if old.is_file() and old.relative_to(root).as_posix() not in files:
                old.unlink()
                REWRITTEN.append(old)
            elif old.is_dir() and not any(old.iterdir()):
                old.rmdir()
    for rel, data in sorted(files.items()):
        assert_golden(root / rel, data)
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert on_disk == sorted(files), f"{root}: file list changed (stale or missing files)"
