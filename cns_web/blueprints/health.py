"""``GET /health`` (liveness), ``GET /ready`` (readiness) and ``GET /`` (service information)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from cns_core import __version__

from ..errors import utc_timestamp
from ..extensions import ApiBlueprint
from ..schemas import HealthSchema, ServiceInfoSchema
from ..state import service_state

SERVICE_NAME = "cns"
NO_STORE = {"Cache-Control": "no-store"}

bp = ApiBlueprint("health", __name__, description="Liveness, readiness and service information.")


@bp.route("/health", methods=["GET"])
@bp.response(200, HealthSchema, description="The process is alive.")
def health() -> Any:
    """Liveness: 200 while the process can answer at all."""
    return {"status": "healthy", "timestamp": utc_timestamp()}, NO_STORE


@bp.route("/ready", methods=["GET"])
@bp.response(200, HealthSchema, description="Ready to serve traffic.")
@bp.alt_response(503, schema=HealthSchema, description="Not ready: loading, failed or stopping.")
def ready() -> Any:
    """Readiness: 503 until the recipe data is loaded, and again once shutdown has begun."""
    reason = service_state().not_ready_reason
    if reason is None:
        return {"status": "ready", "timestamp": utc_timestamp()}, NO_STORE
    body = {"status": "not_ready", "timestamp": utc_timestamp(), "reason": reason}
    return body, 503, NO_STORE


@bp.route("/", methods=["GET"])
@bp.response(200, ServiceInfoSchema, description="Service name, version and routes.")
def service_info() -> Any:
    """Name, version and the sorted list of routes (a browser gets the explorer page)."""
    from .ui import explore_page, prefers_html

    if prefers_html():
        return explore_page()
    routes = sorted(
        {rule.rule for rule in current_app.url_map.iter_rules() if rule.endpoint != "static"}
        - {"/"}
    )
    info = {"name": SERVICE_NAME, "service": SERVICE_NAME, "version": __version__, "routes": routes}
    return info, {"Vary": "Accept"}
