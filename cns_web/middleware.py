"""Per-request plumbing: request ids, body cap, time budget, security headers, metrics, access log.

The rate limit check runs after the id is assigned, so a refused request has one,
and the after-request step runs on every response, errors included. This is the
hot path of every request: per-request values live in the WSGI environ and the
hooks close over the app's state instead of going through Flask's proxies.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from cns_core.errors import TimeoutExceededError

if TYPE_CHECKING:
    from .ratelimit import ClientRateLimiter
    from .state import ServiceState

REQUEST_ID_HEADER = "X-Request-Id"
#: A client's id is echoed only if it is a short token of safe characters (UUIDs, trace ids).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9{][A-Za-z0-9._:=+/{}-]{0,63}")
UNMATCHED_ROUTE = "<unmatched>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: JSON needs no scripts, styles or frames; HTML (the docs page) is left to set its own policy.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("X-API-Version", "v1"),
)
_START = "cns.start"
_DEADLINE = "cns.deadline"
_TOKEN = "cns.request_id_token"

_request_id: ContextVar[str | None] = ContextVar("cns_request_id", default=None)
access_log = logging.getLogger("cns_web.access")


def current_request_id() -> str:
    """The id of the request being served (a fresh one outside any request)."""
    return _request_id.get() or str(uuid.uuid4())


def log_request_id() -> str:
    """The id for log lines: ``-`` outside a request."""
    return _request_id.get() or "-"


def route_template() -> str:
    """The matched route rule (``/v1/recipe``), never the raw path, so labels stay bounded."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def check_deadline(stage: str) -> None:
    """Raise TIMEOUT (504) if the request has used up its ``CNS_REQUEST_TIMEOUT`` budget."""
    deadline = request.environ.get(_DEADLINE)
    if deadline is not None and perf_counter() > deadline[0]:
        budget = deadline[1]
        raise TimeoutExceededError(
            f"the request ran past its {budget:g} s time budget while {stage}",
            details={"budgetSeconds": budget, "stage": stage},
        )


def init_app(app: Flask, state: ServiceState, limiter: ClientRateLimiter | None) -> None:
    """Register the hooks: one before, one after, one teardown, wrapping the rate limiter."""
    budget = state.settings.request_timeout
    max_body = state.settings.max_body_bytes
    in_flight = state.metrics.in_flight
    observe = state.metrics.observe

    def start() -> None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        environ = req.environ
        now = perf_counter()
        environ[_START] = now
        environ[_DEADLINE] = (now + budget, budget)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        environ[_TOKEN] = _request_id.set(
            incoming if SAFE_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        )
        in_flight.inc()
        length = req.content_length
        if length is not None and length > max_body:
            raise RequestEntityTooLarge()
        if limiter is not None:
            limiter.check(req)

    def finish(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        seconds = perf_counter() - req.environ.get(_START, perf_counter())
        status = response.status_code
        headers = response.headers
        if limiter is not None:
            limiter.add_headers(req, response)
        headers.extend(SECURITY_HEADERS)
        headers.add(REQUEST_ID_HEADER, log_request_id())
        if response.mimetype != "text/html":
            headers.add("Content-Security-Policy", API_CSP)
        if status not in (429, 503):
            headers.pop("Retry-After", None)
        elif headers.get("Retry-After", "0") in ("0", "-1"):
            headers["Retry-After"] = "1"
        rule = req.url_rule
        route = rule.rule if rule is not None else UNMATCHED_ROUTE
        method = req.method if req.method in KNOWN_METHODS else "OTHER"
        observe(method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            _log_access(req.method, req.path, route, status, seconds, req.remote_addr)
        return response

    def teardown(_exc: BaseException | None) -> None:
        token = request.environ.pop(_TOKEN, None)
        if token is not None:
            in_flight.dec()
            _request_id.reset(token)

    app.before_request(start)
    app.after_request(finish)
    app.teardown_request(teardown)


def _log_access(
    method: str, path: str, route: str, status: int, seconds: float, remote: str | None
) -> None:
    millis = round(seconds * 1000, 3)
    access_log.info(
        "%s %s %d %.2fms",
        method,
        path,
        status,
        millis,
        extra={
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": millis,
            "remote_addr": remote,
        },
    )
