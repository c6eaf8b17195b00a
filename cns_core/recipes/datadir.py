"""Where recipe data comes from: the embedded package data, optionally layered with a directory.

External data (``--data DIR`` / ``CNS_DATA_DIR``) is read once, with guards: the
directory must hold ``registry.yaml``; no symlink may lead outside the directory
(paths come from walking it, so none can climb out with ``..``); every entry is a
regular file or a directory (a FIFO, socket or device is refused, never opened: a FIFO
would block the reader forever); only ``.yaml``/``.yml`` files are read (anything else
there, a ``credentials.env`` say, is never loaded, so no request can reach it); none
over 10 MiB; every one UTF-8.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from ..errors import InvalidRequestError, NotFoundError

MAX_FILE_BYTES = 10 * 1024 * 1024
REGISTRY_FILE = "registry.yaml"
#: The only files recipe data is made of (registry, overlays, values files, manifests).
DATA_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class DataFiles:
    """Text of every data file by relative POSIX path, and where each one came from."""

    embedded: dict[str, str]
    external: dict[str, str]
    external_dir: str | None = None

    @property
    def source(self) -> str:
        return "merged (embedded + external)" if self.external_dir else "embedded"


def embedded_root() -> str:
    """The recipe data directory shipped inside the package."""
    import cns_recipes

    return os.path.dirname(cns_recipes.__file__)


def read_data_files(external_dir: str | os.PathLike[str] | None = None) -> DataFiles:
    """Read the embedded data and, if given, the external directory, applying the guards."""
    embedded = _read_tree(embedded_root(), guarded=False)
    if external_dir is None:
        return DataFiles(embedded, {})
    root = os.fspath(external_dir)
    if not os.path.exists(root):
        raise NotFoundError(f"external data directory not found: {root}")
    if not os.path.isdir(root):
        raise InvalidRequestError(f"external data path is not a directory: {root}")
    if not os.path.isfile(os.path.join(root, REGISTRY_FILE)):
        raise InvalidRequestError(
            f"{REGISTRY_FILE} is required in external data directory: {root} "
            "(it may list only the components you add or change)"
        )
    return DataFiles(embedded, _read_tree(root, guarded=True), root)


def _read_tree(root: str, *, guarded: bool) -> dict[str, str]:
    """Every YAML file under ``root`` (hidden entries skipped); with ``guarded``, every
    other entry is checked too (no symlink out, nothing but files and directories)."""
    files: dict[str, str] = {}
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for name in dirnames:
            if guarded and os.path.islink(os.path.join(dirpath, name)):
                raise InvalidRequestError(
                    "symlinked directories are not supported in external data: "
                    + _relative(os.path.join(dirpath, name), root)
                )
        for name in sorted(f for f in filenames if not _skipped(f)):
            path = os.path.join(dirpath, name)
            rel = _relative(path, root)
            if guarded:
                _check_entry(path, rel, real_root)
            if name.endswith(DATA_SUFFIXES):
                files[rel] = _read_text(path, rel)
    return files


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__" or name.endswith((".py", ".pyc"))


def _check_entry(path: str, rel: str, real_root: str) -> None:
    if not os.path.exists(path):
        raise InvalidRequestError(f"broken symlink in external data: {rel}")
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not target.startswith(real_root + os.sep):
            raise InvalidRequestError(
                f"symlink leaves the external data directory: {rel} -> {target}"
            )
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise InvalidRequestError(
            f"not a regular file in external data: {rel} ({_kind(mode)}); recipe data is "
            "made of YAML files and directories only"
        )
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise InvalidRequestError(
            f"file too large in external data ({size} bytes, max {MAX_FILE_BYTES}): {rel}"
        )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _read_text(path: str, rel: str) -> str:
    """The file's text: opened without blocking and read only if it is a regular file (the
    entry may have been swapped for a FIFO since it was checked)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            mode = status.st_mode
            if not stat.S_ISREG(mode):
                raise InvalidRequestError(
                    f"not a regular file in recipe data: {rel} ({_kind(mode)})"
                )
            # read(n) allocates n bytes first: ask for what fstat saw (+1 to see growth),
            # and read on only if the file grew, up to the same MAX_FILE_BYTES + 1.
            expected = min(status.st_size, MAX_FILE_BYTES) + 1
            data = handle.read(expected)
            if len(data) == expected and expected <= MAX_FILE_BYTES:
                data += handle.read(MAX_FILE_BYTES + 1 - expected)
            return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"data file is not UTF-8 text: {rel}") from None
    except OSError as exc:
        raise InvalidRequestError(f"cannot read data file {rel}: {exc.strerror or exc}") from None
