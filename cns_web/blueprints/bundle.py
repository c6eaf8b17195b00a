"""``POST /v1/bundle``: a deployment bundle (Helm umbrella chart, Argo CD apps or Flux
HelmReleases) as a zip.

The body is a RecipeResult (JSON or YAML); the query carries the bundle options.
Bundles are built in memory (nothing touches the disk, so nothing half-written can
be served) and kept in a bounded LRU keyed by the body bytes and the parsed options:
a repeated request is answered from memory. A cached entry was built under the same
settings, so it already passed the allowlists.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from flask import Response, current_app, request
from flask.blueprints import BlueprintSetupState
from marshmallow import RAISE, Schema, fields, post_load

from cns_core.bundle import BundleOptions, Deployer, generate_bundle
from cns_core.errors import UnavailableError
from cns_core.recipes import RecipeResult
from cns_core.scheduling import SELECTOR_PATTERN, TOLERATION_PATTERN

from ..cache import CachedBundle, LRUCache, bundle_key
from ..extensions import ApiBlueprint
from ..middleware import check_deadline
from ..request_body import BODY_TYPES, body_format, read_body_document
from ..schemas import ErrorSchema, RecipeResultSchema
from ..state import service_state

bp = ApiBlueprint("bundle", __name__, description="Deployment bundle generation.")

CACHE_KEY = "cns.bundle_cache"
ZIP_NAME = "bundles.zip"
#: Bundles kept per worker: at most this many, and at most this many bytes of zips.
CACHE_ENTRIES = 128
CACHE_BYTES = 64 * 1024 * 1024
_TOLERATION_HELP = (
    "key=value:Effect, key=value, key:Effect, key, or * to tolerate every taint (repeatable)."
)


#: Patterns of the documented option values: ASCII subsets of what the parsers accept
#: (they also strip blanks, take effects in any case and Unicode in URLs and values).
#: Selector and toleration patterns come from cns_core.scheduling.
_SEGMENT = r"(?:[A-Za-z0-9_/-]|\\\.)+"
SET_PATTERN = rf"^[A-Za-z0-9][-A-Za-z0-9_.]*:{_SEGMENT}(?:\.{_SEGMENT})*=.+$"
BUNDLERS_PATTERN = r"^[-A-Za-z0-9_., ]*$"
_VISIBLE = "!-~"  # printable ASCII but space
REPO_PATTERN = (
    rf"^(?:(?:https?|ssh|git)://[!-.0-~]+(?:/[{_VISIBLE}]*)?"
    rf"|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[{_VISIBLE}]+)?$"
)


def _strings(
    description: str, pattern: str, data_key: str | None = None, **item: Any
) -> fields.List:
    """A repeatable string parameter whose items are documented by ``pattern`` (and ``item``).

    The parsers validate (with messages naming the bad item); the pattern documents them.
    """
    return fields.List(
        fields.String(metadata={"pattern": pattern, **item}),
        data_key=data_key,
        load_default=list,
        metadata={"description": description},
    )


class BundleQuerySchema(Schema):
    """Bundle options in the query string; every list parameter may be repeated."""

    class Meta:
        unknown = RAISE

    deployer = fields.String(
        load_default=Deployer.HELM.value,
        metadata={
            "description": "helm (umbrella chart), argocd (Applications) or flux "
            "(HelmReleases and a root kustomization).",
            "enum": [d.value for d in Deployer],
        },
    )
    repo = fields.String(
        load_default="",
        metadata={
            "description": "GitOps repository URL the Argo CD or Flux bundle is pushed to.",
            "pattern": REPO_PATTERN,
        },
    )
    set = _strings(
        "component:path=value value override (repeatable).",
        SET_PATTERN,
        minLength=1,
        example="gpu-operator:driver.version=580.105.08",
    )
    bundlers = _strings(
        "Components to include (names or aliases, comma lists allowed).", BUNDLERS_PATTERN
    )
    system_node_selector = _strings(
        "key=value for system components.", SELECTOR_PATTERN, "system-node-selector", minLength=1
    )
    system_node_toleration = _strings(
        _TOLERATION_HELP, TOLERATION_PATTERN, "system-node-toleration", minLength=1
    )
    accelerated_node_selector = _strings(
        "key=value for GPU node components.",
        SELECTOR_PATTERN,
        "accelerated-node-selector",
        minLength=1,
    )
    accelerated_node_toleration = _strings(
        _TOLERATION_HELP, TOLERATION_PATTERN, "accelerated-node-toleration", minLength=1
    )

    @post_load
    def to_options(self, data: dict[str, Any], **_: Any) -> BundleOptions:
        return BundleOptions.parse(sets=data.pop("set"), **data)


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


@bp.record_once
def _init_cache(setup: BlueprintSetupState) -> None:
    setup.app.extensions.setdefault(
        CACHE_KEY,
        LRUCache[CachedBundle](
            CACHE_ENTRIES, max_weight=CACHE_BYTES, weight=lambda entry: entry.weight
        ),
    )


@bp.route("/v1/bundle", methods=["POST"])
@bp.arguments(BundleQuerySchema(), location="query", as_kwargs=False)
@bp.doc(requestBody=_REQUEST_BODY)
@bp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/zip",
    headers=_BUNDLE_HEADERS,
    description="The bundle as a byte-deterministic zip.",
)
@bp.alt_response(400, schema=ErrorSchema, description="Invalid recipe or options.")
@bp.alt_response(415, schema=ErrorSchema, description="Unsupported Content-Type.")
def bundle(options: BundleOptions) -> Response:
    """Generate a deployment bundle from a recipe."""
    state = service_state()
    store = state.store
    if store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    fmt = body_format()
    key = bundle_key(fmt.value.encode() + b"\0" + request.get_data(cache=True), options)
    built: list[float] = []

    def build() -> CachedBundle:
        start = perf_counter()
        recipe = RecipeResult.from_dict(read_body_document("a RecipeResult"), source="request body")
        state.settings.allowlists.check(recipe.criteria)
        result = CachedBundle.of(generate_bundle(recipe, store, options))
        check_deadline("building the bundle")
        built.append(perf_counter() - start)
        return result

    result, _ = _cache().get_or_build(key, build)
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


def warnings_header(warnings: tuple[str, ...]) -> str:
    """One header value: the warnings joined by `` | ``, printable ASCII only."""
    text = " | ".join(" ".join(w.split()) for w in warnings)
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _cache() -> LRUCache[CachedBundle]:
    cache = current_app.extensions[CACHE_KEY]
    assert isinstance(cache, LRUCache)
    return cache
