"""``GET /v1/recipe`` (criteria in the query) and ``POST /v1/recipe`` (a RecipeCriteria resource).

Both answer the exact bytes of ``cns recipe --format json`` for the same criteria,
with a strong ETag and ``Cache-Control: public``. The hot path does no parsing or
building twice: query strings map to validated queries through a bounded memo,
and queries map to finished response bodies through a bounded LRU.

``GET`` also takes the seed API's (eidos) vocabulary (:mod:`cns_web.query`): the node
facts ``osv``, ``kernel``, ``k8s`` exclude the overlays whose constraints they fail, as
``cns recipe --snapshot`` does, and ``context=true`` adds the explain trace.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from flask import Response, request
from flask.views import MethodView
from werkzeug.http import parse_etags

from cns_core.criteria import Criteria
from cns_core.errors import UnavailableError
from cns_core.nodefacts import NodeFacts
from cns_core.recipes import build_recipe
from cns_core.recipes.explain import Change, explain_entries
from cns_core.serialize import dump_json

from ..cache import CachedBody
from ..extensions import ApiBlueprint, documented, load
from ..middleware import check_deadline
from ..query import RecipeQuery
from ..request_body import BODY_TYPES, read_body_document
from ..schemas import ErrorSchema, RecipeCriteriaSchema, RecipeQuerySchema, RecipeResultSchema
from ..state import ServiceState, service_state

bp = ApiBlueprint("recipe", __name__, description="Recipes for GPU Kubernetes clusters.")

RECIPE_PATH = "/v1/recipe"

#: Longer query strings are validated every time instead of being remembered.
MAX_MEMO_QUERY = 512
_criteria_query = RecipeQuerySchema()
_criteria_resource = RecipeCriteriaSchema()
_RECIPE_HEADERS = {
    "ETag": {"description": "Strong validator of the body.", "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}, "example": "public, max-age=600"},
    "X-Request-Id": {"schema": {"type": "string"}},
    "X-RateLimit-Limit": {"schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}},
}
_REQUEST_BODY = {
    "required": True,
    "description": "A RecipeCriteria resource, as JSON or YAML.",
    "content": {media: {"schema": RecipeCriteriaSchema} for media in BODY_TYPES[:3]},
}
_NOT_MODIFIED = "Not modified: If-None-Match matched the ETag."
_NO_FACTS = NodeFacts()


@bp.route(RECIPE_PATH)
class Recipe(MethodView):
    """The recipe for some criteria."""

    init_every_request = False  # stateless: one instance serves every request

    @documented(
        bp.doc(parameters=[{"in": "query", "schema": RecipeQuerySchema}]),
        bp.response(200, RecipeResultSchema, headers=_RECIPE_HEADERS),
        bp.alt_response(304, description=_NOT_MODIFIED),
        bp.alt_response(400, schema=ErrorSchema, description="Invalid criteria."),
    )
    def get(self) -> Response:
        """Recipe for the criteria in the query string (omitted fields mean any).

        Also takes the seed API's (eidos) parameters: `ALL` means any, `osv`, `kernel`
        and `k8s` exclude the overlays whose constraints they fail (`excludedOverlays`,
        `constraintWarnings`), `context=true` adds `metadata.explain`.
        """
        state = service_state()
        query = query_from_request(state)
        if query.plain:
            return recipe_response(state, query.criteria)
        return recipe_response(state, query.criteria, facts=query.facts, context=query.context)

    @documented(
        bp.doc(requestBody=_REQUEST_BODY),
        bp.response(200, RecipeResultSchema, headers=_RECIPE_HEADERS),
        bp.alt_response(304, description=_NOT_MODIFIED),
        bp.alt_response(400, schema=ErrorSchema, description="Invalid body or criteria."),
        bp.alt_response(415, schema=ErrorSchema, description="Unsupported Content-Type."),
    )
    def post(self) -> Response:
        """Recipe for the criteria in a RecipeCriteria resource (JSON or YAML body)."""
        body = read_body_document("a RecipeCriteria resource")
        criteria = load(_criteria_resource, body, "recipe criteria")
        return recipe_response(service_state(), criteria)


def query_from_request(state: ServiceState) -> RecipeQuery:
    """The query string, validated by the schema once per distinct query."""
    memo = state.queries
    raw = request.query_string
    query = memo.get(raw)
    if query is None:
        query = load(_criteria_query, request.args, "query parameters")
        if len(raw) <= MAX_MEMO_QUERY:
            memo.put(raw, query)
    return query


def recipe_response(
    state: ServiceState,
    criteria: Criteria,
    *,
    facts: NodeFacts = _NO_FACTS,
    context: bool = False,
) -> Response:
    """The cached (or freshly built) recipe as a conditional, cacheable JSON response."""
    if state.store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    state.settings.allowlists.check(criteria)
    key: tuple[object, ...] = criteria.cache_key
    if facts or context:
        key = RecipeQuery(criteria, facts, context).cache_key
    entry, hit = state.recipes.get_or_build(
        key, lambda: _build(state, criteria, facts=facts, context=context)
    )
    (state.metrics.recipe_cache_hits if hit else state.metrics.recipe_cache_misses).inc()
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(
        entry.etag.strip('"')
    ):
        return Response(status=304, headers=entry.validators)
    return Response(entry.body, headers=entry.headers)


def cached_answer(
    state: ServiceState, environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """``GET /v1/recipe`` from the caches alone, without Flask: (status, headers, body), or None.

    Answers only a query string seen (and validated) before whose recipe is cached, with
    the bytes and headers the view sends for it (200, or 304 when If-None-Match matches);
    anything else (first sight, an error, a cache miss) is None: Flask answers it. A cached
    recipe passed the allowlists when it was built (the settings do not change).
    """
    query = state.queries.get(environ.get("QUERY_STRING", "").encode("latin-1"))
    if query is None:
        return None
    entry = state.recipes.get(query.criteria.cache_key if query.plain else query.cache_key)
    if entry is None:
        return None
    state.metrics.recipe_cache_hits.inc()
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None and parse_etags(if_none_match).contains_weak(
        entry.etag.strip('"')
    ):
        return "304 NOT MODIFIED", list(entry.validators), b""
    return "200 OK", list(entry.wire_headers), entry.body


def _build(
    state: ServiceState, criteria: Criteria, *, facts: NodeFacts, context: bool
) -> CachedBody:
    assert state.store is not None
    start = perf_counter()
    changes: list[Change] | None = [] if context else None
    evaluator = facts.evaluator() if facts else None
    result = build_recipe(criteria, state.store, evaluator=evaluator, explain=changes)
    doc = result.to_dict()
    if changes is not None:
        doc["metadata"]["explain"] = explain_entries(changes)
    body = dump_json(doc).encode("utf-8")
    state.metrics.recipe_build_duration.observe(perf_counter() - start)
    check_deadline("building the recipe")
    return CachedBody.of(body, f"public, max-age={state.settings.cache_max_age}")
