"""Per-client rate limiting on the ``limits`` library (the engine inside flask-limiter).

Same limit strings, strategies and storage URIs as flask-limiter (``memory://``,
``redis://`` shared by all workers), but one lean hook per request: flask-limiter's
generic request hook re-resolves its limit groups on every request and measured
~150 µs per request here, more than the whole budget of the 0.85x-bare-Flask
target (see docs/benchmarks.md). This hook does one storage hit plus one window
read (one Redis round trip each).

If the storage fails (Redis down), the limiter keeps answering: it logs a
warning, counts ``cns_rate_limit_errors_total`` and enforces the same limits
per worker in memory, retrying the storage after a back-off.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from flask import Request, Response
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

from cns_core.errors import CNSError, ErrorCode

from .config import Settings
from .metrics import METRICS_ENDPOINT, Metrics

log = logging.getLogger("cns_web.ratelimit")

#: Endpoints never limited: probes and metrics must answer under load.
EXEMPT_ENDPOINTS = frozenset({"health.health", "health.ready", METRICS_ENDPOINT})
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
RETRY_STORAGE_AFTER = (1.0, 30.0)  # first and longest back-off, seconds
_STATE = "cns.ratelimit"
KEY_PREFIX = "cns"


class RateLimitExceededError(CNSError):
    """429: the client used up its limit; Retry-After says when to come back."""

    code = ErrorCode.RATE_LIMIT_EXCEEDED


@dataclass(frozen=True, slots=True)
class Window:
    """What the response headers report: the limit, what is left, when it resets."""

    limit: int
    remaining: int
    reset: int


class ClientRateLimiter:
    """Applies ``CNS_RATE_LIMIT`` per client IP to every route except the exempt ones."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.items: list[RateLimitItem] = sorted(parse_many(settings.rate_limit))
        self.description = settings.rate_limit
        options = REDIS_TIMEOUTS if settings.rate_limit_storage.startswith("redis") else {}
        storage = storage_from_string(settings.rate_limit_storage, **options)
        self.primary: RateLimiter = STRATEGIES[settings.rate_limit_strategy](storage)
        self.fallback: RateLimiter = STRATEGIES[settings.rate_limit_strategy](MemoryStorage())
        self.metrics = metrics
        self._lock = threading.Lock()
        self._primary_down_until = 0.0
        self._backoff = RETRY_STORAGE_AFTER[0]

    def check(self, req: Request) -> None:
        """Count the request against its client's limit; raise 429 if it is over."""
        if req.endpoint in EXEMPT_ENDPOINTS:
            return
        window, breached = self.hit(req.remote_addr or "unknown")
        req.environ[_STATE] = window
        if breached:
            self.metrics.rate_limit_rejects.inc()
            raise RateLimitExceededError(
                f"rate limit exceeded ({self.description} per client): retry after "
                f"{_retry_after(window)} s",
                details={"limit": window.limit, "rule": self.description},
            )

    @staticmethod
    def add_headers(req: Request, response: Response) -> None:
        """X-RateLimit-Limit/Remaining/Reset on every limited answer, Retry-After on a 429."""
        window: Window | None = req.environ.get(_STATE)
        if window is not None:
            headers = response.headers
            headers.add("X-RateLimit-Limit", str(window.limit))
            headers.add("X-RateLimit-Remaining", str(window.remaining))
            headers.add("X-RateLimit-Reset", str(window.reset))
            if response.status_code == 429:
                headers["Retry-After"] = str(_retry_after(window))

    def hit(self, client: str) -> tuple[Window, bool]:
        """Count one request for ``client``: its tightest window and whether a limit is breached."""
        if time.monotonic() >= self._primary_down_until:
            try:
                result = self._hit(self.primary, client)
            except Exception as exc:
                self._storage_failed(exc)
            else:
                if self._primary_down_until:
                    self._storage_recovered()
                return result
        return self._hit(self.fallback, client)

    def _hit(self, strategy: RateLimiter, client: str) -> tuple[Window, bool]:
        for item in self.items:
            if not strategy.hit(item, KEY_PREFIX, client):
                return self._window(strategy, item, client), True
        return self._window(strategy, self.items[0], client), False

    @staticmethod
    def _window(strategy: RateLimiter, item: RateLimitItem, client: str) -> Window:
        stats = strategy.get_window_stats(item, KEY_PREFIX, client)
        return Window(item.amount, max(0, stats.remaining), math.ceil(stats.reset_time))

    def _storage_failed(self, exc: Exception) -> None:
        self.metrics.rate_limit_errors.inc()
        with self._lock:
            wait = self._backoff
            self._primary_down_until = time.monotonic() + wait
            self._backoff = min(wait * 2, RETRY_STORAGE_AFTER[1])
        log.warning(
            "rate-limit storage failed (%s: %s): limiting per worker in memory, retrying in %.0f s",
            type(exc).__name__,
            exc,
            wait,
        )

    def _storage_recovered(self) -> None:
        with self._lock:
            self._primary_down_until = 0.0
            self._backoff = RETRY_STORAGE_AFTER[0]
        log.warning("rate-limit storage recovered: limits are shared again")


def _retry_after(window: Window) -> int:
    return max(1, math.ceil(window.reset - time.time()))
