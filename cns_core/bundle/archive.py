"""Bundle files on disk and in a zip: checksums, deterministic archives, safe writes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from ..errors import InvalidRequestError
from ..lru import LRUCache

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
    """A byte-deterministic zip: entries sorted, fixed dates and modes, no directory entries.

    The bytes are exactly those of :func:`zipfile_bytes` (the standard library's writer,
    deflate level 6; tests/bundle/test_bundle_archive.py compares them), written here
    directly so that each file's deflated form is computed once per content: bundles
    repeat most of their files (scripts, manifests, unchanged values) from one build to
    the next, and deflate was a third of a fresh bundle's time.
    """
    if any(len(data) > _ZIP64_FROM for data in files.values()) or any("\0" in p for p in files):
        return zipfile_bytes(files)  # never for a bundle: ZIP64 sizes, NUL-truncated names
    out = bytearray()
    central = bytearray()
    for path in sorted(files):
        data = files[path]
        crc, deflated = _deflated(data)
        try:
            name, flags = path.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = path.encode("utf-8"), _UTF8_NAME
        offset = len(out)
        out += _LOCAL.pack(
            b"PK\x03\x04",
            _VERSION,
            0,
            flags,
            zipfile.ZIP_DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            crc,
            len(deflated),
            len(data),
            len(name),
            0,
        )
        out += name
        out += deflated
        central += _CENTRAL.pack(
            b"PK\x01\x02",
            _VERSION,
            _UNIX,
            _VERSION,
            0,
            flags,
            zipfile.ZIP_DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            crc,
            len(deflated),
            len(data),
            len(name),
            0,
            0,
            0,
            0,
            (0o100000 | file_mode(path)) << 16,
            offset,
        )
        central += name
    start = len(out)
    out += central
    out += _END.pack(
        b"PK\x05\x06",
        0,
        0,
        len(files),
        len(files),
        len(central),
        start,
        0,
    )
    return bytes(out)


def zipfile_bytes(files: Mapping[str, bytes]) -> bytes:
    """The same archive as :func:`zip_bytes`, written by :mod:`zipfile` (the reference)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.create_system = _UNIX  # so that unzip honours the mode below
            info.external_attr = (0o100000 | file_mode(path)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


#: The zip records (APPNOTE 4.3.7, 4.3.12, 4.3.16), as zipfile packs them.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # "version needed to extract" and "made by": deflate, as zipfile writes it
_UNIX = 3
_UTF8_NAME = 0x800
_DOS_DATE = (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
_DOS_TIME = ZIP_DATE[3] << 11 | ZIP_DATE[4] << 5 | ZIP_DATE[5] // 2
#: zipfile switches to ZIP64 headers for files this large (never a bundle's).
_ZIP64_FROM = int(zipfile.ZIP64_LIMIT / 1.05)


#: (crc32, raw deflate at COMPRESS_LEVEL, bytes held) of file contents, by content; a file
#: bigger than a sixteenth of the memo is not worth keeping.
_DEFLATE_BYTES = 4 * 1024 * 1024
_DEFLATED = LRUCache[tuple[int, bytes, int]](
    sys.maxsize,
    max_weight=_DEFLATE_BYTES,
    weight=lambda entry: entry[2],
    max_entry_weight=_DEFLATE_BYTES // 16,
)


def _deflated(data: bytes) -> tuple[int, bytes]:
    """(crc32, raw deflate) of ``data``, computed once per content while remembered."""
    entry = _DEFLATED.get(data)
    if entry is None:
        compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        deflated = compressor.compress(data) + compressor.flush()
        entry = (zlib.crc32(data), deflated, len(data) + len(deflated))
        _DEFLATED.put(data, entry)
    return entry[0], entry[1]


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

    Nothing in ``dest`` is trusted. Every path is opened relative to the directory
    without following symlinks (a planted ``README.md -> ../victim`` is refused, never
    written through). Of a previous bundle (it holds checksums.txt) only what that
    bundle wrote is removed: a regular file its checksums.txt lists whose contents still
    have the listed sha256, never a dotfile or anything under a dot-directory (``.git``),
    so a planted checksums.txt cannot delete anything else. A path the new bundle writes
    that holds something else (a symlink, a directory, a file changed since, a file
    the previous bundle did not write) stops the write before anything changes, as
    does any other non-empty directory: cns never mixes a bundle into unrelated files.
    """
    _check_destination(dest)
    for rel in files:
        _check_bundle_path(rel)
    dest.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    root = os.open(dest, _DIR_FLAGS)
    try:
        previous = _previous_listing(root)
        removable = {rel for rel, digest in previous.items() if _is_ours(root, rel, digest)}
        conflicts = [
            rel for rel, data in sorted(files.items()) if not _writable(root, rel, data, removable)
        ]
        if conflicts:
            shown = ", ".join(conflicts[:3]) + (
                f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
            )
            raise InvalidRequestError(
                f"invalid --output {dest}: {shown} would be overwritten but "
                f"{'is' if len(conflicts) == 1 else 'are'} not unchanged files of the previous "
                "bundle (a symlink, a directory, a file edited since, or one the bundle did not "
                "write); move them away or choose a new directory",
                details={"paths": conflicts},
            )
        for rel in sorted(removable):
            if not _is_dotted(rel):
                _remove(root, rel)
        _unlink_if_regular(root, CHECKSUMS_FILE)
        for rel, data in sorted(files.items()):
            _write_file(root, rel, data)
    finally:
        os.close(root)


#: Open a directory without following a symlink in its place.
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CHECKSUM_LINE = re.compile(r"(?P<sha>[0-9a-f]{64})  (?P<path>.+)")


def _check_destination(dest: Path) -> None:
    where = dest.resolve()
    if where == Path.cwd() or where in Path.cwd().parents:
        raise InvalidRequestError(
            f"invalid --output {dest}: refusing to write a bundle into the current directory "
            "or one of its parents; use -o DIR (a new directory) or -o FILE.zip"
        )
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise InvalidRequestError(f"invalid --output {dest}: exists and is not a directory")
    listing = dest / CHECKSUMS_FILE
    is_bundle = listing.is_file() and not listing.is_symlink()
    if dest.is_dir() and any(dest.iterdir()) and not is_bundle:
        raise InvalidRequestError(
            f"invalid --output {dest}: the directory is not empty and is not a previous "
            "bundle (no checksums.txt); choose a new or empty directory"
        )


def _check_bundle_path(rel: str) -> None:
    """A bundle file's path: relative, no ``.``/``..``/empty segment, no dot-directory."""
    parts = rel.split("/")
    if (
        not rel
        or "\\" in rel
        or "\0" in rel
        or any(part in ("", ".", "..") for part in parts)
        or any(part.startswith(".") for part in parts[:-1])
        or parts[-1] == ".git"
    ):
        raise InvalidRequestError(f"invalid bundle file path {rel!r}: refusing to write it")


def _is_dotted(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.split("/"))


def _previous_listing(root: int) -> dict[str, str]:
    """Path -> sha256 of what the previous bundle's checksums.txt lists (if it is a file)."""
    data = _read_regular(root, CHECKSUMS_FILE)
    if data is None:
        return {}
    listed: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        match = _CHECKSUM_LINE.fullmatch(line)
        if match and match["path"] != CHECKSUMS_FILE:
            listed[match["path"]] = match["sha"]
    return listed


def _is_ours(root: int, rel: str, digest: str) -> bool:
    """Whether ``rel`` is a regular file the previous bundle wrote, unchanged since."""
    try:
        _check_bundle_path(rel)
    except InvalidRequestError:
        return False
    data = _read_regular(root, rel)
    return data is not None and hashlib.sha256(data).hexdigest() == digest


def _writable(root: int, rel: str, data: bytes, removable: set[str]) -> bool:
    """Whether the bundle may write ``rel``: nothing there, or ours to replace, or the same."""
    parent, name = _open_parent(root, rel)
    if parent is None:
        return name is not None  # a missing directory is fine, a non-directory is not
    assert name is not None  # an open parent always comes with the leaf's name
    try:
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return True
        if rel in removable or rel == CHECKSUMS_FILE:
            return stat.S_ISREG(info.st_mode)
        return _read_regular(root, rel) == data
    finally:
        os.close(parent)


def _open_parent(root: int, rel: str, *, create: bool = False) -> tuple[int | None, str | None]:
    """(fd of the directory holding ``rel``, leaf name), walking without following symlinks.

    ``(None, name)`` when a directory on the way is missing (and not created); ``(None,
    None)`` when something on the way is not a real directory.
    """
    *dirs, name = rel.split("/")
    fd = os.dup(root)
    for part in dirs:
        try:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, DIR_MODE, dir_fd=fd)
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            os.close(fd)
            return None, name
        except OSError:  # a symlink (ELOOP), a file (ENOTDIR)
            os.close(fd)
            return None, None
        os.close(fd)
        fd = child
    return fd, name


def _read_regular(root: int, rel: str) -> bytes | None:
    """The bytes of ``rel`` if it is a regular file reached without symlinks, else None."""
    parent, name = _open_parent(root, rel)
    if parent is None or name is None:
        return None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=parent)
    except OSError:
        return None
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


