"""OpenTelemetry tracing: off by default (nothing imported), on through the standard OTEL_*
variables; spans request -> recipe build -> bundle render -> zip (the SDK's in-memory
exporter), the trace id in the request's log lines, and OTLP export from real gunicorn
workers to a collector stand-in on loopback."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from cns_core.errors import InvalidRequestError
from cns_web import tracing
from tests.support.fleet import Instance, request

RECIPE = "/v1/recipe?service=eks&accelerator=gb200&intent=training"
PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{PARENT_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def traced(make_app: Any) -> Iterator[tuple[Flask, Any]]:
    """An app traced into the SDK's in-memory exporter, JSON logs kept in a buffer."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    app = make_app(CNS_LOG_LEVEL="info", CNS_LOG_FORMAT="json")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.instrument(app, provider)
    try:
        yield app, exporter
    finally:
        tracing.stop_tracing()


def log_lines(app: Flask) -> io.StringIO:
    """Route the app's log handler (access log included) into a buffer."""
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "_CNSHandler":
            handler.setStream(buffer)
    return buffer


def test_tracing_is_off_by_default_and_imports_nothing():
    code = (
        "import sys; from cns_web import create_app; app = create_app(); "
        "c = app.test_client(); c.get('/v1/recipe'); c.get('/v1/recipe'); "
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')), "
        "'cns.tracing' in app.extensions)"
    )
    env = {"PATH": "/usr/bin:/bin", "CNS_LOG_LEVEL": "warning"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["[]", "False"]


@pytest.mark.parametrize(
    ("env", "exporter"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, None),
    ],
)
def test_the_standard_variables_turn_it_on(env, exporter):
    assert tracing.requested_exporter(env) == exporter


def test_an_unknown_exporter_is_refused_naming_the_variable(make_app):
    with pytest.raises(InvalidRequestError, match="OTEL_TRACES_EXPORTER='zipkin'"):
        make_app(OTEL_TRACES_EXPORTER="zipkin")


def test_on_from_the_environment_every_request_goes_through_flask(make_app):
    app = make_app(OTEL_TRACES_EXPORTER="console")
    try:
        assert app.extensions["cns"].tracing
        assert type(app.extensions[tracing.EXTENSION]).__name__ == "TracerProvider"
    finally:
        tracing.stop_tracing()


def test_spans_from_request_to_recipe_build(traced):
    app, exporter = traced
    client = app.test_client()
    first = client.get(RECIPE, headers={"traceparent": TRACEPARENT})
    again = client.get(RECIPE)  # a cached recipe: still a request span (no answer before Flask)
    assert (first.status_code, again.status_code) == (200, 200)
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert names == ["cns.recipe.build", "GET /v1/recipe", "GET /v1/recipe"]
    build, request_span, cached = spans
    assert build.parent.span_id == request_span.context.span_id
    assert request_span.context.trace_id == int(PARENT_TRACE, 16)  # continues the caller's
    assert "service=eks, accelerator=gb200" in build.attributes["cns.criteria"]
    assert request_span.attributes["http.route"] == "/v1/recipe"
    assert cached.context.trace_id != request_span.context.trace_id


def test_spans_from_request_to_bundle_render_and_zip(traced):
    app, exporter = traced
    client = app.test_client()
    recipe = client.get(RECIPE).data
    exporter.clear()
    answer = client.post("/v1/bundle?deployer=argocd", data=recipe, content_type="application/json")
    assert answer.status_code == 200
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"POST /v1/bundle", "cns.bundle.render", "cns.bundle.zip"}
    server = spans["POST /v1/bundle"]
    assert spans["cns.bundle.render"].parent.span_id == server.context.span_id
    assert spans["cns.bundle.zip"].parent.span_id == server.context.span_id
    assert spans["cns.bundle.render"].attributes["cns.bundle.deployer"] == "argocd"
    assert spans["cns.bundle.zip"].attributes["cns.bundle.files"] > 5


def test_every_log_line_of_a_traced_request_has_its_trace_id(traced):
    app, exporter = traced
    logger = logging.getLogger("cns_web.test")

    @app.get("/test-log")
    def log_something() -> str:
        logger.warning("inside the request")
        return "ok"

    buffer = log_lines(app)
    client = app.test_client()
    client.get("/test-log", headers={"traceparent": TRACEPARENT})
    client.get("/v1/recipe?service=eks")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    inside = [line for line in lines if line["message"] == "inside the request"]
    access = [line for line in lines if line["logger"] == "cns_web.access"]
    assert len(inside) == 1 and len(access) == 2
    assert inside[0]["trace_id"] == access[0]["trace_id"] == PARENT_TRACE
    assert inside[0]["request_id"] == access[0]["request_id"]
    recipe_span = next(s for s in exporter.get_finished_spans() if s.name == "GET /v1/recipe")
    assert access[1]["trace_id"] == f"{recipe_span.context.trace_id:032x}"
    assert list(access[0])[:6] == ["time", "level", "logger", "message", "request_id", "trace_id"]


def test_text_log_lines_carry_the_trace_id_too(make_app):
    from opentelemetry.sdk.trace import TracerProvider

    app = make_app(CNS_LOG_LEVEL="info")
    tracing.instrument(app, TracerProvider())
    try:
        buffer = log_lines(app)
        response = app.test_client().get("/health", headers={"traceparent": TRACEPARENT})
        line = buffer.getvalue().strip()
        assert f"[{response.headers['X-Request-Id']} trace_id={PARENT_TRACE}]" in line
    finally:
        tracing.stop_tracing()


def test_lines_outside_a_traced_request_have_no_trace_id(make_app):
    buffer = log_lines(make_app(CNS_LOG_LEVEL="info", CNS_LOG_FORMAT="json"))
    logging.getLogger("cns_web.test").warning("no request")
    assert "trace_id" not in json.loads(buffer.getvalue())


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector stand-in: keeps every ExportTraceServiceRequest it receives."""

    received: list[bytes] = []  # noqa: RUF012 - one list per test run, reset by the test

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            self.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_gunicorn_workers_export_spans_over_otlp(tmp_path):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    _Collector.received = []
    collector = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_SERVICE_NAME": "cns-test",
        "CNS_LOG_FORMAT": "json",
    }
    server = Instance("traced", env, tmp_path)
    server.start()
    try:
        for _ in range(6):
            assert request(server.port, RECIPE).status == 200
        spans: list[Any] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum(s.name == "GET /v1/recipe" for s in spans) < 6:
            time.sleep(0.2)
            spans = []
            for body in list(_Collector.received):
                export = ExportTraceServiceRequest.FromString(body)
                for resource in export.resource_spans:
                    service = {a.key: a.value.string_value for a in resource.resource.attributes}
                    assert service["service.name"] == "cns-test"
                    spans += [s for scope in resource.scope_spans for s in scope.spans]
    finally:
        server.stop()
        collector.shutdown()
    names = [s.name for s in spans]
    assert names.count("GET /v1/recipe") == 6 and "cns.recipe.build" in names
    access = [json.loads(line) for line in server.log.read_text().splitlines() if "access" in line]
    traced_ids = {s.trace_id.hex() for s in spans}
    assert access and {line["trace_id"] for line in access} <= traced_ids
