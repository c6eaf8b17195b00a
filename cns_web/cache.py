"""What the service's caches hold (cns_core.lru.LRUCache, per worker): recipe response
bodies (by criteria), parsed criteria (by query string) and built bundles (by body and
options).

What a cached bundle holds is only what its response needs (the zip and a few
headers), and the bundle cache is bounded by those bytes as well as by count.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cns_core.bundle import Bundle, BundleOptions


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
