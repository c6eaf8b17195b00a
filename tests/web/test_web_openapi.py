"""The OpenAPI document: generated from the schemas, served, and obeyed (schemathesis)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from cns_web import create_app

# Rate limit off: schemathesis sends far more requests than a client would.
_app = create_app({"CNS_LOG_LEVEL": "warning", "CNS_RATE_LIMIT_ENABLED": "false"})
# POST /v1/bundle is fuzzed by the bundle tests, which own its parameter formats.
schema = schemathesis.openapi.from_wsgi("/openapi.json", _app).exclude(path="/v1/bundle")


def test_document_describes_every_route_and_the_upstream_operations(client):
    doc = client.get("/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/", "/health", "/ready", "/metrics", "/v1/recipe"} <= set(doc["paths"])
    recipe = doc["paths"]["/v1/recipe"]
    names = [p["name"] for p in recipe["get"]["parameters"]]
    assert names == ["service", "accelerator", "gpu", "intent", "os", "nodes"]
    assert set(recipe["post"]["requestBody"]["content"]) == {
        "application/json",
        "application/yaml",
        "application/x-yaml",
    }
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {
        "code",
        "message",
        "details",
        "requestId",
        "timestamp",
        "retryable",
    }


def test_document_is_deterministic(client):
    assert client.get("/openapi.json").data == client.get("/openapi.json").data


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_own_document(case):
    """No 5xx, documented statuses, headers and bodies matching their schemas.

    The document lists the canonical enum values; the API also accepts any case,
    aliases (``al2023``, ``self-managed``) and blanks (= any), as upstream does, so
    "invalid data accepted" is not a failure here.
    """
    case.call_and_validate(excluded_checks=[negative_data_rejection])
