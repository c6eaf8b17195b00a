"""``GET /v1/criteria`` (what can be asked: criteria values and overlays, as ``cns list``)
and ``GET /v1/query`` (one value of a recipe with its values resolved, as ``cns query``).

Both honour the server's allowlists: ``/v1/criteria`` lists only the values (and the
overlays) this server serves, and ``/v1/query`` refuses criteria outside them as
``/v1/recipe`` does.
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from cns_core.errors import UnavailableError
from cns_core.query import hydrate, is_scalar, scalar_text, select
from cns_core.recipes import RecipeStore, build_recipe
from cns_core.recipes.catalog import build_catalog
from cns_core.serialize import dump_json, dump_yaml

from ..cache import CachedBody
from ..extensions import ApiBlueprint, documented, load
from ..schemas import CatalogSchema, ErrorSchema, QueryArgsSchema
from ..state import ServiceState, service_state

bp = ApiBlueprint(
    "discover",
    __name__,
    description="What can be asked (criteria, overlays) and single values of a recipe.",
)

#: The catalog is one entry of the recipe-body cache (it changes only with the data).
CATALOG_KEY = ("cns.catalog",)
_query_args = QueryArgsSchema()
_NOT_MODIFIED = "Not modified: If-None-Match matched the ETag."


def _ready_store(state: ServiceState) -> RecipeStore:
    if state.store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    return state.store


@bp.route("/v1/criteria")
class CriteriaCatalog(MethodView):
    """The criteria values and the overlays."""

    init_every_request = False

    @documented(
        bp.response(200, CatalogSchema),
        bp.alt_response(304, description=_NOT_MODIFIED),
    )
    def get(self) -> Response:
        """Every criterion with its values and aliases, every overlay with what it matches
        and adds (values outside this server's allowlists are left out)."""
        state = service_state()
        store = _ready_store(state)

        def build() -> CachedBody:
            body = dump_json(build_catalog(store, state.settings.allowlists).to_dict())
            return CachedBody.of(
                body.encode("utf-8"), f"public, max-age={state.settings.cache_max_age}"
            )

        entry, _ = state.recipes.get_or_build(CATALOG_KEY, build)
        if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(
            entry.etag.strip('"')
        ):
            return Response(status=304, headers=entry.validators)
        return Response(entry.body, headers=entry.headers)


_QUERY_ANSWERS = {
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {"schema": {}},
        "application/yaml": {"schema": {}},
    }
}


@bp.route("/v1/query")
class Query(MethodView):
    """One value of the resolved recipe."""

    init_every_request = False

    @documented(
        bp.doc(
            parameters=[{"in": "query", "schema": QueryArgsSchema}],
            responses={
                "200": {
                    "description": "The value: a scalar as text/plain (unless format=json), "
                    "maps and lists as JSON (or YAML with format=yaml).",
                    **_QUERY_ANSWERS,
                }
            },
        ),
        bp.alt_response(400, schema=ErrorSchema, description="Invalid criteria or selector."),
        bp.alt_response(
            404,
            schema=ErrorSchema,
            description="Nothing at the selector: the message and `details.found` name the "
            "deepest part that exists.",
        ),
    )
    def get(self) -> Response:
        """The value at ``selector`` in the recipe for the criteria, each component's
        Helm values resolved as the bundle computes them."""
        state = service_state()
        store = _ready_store(state)
        criteria, selector, fmt = load(_query_args, request.args, "query parameters")
        state.settings.allowlists.check(criteria)
        value = select(hydrate(build_recipe(criteria, store), store), selector)
        headers = {"Cache-Control": f"public, max-age={state.settings.cache_max_age}"}
        if fmt == "json":
            return Response(dump_json(value), mimetype="application/json", headers=headers)
        if is_scalar(value):
            return Response(scalar_text(value) + "\n", mimetype="text/plain", headers=headers)
        if fmt == "yaml":
            return Response(dump_yaml(value), mimetype="application/yaml", headers=headers)
        return Response(dump_json(value), mimetype="application/json", headers=headers)
