"""A disk cache of the embedded recipe data's parsed documents, for the command line.

Every ``cns`` run would parse the ~45 embedded YAML documents (registry, base, overlays)
again: a third of ``cns recipe``'s own time. The command line (and only it:
:func:`enable`, called by ``cns_core.cli.main``) keeps them, as JSON, in
``$XDG_CACHE_HOME/cns`` (default ``~/.cache/cns``), keyed by a digest of every embedded
file's path and bytes, the cns version and the YAML reader's source file: a cache
written for other data, another reader or by hand is never used, whatever it holds.

Only documents of plain JSON data are kept (dicts with string keys, lists, strings,
integers, finite floats, booleans, null; checked, then read back and compared), so a
document read from the cache is the one a parse would give. Any problem (no cache
directory, not writable, a corrupt or foreign file) means the documents are parsed, as
without a cache. External data (``--data`` / ``CNS_DATA_DIR``) is always parsed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: bumped when the file's layout or what it holds changes
CACHE_FORMAT = 1
CACHE_FILE = "recipe-documents.json"

_enabled = False


def enable(on: bool = True) -> None:
    """Use the disk cache in this process (the command line does)."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


def cache_dir() -> str | None:
    """``$XDG_CACHE_HOME/cns`` (an absolute XDG_CACHE_HOME only, as the spec says), else
    ``~/.cache/cns``; None when there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "cns")


def cache_key(files: Mapping[str, str]) -> str:
    """Digest of every file's path and text, the cns version, the cache format and the
    YAML reader's source (its size and mtime: a changed reader parses afresh)."""
    from .. import __version__, serialize

    try:  # hashlib's BLAKE2 without hashlib's OpenSSL import (2 ms of start-up)
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - CPython always builds _blake2
        from hashlib import blake2b

    digest = blake2b(digest_size=32)
    try:
        reader = os.stat(serialize.__file__)
        reader_id = f"{reader.st_size}:{reader.st_mtime_ns}"
    except (OSError, TypeError):
        reader_id = "?"
    digest.update(f"cns {__version__} format {CACHE_FORMAT} reader {reader_id}\0".encode())
    for rel in sorted(files):
        data = files[rel].encode("utf-8", "surrogatepass")
        digest.update(f"{len(rel)}:{rel}{len(data)}:".encode("utf-8", "surrogatepass"))
        digest.update(data)
    return digest.hexdigest()


def documents(
    files: Mapping[str, str], names: Iterable[str], parse: Callable[[str], Any]
) -> dict[str, Any]:
    """``{name: parse(name)}`` for ``names`` (paths in ``files``), from the cache when it
    holds them for exactly these ``files``; parsed (and cached, when plain) otherwise."""
    wanted = list(names)
    if not _enabled:
        return {name: parse(name) for name in wanted}
    directory = cache_dir()
    key = cache_key(files)
    path = os.path.join(directory, CACHE_FILE) if directory else None
    if path is not None:
        cached = _read(path, key, wanted)
        if cached is not None:
            return cached
    parsed = {name: parse(name) for name in wanted}
    if path is not None:
        _write(path, key, parsed)
    return parsed


def _read(path: str, key: str, names: list[str]) -> dict[str, Any] | None:
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            held = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return None
    if type(held) is not dict or held.get("format") != CACHE_FORMAT or held.get("key") != key:
        return None
    docs = held.get("documents")
    if type(docs) is not dict or set(docs) != set(names) or len(docs) != len(names):
        return None
    return {name: docs[name] for name in names}


def _write(path: str, key: str, docs: dict[str, Any]) -> None:
    """Write the cache atomically (a temporary file renamed over it); never raises."""
    import json
    import threading

    if not is_plain(docs):
        return
    try:
        text = json.dumps({"format": CACHE_FORMAT, "key": key, "documents": docs})
        if json.loads(text)["documents"] != docs:
            return
    except (ValueError, RecursionError):
        return
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def is_plain(value: Any) -> bool:
    """Whether ``value`` is plain JSON data that ``json`` reads back as the same types
    (no tuples, no bool-for-int surprises, no NaN or infinity, string keys only)."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            if any(type(k) is not str for k in node):
                return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is float:
            if node != node or node in (float("inf"), float("-inf")):
                return False
        elif kind not in (str, int, bool, type(None)):
            return False
    return True
