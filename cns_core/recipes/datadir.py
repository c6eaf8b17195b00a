"""Where recipe data comes from: the embedded package data, optionally layered with a directory.

External data (``--data DIR`` / ``CNS_DATA_DIR``) is read once, with guards: the
directory must hold ``registry.yaml``; no ``..`` path parts, no symlink leaving
the directory, no file over 10 MiB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InvalidRequestError, NotFoundError

MAX_FILE_BYTES = 10 * 1024 * 1024
REGISTRY_FILE = "registry.yaml"


@dataclass(frozen=True)
class DataFiles:
    """Text of every data file by relative POSIX path, and where each one came from."""

    embedded: dict[str, str]
    external: dict[str, str]
    external_dir: str | None = None

    @property
    def source(self) -> str:
        return "merged (embedded + external)" if self.external_dir else "embedded"


def embedded_root() -> Path:
    """The recipe data directory shipped inside the package."""
    return Path(str(resources.files("cns_recipes")))


def read_data_files(external_dir: str | os.PathLike[str] | None = None) -> DataFiles:
    """Read the embedded data and, if given, the external directory, applying the guards."""
    embedded = _read_tree(embedded_root(), guarded=False)
    if external_dir is None:
        return DataFiles(embedded, {})
    root = Path(external_dir)
    if not root.exists():
        raise NotFoundError(f"external data directory not found: {root}")
    if not root.is_dir():
        raise InvalidRequestError(f"external data path is not a directory: {root}")
    if not (root / REGISTRY_FILE).is_file():
        raise InvalidRequestError(
            f"{REGISTRY_FILE} is required in external data directory: {root} "
            "(it may list only the components you add or change)"
        )
    return DataFiles(embedded, _read_tree(root, guarded=True), str(root))


def _read_tree(root: Path, *, guarded: bool) -> dict[str, str]:
    files: dict[str, str] = {}
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        dirnames.sort()
        for name in dirnames:
            if guarded and (base / name).is_symlink():
                _check_symlink(base / name, real_root, root)
        for name in sorted(filenames):
            path = base / name
            rel = path.relative_to(root).as_posix()
            if name == "__init__.py" or "__pycache__" in rel:
                continue
            if guarded:
                _check_entry(path, rel, real_root, root)
            files[rel] = _read_text(path, rel)
    return files


def _check_entry(path: Path, rel: str, real_root: Path, root: Path) -> None:
    if ".." in rel.split("/"):
        raise InvalidRequestError(f"path traversal detected in external data: {rel}")
    if path.is_symlink():
        _check_symlink(path, real_root, root)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidRequestError(
            f"file too large in external data ({size} bytes, max {MAX_FILE_BYTES}): {rel}"
        )


def _check_symlink(path: Path, real_root: Path, root: Path) -> None:
    target = path.resolve()
    if target != real_root and real_root not in target.parents:
        rel = path.relative_to(root).as_posix()
        raise InvalidRequestError(f"symlink leaves the external data directory: {rel} -> {target}")


def _read_text(path: Path, rel: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"data file is not UTF-8 text: {rel}") from None
