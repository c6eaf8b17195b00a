"""``POST /v1/bundle``: a deployment bundle (Helm umbrella chart, Argo CD apps or Flux
HelmReleases) as a zip.

The body is a RecipeResult (JSON or YAML); the query carries the bundle options.
Bundles are built in memory (nothing touches the disk, so nothing half-written can
be served) and kept in a bounded LRU keyed by the body bytes and the parsed options:
a repeated request is answered from memory. A cached entry was built under the same
settings, so it already passed the allowlists.

What one request can cost is bounded: the body's size, nesting and number of keys
(request_body), the number of components (cns_core), the request's time budget
(checked before each component is planned, so an over-budget build stops early), and at
most ``CNS_MAX_BUNDLE_BUILDS`` builds at once per worker (503 with Retry-After past it).
"""

from __future__ import annotations

import threading
from time import perf_counter

from flask import Response, current_app, request
from flask.blueprints import BlueprintSetupState
from webargs.multidictproxy import MultiDictProxy

from cns_core.bundle import generate_bundle
from cns_core.errors import UnavailableError
from cns_core.lru import LRUCache
from cns_core.recipes import RecipeResult
from cns_core.serialize import Format

from ..cache import CachedBundle, body_digest, bundle_key
from ..extensions import ApiBlueprint, documented, load
from ..middleware import check_deadline
from ..request_body import BODY_TYPES, body_format, parse_body, read_body_bytes
from ..schemas import BundleQuerySchema, ErrorSchema, RecipeResultSchema
from ..state import service_state

bp = ApiBlueprint("bundle", __name__, description="Deployment bundle generation.")
_QUERY = BundleQuerySchema()

CACHE_KEY = "cns.bundle_cache"
BODIES_KEY = "cns.bundle_bodies"
SLOTS_KEY = "cns.bundle_slots"
ZIP_NAME = "bundles.zip"
#: Bundles kept per worker: at most this many, and at most this many bytes of zips.
CACHE_ENTRIES = 128
CACHE_BYTES = 8 * 1024 * 1024
#: Recipes parsed from bodies, kept per worker (bodies repeat with other options: each
#: CI job posts its recipe with its own --set values): entries, and bytes of bodies.
BODY_ENTRIES = 32
BODY_BYTES = 2 * 1024 * 1024
_BUNDLE_HEADERS = {
    "Content-Disposition": {
        "schema": {"type": "string"},
        "example": f'attachment; filename="{ZIP_NAME}"',
    },
    "X-Bundle-Files": {"description": "Number of files in the zip.", "schema": {"type": "integer"}},
    "X-Bundle-Size": {"description": "Uncompressed bytes.", "schema": {"type": "integer"}},
    "X-Bundle-Cache": {"description": "hit or miss.", "schema": {"type": "string"}},
    "X-Bundle-Warnings": {
        "description": "Present when the bundle has warnings (what a chart cannot do that the "
        "options asked for, what to do by hand): the warnings joined by ' | ', ASCII only. "
        "The zip holds them in warnings.txt.",
        "schema": {"type": "string"},
    },
    "ETag": {"description": "sha256 of the zip.", "schema": {"type": "string"}},
}
_REQUEST_BODY = {
    "required": True,
    "description": "A RecipeResult (the output of /v1/recipe), as JSON or YAML.",
    "content": {media: {"schema": RecipeResultSchema} for media in BODY_TYPES[:3]},
}


