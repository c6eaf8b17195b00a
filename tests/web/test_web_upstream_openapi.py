"""Upstream's own OpenAPI document, driven against us: an upstream client never breaks us.

Upstream's document does not match upstream's code (``kind: Recipe``, ``INTERNAL_ERROR``,
``bundlers`` with a different meaning; see upstream-behavior.md §10), so response bodies
are not held to its schemas. What must hold for every request it describes: no 5xx, and
every answer is our JSON error body or the documented success.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cns_web import create_app
from tests.support.paths import SHARED

UPSTREAM_DOC = SHARED / "reference" / "upstream-openapi.yaml"
ERROR_FIELDS = {"code", "message", "requestId", "timestamp", "retryable"}

if not UPSTREAM_DOC.is_file():
    pytest.skip(f"upstream OpenAPI document not found at {UPSTREAM_DOC}", allow_module_level=True)

# Rate limit off: schemathesis sends far more requests than a client would.
_app = create_app({"CNS_LOG_LEVEL": "warning", "CNS_RATE_LIMIT_ENABLED": "false"})
schema = schemathesis.openapi.from_path(UPSTREAM_DOC)
schema.app = _app


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_upstream_clients_get_answers_never_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.text[:300],
    )
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= ERROR_FIELDS, body
        assert response.headers["x-request-id"][0]
    elif case.path == "/v1/recipe" and case.method in ("GET", "POST"):
        assert response.status_code in (200, 304), response.status_code
        if response.status_code == 200:
            assert response.json()["kind"] == "recipeResult"
