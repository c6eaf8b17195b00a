"""``POST /v1/bundle``: a deployment bundle (Helm umbrella chart or Argo CD apps) as a zip.

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
from marshmallow import RAISE, Schema, fields, post_load, validate

from cns_core.bundle import (
    Bundle,
    BundleCache,
    BundleOptions,
    Deployer,
    bundle_key,
    generate_bundle,
)
from cns_core.errors import UnavailableError
from cns_core.recipes import RecipeResult

from ..bodies import BODY_TYPES, body_format, read_body_document
from ..extensions import ApiBlueprint
from ..middleware import check_deadline
from ..schemas import ErrorSchema, RecipeResultSchema
from ..state import service_state

bp = ApiBlueprint("bundle", __name__, description="Deployment bundle generation.")

CACHE_KEY = "cns.bundle_cache"
ZIP_NAME = "bundles.zip"
_TOLERATION_HELP = (
    "key=value:Effect, key=value, key:Effect, key, or * to tolerate every taint (repeatable)."
)


def _strings(description: str, data_key: str | None = None) -> fields.List:
    return fields.List(
        fields.String(), data_key=data_key, load_default=list, metadata={"description": description}
    )


class BundleQuerySchema(Schema):
    """Bundle options in the query string; every list parameter may be repeated."""

    class Meta:
        unknown = RAISE

    deployer = fields.String(
        load_default=Deployer.HELM.value,
        validate=validate.Length(min=1),
        metadata={
            "description": "helm (umbrella chart) or argocd (Applications).",
            "enum": [d.value for d in Deployer],
        },
    )
    repo = fields.String(
        load_default="",
        metadata={"description": "GitOps repository URL the Argo CD bundle is pushed to."},
    )
    set = _strings("component:path=value value override, e.g. gpu-operator:driver.version=1.")
    bundlers = _strings("Components to include (names or aliases, comma lists allowed).")
    system_node_selector = _strings("key=value for system components.", "system-node-selector")
    system_node_toleration = _strings(_TOLERATION_HELP, "system-node-toleration")
    accelerated_node_selector = _strings(
        "key=value for GPU node components.", "accelerated-node-selector"
    )
    accelerated_node_toleration = _strings(_TOLERATION_HELP, "accelerated-node-toleration")

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
    "ETag": {"description": "sha256 of the zip.", "schema": {"type": "string"}},
}
_REQUEST_BODY = {
    "required": True,
    "description": "A RecipeResult (the output of /v1/recipe), as JSON or YAML.",
    "content": {media: {"schema": RecipeResultSchema} for media in BODY_TYPES[:3]},
}


@bp.record_once
def _init_cache(setup: BlueprintSetupState) -> None:
    setup.app.extensions.setdefault(CACHE_KEY, BundleCache())


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

    def build() -> Bundle:
        start = perf_counter()
        recipe = RecipeResult.from_dict(read_body_document("a RecipeResult"), source="request body")
        state.settings.allowlists.check(recipe.criteria)
        result = generate_bundle(recipe, store, options)
        check_deadline("building the bundle")
        built.append(perf_counter() - start)
        return result

    result = _cache().get_or_build(key, build)
    return Response(
        result.zip,
        status=200,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{ZIP_NAME}"',
            "X-Bundle-Files": str(result.file_count),
            "X-Bundle-Size": str(result.size),
            "X-Bundle-Cache": "miss" if built else "hit",
            "ETag": f'"{result.checksum}"',
        },
    )


def _cache() -> BundleCache:
    cache = current_app.extensions[CACHE_KEY]
    assert isinstance(cache, BundleCache)
    return cache
