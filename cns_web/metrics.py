"""Prometheus metrics, correct under several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it before workers
fork), values live in per-process files and ``/metrics`` sums them across
workers (prometheus-flask-exporter's ``GunicornInternalPrometheusMetrics``); the
gunicorn ``child_exit`` hook marks dead workers. Without it (tests, ``flask run``)
a per-app registry is used. Labels are bounded: ``path`` is the route template and
unknown methods are reported as ``OTHER``.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

from cns_core import __version__

METRICS_PATH = "/metrics"
METRICS_ENDPOINT = "prometheus_metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: OpenAPI description of /metrics (served by prometheus-flask-exporter, outside flask-smorest).
METRICS_OPERATION = {
    "get": {
        "tags": ["health"],
        "summary": "Prometheus metrics, summed over all gunicorn workers.",
        "responses": {
            "200": {
                "description": "Prometheus text exposition format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    }
}
BUILD_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass
class Metrics:
    """The service's metric families."""

    requests: Counter
    duration: Histogram
    in_flight: Gauge
    rate_limit_rejects: Counter
    rate_limit_errors: Counter
    recipe_cache_hits: Counter
    recipe_cache_misses: Counter
    recipe_build_duration: Histogram

    _children: dict[tuple[str, str, int], tuple[Any, Any]] = field(default_factory=dict)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request (label children are looked up once, then reused)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def init_app(app: Flask) -> Metrics:
    """Create the metrics and serve them at ``/metrics`` (multiprocess-aware)."""
    if os.environ.get(MULTIPROC_ENV):
        GunicornInternalPrometheusMetrics(app, path=METRICS_PATH, export_defaults=False)
        registry: CollectorRegistry | None = None  # values go to the per-process files
    else:
        registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        PrometheusMetrics(app, path=METRICS_PATH, registry=registry, export_defaults=False)
    metrics = Metrics(
        requests=Counter(
            "cns_http_requests_total",
            "HTTP requests by method, route template and status.",
            ("method", "path", "status"),
            registry=registry,
        ),
        duration=Histogram(
            "cns_http_request_duration_seconds",
            "HTTP request duration by method and route template.",
            ("method", "path"),
            buckets=DURATION_BUCKETS,
            registry=registry,
        ),
        in_flight=Gauge(
            "cns_http_requests_in_flight",
            "HTTP requests being served.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        rate_limit_rejects=Counter(
            "cns_rate_limit_rejects_total", "Requests refused with 429.", registry=registry
        ),
        rate_limit_errors=Counter(
            "cns_rate_limit_errors_total",
            "Rate limiter failures (e.g. Redis unreachable); the service keeps answering.",
            registry=registry,
        ),
        recipe_cache_hits=Counter(
            "cns_recipe_cache_hits_total", "Recipes served from the cache.", registry=registry
        ),
        recipe_cache_misses=Counter(
            "cns_recipe_cache_misses_total", "Recipes built afresh.", registry=registry
        ),
        recipe_build_duration=Histogram(
            "cns_recipe_build_duration_seconds",
            "Time to build and serialise one recipe (cache misses).",
            buckets=BUILD_BUCKETS,
            registry=registry,
        ),
    )
    Gauge(
        "cns_build_info",
        "Version of the running service.",
        ("version", "python"),
        registry=registry,
        multiprocess_mode="max",
    ).labels(__version__, platform.python_version()).set(1)
    return metrics
