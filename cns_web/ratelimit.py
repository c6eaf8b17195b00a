"""Per-client rate limiting with flask-limiter: one limit per client IP shared by all routes.

The limit (``CNS_RATE_LIMIT``) is a flask-limiter application limit keyed by the client
address (``X-Forwarded-For`` counts only through ``CNS_TRUSTED_PROXIES``, see app.py),
kept in ``CNS_RATE_LIMIT_STORAGE`` (``memory://`` or ``redis://``) with the configured
strategy. ``/health``, ``/ready`` and ``/metrics`` are exempt; requests to unknown paths
count too. A refused request is flask-limiter's ``RateLimitExceeded`` (429), answered by
the app's JSON error handler; every limited answer carries ``X-RateLimit-Limit``,
``-Remaining`` and ``-Reset`` (and a 429 ``Retry-After``), computed as flask-limiter does.

flask-limiter is configured and initialised as usual (storage, strategy, key prefix,
in-memory fallback), but its per-request hooks are replaced by :class:`RateLimitGate`,
which the WSGI middleware calls before Flask: it uses the limiter's own objects directly
(one ``hit`` per limit, then one window read for the headers), without flask-limiter's
generic per-request resolution of route, blueprint, default and meta limits (~135 µs a
request, docs/benchmarks.md), and so also guards the cached answers the middleware gives
without entering Flask.

Several workers without Redis: ``memory://`` counts are per process, so with W gunicorn
workers each worker enforces ``amount // W`` (at least 1) of every limit, and the
service as a whole never lets more than the configured limit through (a client whose
requests all land on one worker gets that worker's share). The headers and the 429 body
state the share the answering worker enforces. ``redis://`` holds one count for all.

If the storage fails (Redis down), the gate keeps answering with the same limits in
flask-limiter's in-memory fallback storage (per worker, the full limit) and re-checks the
storage after 1, 2, 4 … 32 s, as flask-limiter does; warnings and errors go to the
``cns_web.ratelimit`` logger and are counted in ``cns_rate_limit_errors_total``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_limiter._limits import RuntimeLimit
from flask_limiter.constants import MAX_BACKEND_CHECKS
from limits import RateLimitItem
from limits.storage import MemoryStorage
from prometheus_client import Counter

from .config import Settings
from .metrics import METRICS_ENDPOINT, METRICS_PATH, Metrics

log = logging.getLogger("cns_web.ratelimit")

#: Endpoints never limited, and their paths: probes and metrics must answer under load.
EXEMPT_ENDPOINTS = ("health.health", "health.ready", METRICS_ENDPOINT)
EXEMPT_PATHS = frozenset({"/health", "/ready", METRICS_PATH})
REDIS_TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
KEY_PREFIX = "cns"
#: The environ key under which the gate leaves the breached limit for the 429 hook.
BREACHED = "cns.rate_limit_breached"
LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)

Headers = list[tuple[str, str]]


class ParsedApplicationLimit(ApplicationLimit):
    """An application limit whose string is parsed once instead of on every iteration."""

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


class RateLimitGate:
    """The per-request check of flask-limiter's application limits, on its own objects.

    :meth:`check` counts one request of a client and returns the headers to add and the
    breached limit, if any. What a limit breach, a storage failure and a recovery do is
    what flask-limiter's own hooks do (same keys, strategy, headers, fallback, back-off).
    """

    def __init__(self, limiter: Limiter, limits: list[RuntimeLimit], metrics: Metrics) -> None:
        self.limiter = limiter
        #: In flask-limiter's order of evaluation: shortest window first.
        self.full = tuple(sorted(limits, key=lambda lim: lim.limit))
        self.limits = self.full
        self.memory = isinstance(limiter.storage, MemoryStorage)
        self.fallback = bool(limiter._in_memory_fallback_enabled)
        self.rejects = metrics.rate_limit_rejects
        self._checks = 0
        self._last_check = time.time()

    def share(self, workers: int) -> None:
        """Enforce ``1/workers`` of each limit (``memory://`` only: Redis counts for all)."""
        if not self.memory or workers <= 1:
            self.limits = self.full
            return
        self.limits = tuple(
            dataclasses.replace(lim, limit=_scaled(lim.limit, workers)) for lim in self.full
        )

    def check(self, client: str) -> tuple[Headers, RuntimeLimit | None]:
        """Count one request of ``client``: (rate-limit headers, the breached limit or None)."""
        try:
            return self._hit(client)
        except Exception:
            limiter = self.limiter
            if self.fallback and not limiter._storage_dead:
                limiter.logger.warning(
                    "Rate limit storage unreachable - falling back to in-memory storage"
                )
                limiter._storage_dead = True
                try:
                    return self._hit(client)
                except Exception:
                    pass
            limiter.logger.exception("Failed to rate limit. Swallowing error")
            return [], None

    def _hit(self, client: str) -> tuple[Headers, RuntimeLimit | None]:
        limiter = self.limiter
        limits = self.limits
        if limiter._storage_dead:
            if self._storage_recovered():
                limiter.logger.info("Rate limit storage recovered")
                limiter._storage_dead = False
                self._checks = 0
            else:
                limits = self.full  # the fallback counts in this worker alone: the full limit
        strategy = limiter.limiter  # the fallback's while the storage is dead
        args = (KEY_PREFIX, client, "global")
        breached = None
        for lim in limits:
            if not strategy.hit(lim.limit, *args):
                breached = lim
                log.info("ratelimit %s (%s) exceeded", lim.limit, client)
                self.rejects.inc()
                break
        shown = breached or limits[0]
        reset_time, remaining = strategy.get_window_stats(shown.limit, *args)
        reset_at = int(reset_time + 1)
        headers = [
            (LIMIT_HEADER, str(shown.limit.amount)),
            (REMAINING_HEADER, str(remaining)),
            (RESET_HEADER, str(reset_at)),
        ]
        if breached is not None:
            headers.append(("Retry-After", str(int(reset_at - time.time()))))
        return headers, breached

    def _storage_recovered(self) -> bool:
        """flask-limiter's back-off: try the storage after 1, 2, 4 … 32 s, then start over."""
        if self._checks > MAX_BACKEND_CHECKS:
            self._checks = 0
        now = time.time()
        if now - self._last_check <= 2**self._checks:
            return False
        self._last_check = now
        self._checks += 1
        return bool(self.limiter.storage.check())


def _scaled(item: RateLimitItem, workers: int) -> RateLimitItem:
    return type(item)(max(1, item.amount // workers), item.multiples, item.namespace)


def init_app(app: Flask, settings: Settings, metrics: Metrics) -> RateLimitGate:
    """flask-limiter with the ``CNS_RATE_LIMIT*`` settings, checked per request by the gate.

    The limiter is initialised on ``app`` (so it is there for flask-limiter's tooling);
    its own before/after-request hooks are removed: the gate does their work.
    """
    redis = settings.rate_limit_storage.startswith("redis")
    limiter = Limiter(
        lambda: "",  # unused: the gate keys requests by REMOTE_ADDR itself
        application_limits=[ParsedApplicationLimit(limit_provider=settings.rate_limit)],
        headers_enabled=True,
        strategy=settings.rate_limit_strategy,
        storage_uri=settings.rate_limit_storage,
        storage_options=dict(REDIS_TIMEOUTS) if redis else {},
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix=KEY_PREFIX,
    )
    limiter.logger = _FailureLog(metrics.rate_limit_errors)  # type: ignore[assignment]
    before = (
        list(app.before_request_funcs.get(None, [])),
        list(app.after_request_funcs.get(None, [])),
    )
    teardown = list(app.teardown_request_funcs.get(None, []))
    limiter.init_app(app)
    added = (
        len(app.before_request_funcs[None]) - len(before[0]),
        len(app.after_request_funcs[None]) - len(before[1]),
        len(app.teardown_request_funcs[None]) - len(teardown),
    )
    if added != (1, 1, 1):  # a flask-limiter that hooks in differently: fail loudly, not twice
        raise RuntimeError(f"unexpected flask-limiter hooks {added}: update cns_web.ratelimit")
    app.before_request_funcs[None], app.after_request_funcs[None] = before
    app.teardown_request_funcs[None] = teardown
    for endpoint in EXEMPT_ENDPOINTS:
        limiter.exempt(app.view_functions[endpoint])
    limits = [lim for group in limiter.limit_manager._application_limits for lim in group]
    gate = RateLimitGate(limiter, limits, metrics)
    app.extensions["cns.ratelimit"] = gate
    return gate


def refuse_breached() -> None:
    """Flask hook: a request the gate refused is answered as flask-limiter's 429."""
    breached = request.environ.get(BREACHED)
    if breached is not None:
        raise RateLimitExceeded(breached)


def share_among_workers(app: Any, workers: int) -> None:
    """gunicorn hook: this worker is one of ``workers`` (see the module docstring)."""
    gate = app.extensions.get("cns.ratelimit") if isinstance(app, Flask) else None
    if isinstance(gate, RateLimitGate):
        gate.share(workers)
