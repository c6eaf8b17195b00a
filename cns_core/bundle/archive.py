"""Bundle files on disk and in a zip: checksums, deterministic archives, safe writes."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import InvalidRequestError

CHECKSUMS_FILE = "checksums.txt"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
SCRIPT_MODE = 0o755
DIR_MODE = 0o755
COMPRESS_LEVEL = 6


def checksums(files: Mapping[str, bytes]) -> bytes:
    """``<sha256>  <path>`` for every file, sorted by path, one per line."""
    lines = [f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n" for path in sorted(files)]
    return "".join(lines).encode()


def file_mode(path: str) -> int:
    """The mode a bundle file is written with: shell scripts are executable."""
    return SCRIPT_MODE if path.endswith(".sh") else FILE_MODE


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A byte-deterministic zip: entries sorted, fixed dates and modes, no directory entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.create_system = 3  # unix, so the mode below is honoured by unzip
            info.external_attr = (0o100000 | file_mode(path)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def write_zip(data: bytes, dest: Path) -> None:
    """Write zip bytes atomically (a temp file in the same directory, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tree(files: Mapping[str, bytes], dest: Path) -> None:
    """Write the bundle into ``dest``: a new or empty directory, or a previous bundle.

    A previous bundle (it holds checksums.txt) has the files its checksums list
    removed first, so no stale file survives, while anything else there (``.git``
    of a GitOps repository, say) is kept. Any other non-empty directory is refused:
    cns never mixes a bundle into unrelated files. Everything is generated before
    the first write.
    """
    _check_destination(dest)
    _remove_previous(dest)
    for rel, data in sorted(files.items()):
        target = dest / rel
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(file_mode(rel))


def _check_destination(dest: Path) -> None:
    where = dest.resolve()
    if where == Path.cwd() or where in Path.cwd().parents:
        raise InvalidRequestError(
            f"invalid --output {dest}: refusing to write a bundle into the current directory "
            "or one of its parents; use -o DIR (a new directory) or -o FILE.zip"
        )
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise InvalidRequestError(f"invalid --output {dest}: exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / CHECKSUMS_FILE).is_file():
        raise InvalidRequestError(
            f"invalid --output {dest}: the directory is not empty and is not a previous "
            "bundle (no checksums.txt); choose a new or empty directory"
        )


def _remove_previous(dest: Path) -> None:
    listing = dest / CHECKSUMS_FILE
    if not listing.is_file():
        return
    root = dest.resolve()
    for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
        rel = line.partition("  ")[2]
        target = (dest / rel).resolve()
        if rel and root in target.parents and target.is_file():
            target.unlink()
            _prune_empty_dirs(target.parent, root)
    listing.unlink()


def _prune_empty_dirs(directory: Path, root: Path) -> None:
    while directory != root and root in directory.parents and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