class BuildSlots:
    """At most ``limit`` bundle builds at once in this worker; past it, 503 at once
    (a waiting build would still hold one of the worker's threads)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)

    def __enter__(self) -> BuildSlots:
        if not self._semaphore.acquire(blocking=False):
            raise UnavailableError(
                f"this worker is already building {self.limit} bundle(s) "
                "(CNS_MAX_BUNDLE_BUILDS): retry after Retry-After seconds",
                details={"limit": self.limit},
            )
        return self

    def __exit__(self, *_: object) -> None:
        self._semaphore.release()


@bp.record_once
def _init_cache(setup: BlueprintSetupState) -> None:
    setup.app.extensions.setdefault(
        CACHE_KEY,
        LRUCache[CachedBundle](
            CACHE_ENTRIES, max_weight=CACHE_BYTES, weight=lambda entry: entry.weight
        ),
    )
    setup.app.extensions.setdefault(
        BODIES_KEY,
        LRUCache[ParsedBody](BODY_ENTRIES, max_weight=BODY_BYTES, weight=lambda entry: entry[1]),
    )
    state = setup.app.extensions["cns"]
    setup.app.extensions.setdefault(SLOTS_KEY, BuildSlots(state.settings.max_bundle_builds))


@bp.route("/v1/bundle", methods=["POST"])
@documented(
    bp.arguments(_QUERY, location="query", as_kwargs=False),
    bp.doc(requestBody=_REQUEST_BODY),
    bp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/zip",
        headers=_BUNDLE_HEADERS,
        description="The bundle as a byte-deterministic zip.",
    ),
    bp.alt_response(400, schema=ErrorSchema, description="Invalid recipe or options."),
    bp.alt_response(413, schema=ErrorSchema, description="Body over CNS_MAX_BODY_BYTES."),
    bp.alt_response(415, schema=ErrorSchema, description="Unsupported Content-Type."),
    bp.alt_response(
        503, schema=ErrorSchema, description="Not ready, or CNS_MAX_BUNDLE_BUILDS builds running."
    ),
    bp.alt_response(504, schema=ErrorSchema, description="Past CNS_REQUEST_TIMEOUT."),
)
def bundle() -> Response:
    """Generate a deployment bundle from a recipe."""
    options = load(_QUERY, MultiDictProxy(request.args, _QUERY), "query parameters")
    state = service_state()
    store = state.store
    if store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    fmt = body_format()
    raw = read_body_bytes()  # the stream is read once (chunked bodies have no other copy)
    digest = body_digest(fmt.value, raw)
    built: list[float] = []

    def build() -> CachedBundle:
        with _slots():
            start = perf_counter()
            recipe = _recipe_of(raw, fmt, digest)
            state.settings.allowlists.check(recipe.criteria)
            generated = generate_bundle(recipe, store, options, checkpoint=check_deadline)
            check_deadline("zipping the bundle")
            result = CachedBundle.of(generated)
            check_deadline("building the bundle")
            built.append(perf_counter() - start)
            return result

    result, _ = _cache().get_or_build(bundle_key(digest, options), build)
    headers = {
        "Content-Disposition": f'attachment; filename="{ZIP_NAME}"',
        "X-Bundle-Files": str(result.file_count),
        "X-Bundle-Size": str(result.size),
        "X-Bundle-Cache": "miss" if built else "hit",
        "ETag": f'"{result.checksum}"',
    }
    if result.warnings:
        headers["X-Bundle-Warnings"] = warnings_header(result.warnings)
    return Response(result.zip, status=200, mimetype="application/zip", headers=headers)


#: A recipe parsed from a body, and the body's size (its weight in the memo).
ParsedBody = tuple[RecipeResult, int]


def _recipe_of(raw: bytes, fmt: Format, digest: bytes) -> RecipeResult:
    """The RecipeResult a body holds (``digest``: its :func:`body_digest`), parsed once per
    distinct body (an invalid one is refused every time: errors are not remembered)."""

    def parse() -> ParsedBody:
        doc = parse_body(raw, fmt, "a RecipeResult")
        check_deadline("parsing the request body")
        return RecipeResult.from_dict(doc, source="request body"), len(raw)

    bodies: LRUCache[ParsedBody] = current_app.extensions[BODIES_KEY]
    return bodies.get_or_build(digest, parse)[0][0]


def warnings_header(warnings: tuple[str, ...]) -> str:
    """One header value: the warnings joined by `` | ``, printable ASCII only."""
    text = " | ".join(" ".join(w.split()) for w in warnings)
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _slots() -> BuildSlots:
    slots = current_app.extensions[SLOTS_KEY]
    assert isinstance(slots, BuildSlots)
    return slots


def _cache() -> LRUCache[CachedBundle]:
    cache = current_app.extensions[CACHE_KEY]
    assert isinstance(cache, LRUCache)
    return cache
