"""``POST /v1/validate``: check a node's snapshot against a recipe's constraints.

The body (JSON or YAML) is ``{snapshot, recipe}`` or ``{snapshot, criteria}`` (or just
``{snapshot}``): with a recipe its constraints are checked; otherwise the recipe is
the one ``cns recipe --snapshot`` selects (criteria detected from the snapshot, the
given ones overriding them). The answer is the ValidationResult document of
``cns validate``, 200 whatever the outcome (``summary.status`` says it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from flask import Response

from cns_core.criteria import Criteria
from cns_core.errors import InvalidRequestError, UnavailableError
from cns_core.node_check import NodeCheck, check_node
from cns_core.serialize import dump_json
from cns_core.snapshot.model import Snapshot

from ..extensions import ApiBlueprint, documented, load
from ..middleware import check_deadline
from ..request_body import BODY_TYPES, read_body_document
from ..schemas import VALIDATE_REQUEST, CriteriaSchema, ErrorSchema, ValidationResultSchema
from ..state import ServiceState, service_state

bp = ApiBlueprint("validate", __name__, description="Validation of node snapshots.")

BODY_FIELDS = ("snapshot", "recipe", "criteria")
_criteria_schema = CriteriaSchema()
_REQUEST_BODY = {
    "required": True,
    "description": "{snapshot, recipe} or {snapshot, criteria} (or {snapshot}: criteria "
    "detected from it), as JSON or YAML.",
    "content": {media: {"schema": VALIDATE_REQUEST} for media in BODY_TYPES[:3]},
}


class ValidateRequest(NamedTuple):
    """A parsed body: the snapshot, and the recipe document or the criteria (or neither)."""

    snapshot: Snapshot
    recipe: Any = None
    criteria: Criteria | None = None


def parse_validate_request(doc: Any) -> ValidateRequest:
    """Check the body's shape and parse the snapshot and criteria (errors name the field)."""
    if not isinstance(doc, Mapping):
        raise InvalidRequestError(
            "request body: expected a mapping with snapshot and recipe or criteria"
        )
    unknown = sorted(str(k) for k in set(doc) - set(BODY_FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"request body: unknown field(s) {', '.join(unknown)}: valid fields are "
            f"{', '.join(BODY_FIELDS)}"
        )
    if doc.get("snapshot") is None:
        raise InvalidRequestError(
            "request body: snapshot is required (a Snapshot document, as cns snapshot writes it)"
        )
    recipe, raw_criteria = doc.get("recipe"), doc.get("criteria")
    if recipe is not None and raw_criteria is not None:
        raise InvalidRequestError(
            "request body: give recipe or criteria, not both (criteria select a recipe)"
        )
    criteria = None
    if raw_criteria is not None:
        if not isinstance(raw_criteria, Mapping):
            raise InvalidRequestError("request body: criteria must be a mapping of criteria fields")
        criteria = load(_criteria_schema, raw_criteria, "criteria")
    return ValidateRequest(Snapshot.from_dict(doc["snapshot"], source="snapshot"), recipe, criteria)


def run_check(
    state: ServiceState, request: ValidateRequest, *, snapshot_source: str, recipe_source: str = ""
) -> NodeCheck:
    """The node check for a parsed request, under the allowlists and the time budget."""
    store = state.store
    if store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    result = check_node(
        request.snapshot,
        store,
        recipe=request.recipe,
        criteria=request.criteria,
        recipe_source=recipe_source or ("request body: recipe" if request.recipe else ""),
        snapshot_source=snapshot_source,
    )
    if result.criteria is not None:
        state.settings.allowlists.check(result.criteria)
    check_deadline("validating the snapshot")
    return result


@bp.route("/v1/validate", methods=["POST"])
@documented(
    bp.doc(requestBody=_REQUEST_BODY),
    bp.response(200, ValidationResultSchema, description="The validation report."),
    bp.alt_response(400, schema=ErrorSchema, description="Invalid body, snapshot or criteria."),
    bp.alt_response(415, schema=ErrorSchema, description="Unsupported Content-Type."),
)
def validate() -> Response:
    """Check a snapshot against a recipe's constraints (passed / failed / skipped each)."""
    state = service_state()
    parsed = parse_validate_request(
        read_body_document("{snapshot, recipe} or {snapshot, criteria}")
    )
    result = run_check(state, parsed, snapshot_source="request body: snapshot")
    return Response(
        dump_json(result.report.to_dict()),
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )
