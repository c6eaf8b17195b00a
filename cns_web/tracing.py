"""OpenTelemetry tracing of the service, off by default (docs/configuration.md, "Tracing").

On when the standard variables ask for it: ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` set (spans go to that collector over OTLP/HTTP), or
``OTEL_TRACES_EXPORTER`` set to ``otlp`` or ``console``; ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none`` keep it off. Then opentelemetry-instrumentation-flask opens
a server span per request (continuing a ``traceparent`` it receives), cns_core's spans
(``cns.recipe.build``, ``cns.bundle.render``, ``cns.bundle.zip``) are its children, and
every log line of the request carries its ``trace_id``.

Off, nothing of OpenTelemetry is imported, and the request path is the same as without
this module (the cached-recipe answer before Flask included). On, cached recipes go
through Flask too, so that every request has its span.

Under gunicorn the app is loaded in the master before the fork: the batch exporter's
thread is started lazily, in each worker, by the first span it ends there.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from cns_core import __version__
from cns_core import tracing as core_tracing
from cns_core.errors import InvalidRequestError

EXTENSION = "cns.tracing"
EXPORTERS = ("otlp", "console", "none")
ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

log = logging.getLogger("cns_web.tracing")
_active = False


def requested_exporter(env: Mapping[str, Any]) -> str | None:
    """The span exporter the environment asks for (``otlp``, ``console``), or None: off."""
    if str(env.get("OTEL_SDK_DISABLED", "")).strip().lower() == "true":
        return None
    exporter = str(env.get("OTEL_TRACES_EXPORTER", "")).strip().lower()
    if exporter and exporter not in EXPORTERS:
        raise InvalidRequestError(
            f"OTEL_TRACES_EXPORTER={exporter!r} is not supported: use {', '.join(EXPORTERS)}"
        )
    if exporter == "none":
        return None
    if exporter:
        return exporter
    return "otlp" if any(str(env.get(name, "")).strip() for name in ENDPOINTS) else None


def init_app(app: Flask, env: Mapping[str, Any]) -> Any:
    """Trace ``app`` when ``env`` asks for it: its TracerProvider, or None (tracing off)."""
    exporter = requested_exporter(env)
    if exporter is None:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider

    resource = Resource.create(
        {SERVICE_NAME: str(env.get("OTEL_SERVICE_NAME") or "cns"), SERVICE_VERSION: __version__}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(_per_process_batch(exporter))
    instrument(app, provider)
    return provider


def instrument(app: Flask, provider: Any) -> None:
    """Trace ``app``'s requests and cns_core's work with ``provider`` (tests pass their own)."""
    global _active
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
    core_tracing.set_tracer(provider.get_tracer("cns"))
    app.extensions[EXTENSION] = provider
    app.extensions["cns"].tracing = True  # cached recipes go through Flask, and its span
    _active = True


def stop_tracing() -> None:
    """cns_core stops tracing (tests: an instrumented app's provider is theirs)."""
    global _active
    core_tracing.set_tracer(None)
    _active = False


def current_trace_id() -> str | None:
    """The trace id of the span in progress (32 hex digits), or None (none, or tracing off)."""
    if not _active:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


def _per_process_batch(exporter: str) -> Any:
    """A span processor making one BatchSpanProcessor per process, on the first span ended
    in it: after the fork and after gevent's monkey patching, so that its thread and
    sockets are the worker's own."""
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    class PerProcessBatch(SpanProcessor):
        def __init__(self) -> None:
            self._pid = -1
            self._inner: Any = None
            self._lock = threading.Lock()

        def _processor(self) -> Any:
            if self._pid != os.getpid():
                with self._lock:
                    if self._pid != os.getpid():
                        self._inner = BatchSpanProcessor(_make_exporter(exporter))
                        self._pid = os.getpid()
            return self._inner

        def on_end(self, span: Any) -> None:
            self._processor().on_end(span)

        def shutdown(self) -> None:
            if self._inner is not None and self._pid == os.getpid():
                self._inner.shutdown()

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            if self._inner is None or self._pid != os.getpid():
                return True
            return bool(self._inner.force_flush(timeout_millis))

    return PerProcessBatch()


def _make_exporter(name: str) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout: the OTEL_EXPORTER_OTLP_* variables
