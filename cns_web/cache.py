"""Bounded in-process caches: recipe response bodies by criteria, parsed criteria by query string."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A JSON response body, its strong ETag (quoted, as sent) and its prebuilt headers.

    ``validators`` (ETag, Cache-Control) answer a 304; ``headers`` adds the Content-Type.
    """

    body: bytes
    etag: str
    validators: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, body: bytes, cache_control: str) -> CachedBody:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = (("ETag", etag), ("Cache-Control", cache_control))
        return cls(body, etag, validators, (("Content-Type", "application/json"), *validators))


class LRUCache(Generic[V]):
    """Least-recently-used cache holding at most ``size`` entries; ``size == 0`` disables it.

    Thread-safe (gthread workers). Building happens outside the lock: two threads
    missing the same key at once both build, and the results are identical.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value for ``key``, marked as recently used, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value``, evicting the least recently used entry when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> tuple[V, bool]:
        """``(value, hit)``: the cached value, or ``build()`` stored and returned."""
        value = self.get(key)
        if value is not None:
            return value, True
        value = build()
        self.put(key, value)
        return value, False

    def __len__(self) -> int:
        return len(self._entries)