def _remove(root: int, rel: str) -> None:
    """Unlink the regular file ``rel``, then its directories as they become empty."""
    parts = rel.split("/")
    _unlink_if_regular(root, rel)
    for depth in range(len(parts) - 1, 0, -1):
        parent, name = _open_parent(root, "/".join(parts[:depth]))
        if parent is None or name is None:
            return
        try:
            os.rmdir(name, dir_fd=parent)
        except OSError:  # not empty (or not ours to remove): stop here
            return
        finally:
            os.close(parent)


def _unlink_if_regular(root: int, rel: str) -> None:
    parent, name = _open_parent(root, rel)
    if parent is None or name is None:
        return
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        pass
    finally:
        os.close(parent)


def _write_file(root: int, rel: str, data: bytes) -> None:
    """Create (or truncate) ``rel`` and write it; never through a symlink."""
    parent, name = _open_parent(root, rel, create=True)
    if parent is None or name is None:
        raise InvalidRequestError(f"cannot write {rel}: a directory on its path is not a directory")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(name, flags, file_mode(rel), dir_fd=parent)
    except OSError as exc:
        raise InvalidRequestError(f"cannot write {rel}: {exc.strerror or exc}") from None
    finally:
        os.close(parent)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), file_mode(rel))
        handle.write(data)
