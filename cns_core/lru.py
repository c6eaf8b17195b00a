"""The one bounded least-recently-used cache of cns: the service's caches (cns_web) and
the bundle path's memos (YAML entry texts, deflated files) are instances of it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """Least-recently-used cache bounded by entries (``size``; 0 disables it) and, when
    ``weight`` is given, by the sum of the entries' weights (``max_weight`` bytes).

    Thread-safe. Building happens outside the lock: two threads missing the same key at
    once both build, and the results are identical. A value heavier than
    ``max_entry_weight`` (by default ``max_weight``) is returned but not kept.
    """

    def __init__(
        self,
        size: int,
        *,
        max_weight: int = 0,
        weight: Callable[[V], int] | None = None,
        max_entry_weight: int | None = None,
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self.max_entry_weight = max_weight if max_entry_weight is None else max_entry_weight
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
        if self._weight is not None and weight > self.max_entry_weight:
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

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._total = 0

    def __len__(self) -> int:
        return len(self._entries)


class IdentityMemo(Generic[V]):
    """Values derived from immutable objects (a store, a parsed recipe), found by those
    objects' identity and a hashable rest of the inputs, in ``cache`` (whose entries are
    ``(objects, value)``: a weight function sees both).

    An entry holds its objects, so their ids cannot be reused while it lives.
    """

    def __init__(self, cache: LRUCache[tuple[tuple[object, ...], V]]) -> None:
        self._cache = cache

    def get_or_build(
        self, objects: tuple[object, ...], rest: Hashable, build: Callable[[], V]
    ) -> V:
        """The value for ``objects`` (by identity) and ``rest``, or ``build()`` kept and
        returned."""
        key = (tuple(map(id, objects)), rest)
        hit = self._cache.get(key)
        if hit is not None and all(
            held is given for held, given in zip(hit[0], objects, strict=True)
        ):
            return hit[1]
        value = build()
        self._cache.put(key, (objects, value))
        return value

    def clear(self) -> None:
        """Forget every entry."""
        self._cache.clear()
