"""OS collector: kernel command line, sysctl values, loaded modules and os-release.

Every path is read under ``root`` (``/`` in production, a fake tree in tests) but
reported as the absolute path on the node (``/proc/sys/kernel/osrelease``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ...errors import InvalidRequestError, NotFoundError
from ..model import Measurement, MeasurementType, Reading, Subtype

MAX_FILE_BYTES = 1024 * 1024
SYSCTL_ROOT = "/proc/sys"
SYSCTL_EXCLUDED = ("/proc/sys/net/", "/proc/sys/dev/cdrom/")
OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")
GRUB_DROPPED_KEYS = ("root",)

log = logging.getLogger(__name__)


def collect_os(root: str | Path = "/") -> Measurement:
    """The OS measurement: subtypes ``grub``, ``sysctl``, ``kmod`` and ``release``, in that order.

    A source the host does not have (containers often lack ``/proc/modules``) gives an
    empty subtype and a warning; an unreadable or malformed one is an error.
    """
    base = Path(root)
    subtypes: list[tuple[str, Callable[[Path], dict[str, Reading]]]] = [
        ("grub", collect_grub),
        ("sysctl", collect_sysctl),
        ("kmod", collect_kmod),
        ("release", collect_release),
    ]
    return Measurement(MeasurementType.OS, [Subtype(n, _or_empty(n, f, base)) for n, f in subtypes])


def _or_empty(
    name: str, collect: Callable[[Path], dict[str, Reading]], root: Path
) -> dict[str, Reading]:
    try:
        return collect(root)
    except NotFoundError as exc:
        log.warning("OS %s: %s; the subtype is empty", name, exc)
        return {}


def read_text(path: Path, shown: str) -> str:
    """A small UTF-8 text file, or InvalidRequestError / NotFoundError saying why not."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(f"{shown}: no such file") from None
    except OSError as exc:
        raise InvalidRequestError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"{shown}: not valid UTF-8") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRequestError(f"{shown}: larger than {MAX_FILE_BYTES} bytes")
    return text


def parse_lines(text: str, delimiter: str | None = "\n") -> list[str]:
    """Split, trim, and drop empty parts and ``#`` comments."""
    parts = text.split(delimiter)
    return [p.strip() for p in parts if p.strip() and not p.strip().startswith("#")]


def parse_map(parts: list[str], *, trim: str = "", skip_empty: bool = False) -> dict[str, str]:
    """``key=value`` parts into a map (a bare ``key`` maps to ``""``; a later key wins)."""
    out: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        value = value.strip().strip(trim)
        if skip_empty and (not sep or not value):
            continue
        out[key.strip()] = value
    return out


def collect_grub(root: Path) -> dict[str, Reading]:
    """Kernel boot parameters from ``/proc/cmdline`` (``root=`` dropped; flags map to ``""``)."""
    params = parse_map(parse_lines(read_text(root / "proc/cmdline", "/proc/cmdline"), None))
    return {k: v for k, v in params.items() if k not in GRUB_DROPPED_KEYS}


def collect_sysctl(root: Path) -> dict[str, Reading]:
    """Every readable ``/proc/sys`` value outside ``net``; unreadable files are skipped."""
    top = root / SYSCTL_ROOT.lstrip("/")
    if not top.is_dir():
        raise NotFoundError(f"{SYSCTL_ROOT}: no such directory (is this a Linux host?)")
    out: dict[str, Reading] = {}
    for directory, subdirs, files in os.walk(top, onerror=_raise):
        shown_dir = SYSCTL_ROOT + directory[len(str(top)) :]
        subdirs[:] = sorted(d for d in subdirs if not _excluded(f"{shown_dir}/{d}/"))
        for name in sorted(files):
            path, shown = Path(directory, name), f"{shown_dir}/{name}"
            if path.is_symlink() or _excluded(shown):
                continue
            try:
                lines = parse_lines(read_text(path, shown))
            except (InvalidRequestError, NotFoundError):
                continue
            out.update(_sysctl_entries(shown, lines))
    return out


def _sysctl_entries(shown: str, lines: list[str]) -> dict[str, Reading]:
    if len(lines) <= 1:
        return {shown: lines[0] if lines else ""}
    fields = [line.split() for line in lines]
    if all(len(f) >= 2 for f in fields):
        return {f"{shown}/{f[0]}": " ".join(f[1:]) for f in fields}
    return {shown: "\n".join(lines)}


def _excluded(shown: str) -> bool:
    return shown.startswith(SYSCTL_EXCLUDED)


def _raise(error: OSError) -> None:
    raise InvalidRequestError(f"cannot walk {SYSCTL_ROOT}: {error.strerror or error}")


def collect_kmod(root: Path) -> dict[str, Reading]:
    """Loaded kernel modules from ``/proc/modules``, each mapped to ``true``."""
    lines = parse_lines(read_text(root / "proc/modules", "/proc/modules"))
    return {line.split()[0]: True for line in lines}


def collect_release(root: Path) -> dict[str, Reading]:
    """``/etc/os-release`` (or ``/usr/lib/os-release`` when the first does not exist)."""
    for shown in OS_RELEASE_FILES:
        path = root / shown.lstrip("/")
        if path.exists():
            return dict(parse_map(parse_lines(read_text(path, shown)), trim="\"'", skip_empty=True))
    raise NotFoundError(f"no os-release file: looked for {' and '.join(OS_RELEASE_FILES)}")
