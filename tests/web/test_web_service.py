"""Service routes, the error body, request ids, headers, body cap, logs and readiness."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from cns_core import __version__
from tests.support.errors import TIMESTAMP, assert_error


def test_root_lists_name_version_and_sorted_routes(client):
    body = client.get("/").json
    assert body["name"] == body["service"] == "cns"
    assert body["version"] == __version__
    assert body["routes"] == sorted(body["routes"])
    assert {"/v1/recipe", "/health", "/ready", "/metrics", "/openapi.json"} <= set(body["routes"])
    assert "/" not in body["routes"]


def test_health_and_ready(client):
    health = client.get("/health")
    ready = client.get("/ready")
    assert health.status_code == ready.status_code == 200
    assert health.json["status"] == "healthy" and TIMESTAMP.fullmatch(health.json["timestamp"])
    assert ready.json["status"] == "ready"
    assert health.headers["Cache-Control"] == "no-store"


def test_ready_is_503_once_shutdown_begins(app):
    client = app.test_client()
    app.extensions["cns"].begin_shutdown()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json["status"] == "not_ready"
    assert response.json["reason"] == "shutting down"
    assert client.get("/health").status_code == 200


def test_ready_is_503_when_data_fails_to_load_and_only_the_log_says_why(make_app, tmp_path, caplog):
    data = tmp_path / "srv-secret-data"
    data.mkdir()
    (data / "registry.yaml").write_text("components: [\n")
    client = make_app(CNS_DATA_DIR=str(data)).test_client()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json["reason"] == "recipe data failed to load (the service log has the reason)"
    recipe = client.get("/v1/recipe")
    assert recipe.status_code == 503 and "failed to load" in recipe.json["message"]
    for body in (response.data, recipe.data):
        assert b"srv-secret-data" not in body and b"registry.yaml" not in body
    assert "registry.yaml" in caplog.text


@pytest.mark.parametrize(
    "path", ["/nope", "/v1/recipe/", "/v1/recipes", "/v2/recipe", "/v1/bundle/x"]
)
def test_unknown_paths_are_404_never_a_fallback(client, path):
    body = assert_error(client.get(path), 404, "NOT_FOUND")
    assert body["details"] == {"path": path}
    assert "GET /" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/recipe", "GET, HEAD, POST"),
        ("PUT", "/v1/recipe", "GET, HEAD, POST"),
        ("POST", "/health", "GET, HEAD"),
        ("POST", "/", "GET, HEAD"),
        ("OPTIONS", "/v1/recipe", "GET, HEAD, POST"),
        ("OPTIONS", "/v1/bundle", "POST"),
    ],
)
def test_wrong_method_is_405_with_allow(client, method, path, allowed):
    body = assert_error(client.open(path, method=method), 405, "METHOD_NOT_ALLOWED")
    assert body["details"] == {"method": method, "allowed": allowed.split(", ")}


def test_405_response_carries_allow_header(client):
    assert client.delete("/v1/recipe").headers["Allow"] == "GET, HEAD, POST"


def test_body_over_the_cap_is_413_before_parsing(make_app):
    client = make_app(CNS_MAX_BODY_BYTES="64").test_client()
    body = assert_error(
        client.post("/v1/recipe", data="{" + " " * 100 + "}", content_type="application/json"),
        413,
        "PAYLOAD_TOO_LARGE",
    )
    assert body["details"]["limit"] == 64
    assert "CNS_MAX_BODY_BYTES" in body["message"]


def test_unexpected_exception_is_a_500_without_internals_logged_with_the_id(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    with caplog.at_level("ERROR", logger="cns_web.errors"):
        response = app.test_client().get("/boom", headers={"X-Request-Id": "trace-123"})
    body = assert_error(response, 500, "INTERNAL")
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "trace-123" in body["message"]
    assert body["retryable"] is True
    record = next(r for r in caplog.records if r.name == "cns_web.errors")
    assert record.request_id == "trace-123"
    assert "secret internal detail" in str(record.exc_info[1])


@pytest.mark.parametrize(
    "incoming",
    [
        "550e8400-e29b-41d4-a716-446655440000",
        "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
        "{550e8400-e29b-41d4-a716-446655440000}",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "abc",
    ],
)
def test_safe_request_id_is_echoed(client, incoming):
    assert (
        client.get("/health", headers={"X-Request-Id": incoming}).headers["X-Request-Id"]
        == incoming
    )


@pytest.mark.parametrize("incoming", ["", "a b", "x" * 65, "<script>", "id\u00e9", "-leading"])
def test_unsafe_request_id_is_replaced_by_a_uuid(client, incoming):
    echoed = client.get("/health", headers={"X-Request-Id": incoming}).headers["X-Request-Id"]
    assert echoed != incoming
    assert uuid.UUID(echoed).version == 4


def test_every_response_has_a_distinct_request_id(client):
    ids = {
        client.get(path).headers["X-Request-Id"] for path in ("/", "/health", "/nope", "/v1/recipe")
    }
    assert len(ids) == 4


def test_security_headers_on_json_responses(client):
    for response in (client.get("/v1/recipe"), client.get("/nope"), client.get("/health")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert (
            response.headers["Content-Security-Policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
        assert response.headers["X-API-Version"] == "v1"
        assert "Retry-After" not in response.headers


def test_docs_page_is_html_with_its_own_policy(client):
    from cns_web.blueprints.apidocs import DOCS_CSP

    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers.getlist("Content-Security-Policy") == [DOCS_CSP]
    assert 'src="docs/init.js"' in response.get_data(as_text=True)


def test_docs_assets_come_from_the_pinned_swagger_ui_package(client):
    from swagger_ui_bundle import swagger_ui_path

    response = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.get_data() == (swagger_ui_path / "swagger-ui-bundle.js").read_bytes()
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    script = client.get("/docs/init.js")
    assert script.status_code == 200 and b"SwaggerUIBundle(" in script.get_data()
    for path in ("/docs/swagger-ui/index.html", "/docs/swagger-ui/..%2Fsetup.cfg", "/docs/"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing.json["code"] == "NOT_FOUND"


def test_access_log_has_method_route_status_duration_and_request_id(make_app, capsys):
    client = make_app(CNS_LOG_LEVEL="info").test_client()
    client.get("/v1/recipe?service=eks", headers={"X-Request-Id": "req-42"})
    line = next(li for li in capsys.readouterr().err.splitlines() if "cns_web.access" in li)
    assert "[req-42]" in line
    assert "GET /v1/recipe 200" in line
    assert re.search(r"\d+\.\d\dms$", line)


def test_json_logs_carry_request_id_and_access_fields(make_app, capsys):
    client = make_app(CNS_LOG_LEVEL="info", CNS_LOG_FORMAT="json").test_client()
    client.get("/v1/recipe/x", headers={"X-Request-Id": "req-7"})
    records = [json.loads(li) for li in capsys.readouterr().err.splitlines() if li.startswith("{")]
    access = next(r for r in records if r["logger"] == "cns_web.access")
    assert access["request_id"] == "req-7"
    assert access["method"] == "GET"
    assert access["route"] == "<unmatched>"
    assert access["path"] == "/v1/recipe/x"
    assert access["status"] == 404
    assert access["duration_ms"] >= 0
    assert access["level"] == "info" and access["service"] == "cns"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", access["time"])


def test_text_access_log_escapes_control_characters(make_app, capsys):
    """A path with CR/LF, ANSI escapes or NUL cannot forge a log line or a terminal sequence."""
    client = make_app(CNS_LOG_LEVEL="info", CNS_LOG_FORMAT="text").test_client()
    forged = "/x%0a2026-12-01T00:00:00.000Z%20INFO%20[-]%20cns_web.access:%20GET%20/admin%20200"
    client.get(forged + "%0d%1b[31m%00")
    lines = [li for li in capsys.readouterr().err.splitlines() if "cns_web.access" in li]
    assert len(lines) == 1
    assert "\\n2026-12-01" in lines[0] and "\\x1b[31m" in lines[0] and "\\x00" in lines[0]
    assert "\x1b" not in lines[0] and "\x00" not in lines[0] and "\r" not in lines[0]


def test_head_request_has_no_body(client):
    response = client.head("/v1/recipe?service=eks")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"]
