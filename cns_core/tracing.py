"""Spans around the domain's units of work (recipe build, bundle render, zip), for whoever
traces: the web service installs an OpenTelemetry tracer (cns_web.tracing); the CLI does
not, and then :func:`span` is a shared no-op context manager. No tracing library is
imported here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

_NO_SPAN: AbstractContextManager[Any] = nullcontext()
_tracer: Any = None


def set_tracer(tracer: Any) -> None:
    """Trace with ``tracer`` (an OpenTelemetry ``Tracer``), or stop tracing with None."""
    global _tracer
    _tracer = tracer


def span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    """A span named ``name`` (the current span's child) while a tracer is set, else nothing."""
    tracer = _tracer
    if tracer is None:
        return _NO_SPAN
    return tracer.start_as_current_span(name, attributes=attributes)
