"""In-process cost of GET /v1/recipe versus the bare-Flask ceiling: no server, no network.

    .venv/bin/python -m bench.inprocess_recipe            # defaults (limiter on, access log on)
    CNS_RATE_LIMIT_ENABLED=false .venv/bin/python -m bench.inprocess_recipe
    .venv/bin/python -m bench.inprocess_recipe --traced   # OpenTelemetry on (in-memory spans)

Each app is called as a WSGI callable with a prebuilt environ; the best of several
batches is reported, which filters out noise from other jobs on the machine.
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import EnvironBuilder

from cns_web import create_app

from . import ceiling_app
from .bench_recipe import RECIPE_PATH

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def per_request_us(
    app: WSGIApp, environ: dict[str, Any], batches: int = 15, calls: int = 500
) -> float:
    """Best per-call time over ``batches`` batches, in microseconds."""

    def start_response(*_: Any) -> None:
        return None

    best = float("inf")
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(calls):
            body = app(dict(environ), start_response)
            b"".join(body)
            getattr(body, "close", lambda: None)()
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def traced(app: Any) -> None:
    """Trace ``app`` with the SDK, spans exported to nowhere (what a span costs us)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    from cns_web.tracing import instrument

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Discard()))
    instrument(app, provider)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--traced", action="store_true")
    opts = parser.parse_args()
    path, _, query = RECIPE_PATH.partition("?")
    cns = create_app({"CNS_RATE_LIMIT": "100000000 per 1 second"})
    if opts.traced:
        traced(cns)
    for handler in logging.getLogger().handlers:  # keep the access log, not the terminal noise
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(io.StringIO())
    ceiling = per_request_us(ceiling_app.app, EnvironBuilder(path=path).get_environ())
    ours = per_request_us(cns, EnvironBuilder(path=path, query_string=query).get_environ())
    print(f"ceiling {ceiling:.1f} us, cns {ours:.1f} us, overhead {ours - ceiling:.1f} us")


if __name__ == "__main__":
    main()
