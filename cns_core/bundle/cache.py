"""A bounded, thread-safe LRU of built bundles keyed by recipe and options."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable

from .generate import Bundle
from .options import BundleOptions


def bundle_key(recipe: bytes, options: BundleOptions) -> str:
    """sha256 of the recipe document's bytes and the canonical JSON of the parsed options."""
    canonical = json.dumps(options.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(recipe + b"\0" + canonical.encode()).hexdigest()


class BundleCache:
    """Keeps the most recently used bundles, up to ``max_entries`` and ``max_bytes`` of zip."""

    def __init__(self, max_entries: int = 128, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Bundle] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_build(self, key: str, build: Callable[[], Bundle]) -> Bundle:
        """The cached bundle for ``key``, or ``build()``'s (zip computed before caching)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        bundle = build()
        size = len(bundle.zip)
        if size <= self.max_bytes and self.max_entries > 0:
            with self._lock:
                self._store(key, bundle, size)
        return bundle

    def _store(self, key: str, bundle: Bundle, size: int) -> None:
        if key in self._items:
            return
        self._items[key] = bundle
        self._bytes += size
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self._bytes -= len(evicted.zip)
