"""Bounded in-process caches of the service: one LRU for recipe response bodies (by
criteria), parsed criteria (by query string) and built bundles (by body and options).

What a cached bundle holds is only what its response needs (the zip and a few
headers), and the bundle cache is bounded by those bytes as well as by count.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cns_core.bundle import Bundle, BundleOptions

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A JSON response body, its strong ETag (quoted, as sent) and its prebuilt headers.

    ``validators`` (ETag, Cache-Control) answer a 304; ``headers`` adds the Content-Type;
    ``wire_headers`` are the headers of the 200 as Flask sends them (Content-Length last).
    """

    body: bytes
    etag: str
    validators: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    wire_headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, body: bytes, cache_control: str) -> CachedBody:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = (("ETag", etag), ("Cache-Control", cache_control))
        headers = (("Content-Type", "application/json"), *validators)
        return cls(body, etag, validators, headers, (*headers, ("Content-Length", str(len(body)))))


@dataclass(frozen=True, slots=True)
class CachedBundle:
    """What a bundle response needs, and nothing else (not the uncompressed files)."""

    zip: bytes
    checksum: str
    file_count: int
    size: int
    warnings: tuple[str, ...]

    @classmethod
    def of(cls, bundle: Bundle) -> CachedBundle:
        return cls(bundle.zip, bundle.checksum, bundle.file_count, bundle.size, bundle.warnings)

    @property
    def weight(self) -> int:
        """Bytes this entry holds (the zip dominates; the rest is a few small strings)."""
        return len(self.zip) + sum(len(w) for w in self.warnings) + 256


def body_digest(media: str, body: bytes) -> bytes:
    """sha256 of a request body's format and bytes: the body's key in the bundle caches."""
    return hashlib.sha256(media.encode() + b"\0" + body).digest()


def bundle_key(digest: bytes, options: BundleOptions) -> str:
    """sha256 of a body's :func:`body_digest` and the canonical JSON of the parsed options."""
    canonical = json.dumps(options.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(digest + b"\0" + canonical.encode()).hexdigest()


class LRUCache(Generic[V]):
    """Least-recently-used cache bounded by entries (``size``; 0 disables it) and, when
    ``weight`` is given, by the sum of the entries' weights (``max_weight`` bytes).

    Thread-safe (gthread workers). Building happens outside the lock: two threads
    missing the same key at once both build, and the results are identical. A value
    heavier than ``max_weight`` on its own is returned but not kept.
    """

    def __init__(
        self, size: int, *, max_weight: int = 0, weight: Callable[[V], int] | None = None
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self._weight = weight
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value for ``key``, marked as recently used, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value``, evicting least recently used entries past either bound."""
        if self.size <= 0:
            return
        weight = self._weight(value) if self._weight is not None else 0
        if self._weight is not None and weight > self.max_weight:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._entries[key] = (value, weight)
            self._total += weight
            while len(self._entries) > self.size or self._total > self.max_weight > 0:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._total -= dropped

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> tuple[V, bool]:
        """``(value, hit)``: the cached value, or ``build()`` stored and returned."""
        value = self.get(key)
        if value is not None:
            return value, True
        value = build()
        self.put(key, value)
        return value, False

    @property
    def weight(self) -> int:
        """Sum of the weights of the entries held."""
        return self._total

    def __len__(self) -> int:
        return len(self._entries)
