"""Per-client rate limiting with flask-limiter: one limit per client IP shared by all routes.

The limit (``CNS_RATE_LIMIT``) is an application limit keyed by the client address
(``X-Forwarded-For`` counts only through ``CNS_TRUSTED_PROXIES``, see app.py), kept
in ``CNS_RATE_LIMIT_STORAGE`` (``memory://`` per worker, ``redis://`` shared).
``/health``, ``/ready`` and ``/metrics`` are exempt; requests to unknown paths
count too. A refused request is a ``RateLimitExceeded`` (429) that the app's JSON
error handler answers; flask-limiter adds ``Retry-After`` and ``X-RateLimit-*``.

If the storage fails (Redis down), flask-limiter keeps answering with the same
limits in memory per worker and retries the storage with a back-off; its
warnings and errors go to the ``cns_web.ratelimit`` logger and are counted in
``cns_rate_limit_errors_total``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter._limits import RuntimeLimit
from prometheus_client import Counter

from .config import Settings
from .metrics import METRICS_ENDPOINT, Metrics

log = logging.getLogger("cns_web.ratelimit")

#: Endpoints never limited: probes and metrics must answer under load.
EXEMPT_ENDPOINTS = ("health.health", "health.ready", METRICS_ENDPOINT)
#: The request identity of unknown paths, so that they are limited like any route.
UNMATCHED_ENDPOINT = "<unmatched>"
REDIS_TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
KEY_PREFIX = "cns"


class ParsedApplicationLimit(ApplicationLimit):
    """An application limit whose string is parsed once instead of on every request.

    flask-limiter iterates each limit group per request, re-parsing its string
    and rebuilding the runtime limits; ours is fixed at startup, so the result is kept.
    """

    def __iter__(self) -> Iterator[RuntimeLimit]:
        parsed = self.__dict__.get("_parsed")
        if parsed is None:
            parsed = self.__dict__["_parsed"] = tuple(super().__iter__())
        return iter(parsed)


class _FailureLog(logging.LoggerAdapter[logging.Logger]):
    """flask-limiter's logger for one app: its warnings and errors are limiter failures."""

    def __init__(self, errors: Counter) -> None:
        super().__init__(log, {})
        self.errors = errors

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if level >= logging.WARNING:
            self.errors.inc()
        super().log(level, msg, *args, **kwargs)


def client_address() -> str:
    """The rate-limit key: the client IP (ProxyFix has applied the trusted hops)."""
    return request.environ.get("REMOTE_ADDR") or "unknown"


def request_identity() -> str:
    """flask-limiter skips requests without an endpoint; unknown paths are limited too."""
    return request.endpoint or UNMATCHED_ENDPOINT


def init_rate_limit(app: Flask, settings: Settings, metrics: Metrics) -> Limiter:
    """Install flask-limiter on ``app`` with the ``CNS_RATE_LIMIT*`` settings."""
    redis = settings.rate_limit_storage.startswith("redis")

    def count_reject(_limit: RequestLimit) -> None:
        metrics.rate_limit_rejects.inc()

    limiter = Limiter(
        client_address,
        application_limits=[ParsedApplicationLimit(limit_provider=settings.rate_limit)],
        headers_enabled=True,
        strategy=settings.rate_limit_strategy,
        storage_uri=settings.rate_limit_storage,
        storage_options=dict(REDIS_TIMEOUTS) if redis else {},
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        on_breach=count_reject,
        key_prefix=KEY_PREFIX,
        request_identifier=request_identity,
    )
    limiter.logger = _FailureLog(metrics.rate_limit_errors)  # type: ignore[assignment]
    limiter.init_app(app)
    for endpoint in EXEMPT_ENDPOINTS:
        limiter.exempt(app.view_functions[endpoint])
    return limiter
