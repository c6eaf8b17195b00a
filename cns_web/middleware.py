"""Per-request plumbing, as one WSGI wrapper around the Flask app: request id, time budget,
rate limit, security headers, metrics and the access log; plus the body cap as a Flask hook.

This is the hot path of every request. The wrapper works on the raw WSGI status and
header list (no werkzeug ``Headers`` round trips), sets the request id and checks the
rate limit (cns_web.ratelimit) before Flask runs, answers a cached ``GET /v1/recipe``
without entering Flask at all (the same bytes and headers Flask would send), and reads
the matched route from the request while the response starts. Everything per-app is
resolved once, in :func:`init_app`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from cns_core.errors import TimeoutExceededError

if TYPE_CHECKING:
    from .logs import AccessLog
    from .ratelimit import RateLimitGate
    from .state import ServiceState

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: An answer given without Flask: (status line, headers, body), or None to go through Flask.
FastAnswer = Callable[[dict[str, Any]], tuple[str, list[tuple[str, str]], bytes] | None]

REQUEST_ID_HEADER = "X-Request-Id"
#: A client's id is echoed only if it is a short token of safe characters (UUIDs, trace ids).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9{][A-Za-z0-9._:=+/{}-]{0,63}")
UNMATCHED_ROUTE = "<unmatched>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: JSON needs no scripts, styles or frames; a response with its own policy (/docs) keeps it.
API_CSP = ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("X-API-Version", "v1"),
]
#: Statuses whose Retry-After is meaningful (flask-limiter writes one on every limited answer).
RETRY_STATUSES = frozenset({429, 503})
_DEADLINE = "cns.deadline"

_request_id: ContextVar[str | None] = ContextVar("cns_request_id", default=None)


def new_request_id() -> str:
    """A random UUIDv4 string (twice as fast as ``str(uuid.uuid4())``)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def sent_path(environ: dict[str, Any]) -> str:
    """The request's path as sent, decoded (werkzeug's ``request.path`` folds ``//x`` to ``/x``);
    an empty path is ``/``."""
    path = environ.get("PATH_INFO") or "/"
    return path.encode("latin-1", "replace").decode("utf-8", "replace")


def current_request_id() -> str:
    """The id of the request being served (a fresh one outside any request)."""
    return _request_id.get() or new_request_id()


def log_request_id() -> str:
    """The id for log lines: ``-`` outside a request."""
    return _request_id.get() or "-"


def check_deadline(stage: str) -> None:
    """Raise TIMEOUT (504) if the request has used up its ``CNS_REQUEST_TIMEOUT`` budget."""
    deadline = request.environ.get(_DEADLINE)
    if deadline is not None and perf_counter() > deadline[0]:
        budget = deadline[1]
        raise TimeoutExceededError(
            f"the request ran past its {budget:g} s time budget while {stage}",
            details={"budgetSeconds": budget, "stage": stage},
        )


def finish_headers(status: int, headers: list[tuple[str, str]], request_id: str) -> None:
    """Add the security headers and the request id, and keep Retry-After only where it belongs."""
    own_csp = False
    retry_at = -1
    for i, (name, _value) in enumerate(headers):
        lower = name.lower()
        if lower == "content-security-policy":
            own_csp = True
        elif lower == "retry-after":
            retry_at = i
    if status in RETRY_STATUSES:
        if retry_at < 0:
            headers.append(("Retry-After", "1"))
        elif status == 503 or headers[retry_at][1] in ("0", "-1"):
            headers[retry_at] = ("Retry-After", "1")
    elif retry_at >= 0:
        del headers[retry_at]
    headers += SECURITY_HEADERS
    headers.append((REQUEST_ID_HEADER, request_id))
    if not own_csp:
        headers.append(API_CSP)


def init_app(
    app: Flask,
    state: ServiceState,
    access_log: AccessLog | None,
    gate: RateLimitGate | None = None,
    fast_answer: tuple[str, FastAnswer] | None = None,
) -> None:
    """Wrap ``app.wsgi_app`` with the request plumbing and register the body-cap hook.

    ``gate``: the rate limit, checked for every path but the exempt ones.
    ``fast_answer``: ``(path, answer)``: for a ``GET`` of ``path`` without a body,
    ``answer(environ)`` may answer without Flask (after the rate limit, like any request).
    """
    from .ratelimit import BREACHED, EXEMPT_PATHS, refuse_breached
    from .tracing import current_trace_id

    budget = state.settings.request_timeout
    max_body = state.settings.max_body_bytes
    in_flight = state.metrics.in_flight
    observe = state.metrics.observe
    flask_app: WSGIApp = app.wsgi_app
    fast_path, answer = fast_answer or (None, None)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = perf_counter()
        environ[_DEADLINE] = (started + budget, budget)
        incoming = environ.get("HTTP_X_REQUEST_ID")
        request_id = (
            incoming if incoming and SAFE_REQUEST_ID.fullmatch(incoming) else new_request_id()
        )
        token = _request_id.set(request_id)
        seen: list[Any] = [500, UNMATCHED_ROUTE, None]  # status, route, trace id
        path_info = environ.get("PATH_INFO")
        limit_headers: list[tuple[str, str]] = []

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code = seen[0] = int(status[:3])
            if state.tracing:  # the request's span is still current here
                seen[2] = current_trace_id()
            req = environ.get("werkzeug.request")  # Flask's request, still active here
            if req is not None:
                rule = req.url_rule
                if rule is not None:
                    seen[1] = rule.rule
            if limit_headers:
                headers += limit_headers
            finish_headers(code, headers, request_id)
            return start_response(status, headers, exc_info)

        in_flight.inc()
        try:
            breached = None
            if gate is not None and path_info not in EXEMPT_PATHS:
                headers, breached = gate.check(environ.get("REMOTE_ADDR") or "unknown")
                limit_headers += headers
                if breached is not None:
                    environ[BREACHED] = breached  # refuse_breached answers the 429 in Flask
            if (
                path_info == fast_path
                and breached is None
                and not state.tracing
                and environ.get("REQUEST_METHOD") == "GET"
                and not environ.get("CONTENT_LENGTH")
                and "HTTP_TRANSFER_ENCODING" not in environ
            ):
                assert answer is not None
                fast = answer(environ)
                if fast is not None:
                    fast_status, fast_headers, body = fast
                    code = seen[0] = int(fast_status[:3])
                    seen[1] = path_info
                    fast_headers += limit_headers
                    finish_headers(code, fast_headers, request_id)
                    start_response(fast_status, fast_headers)
                    return [body]
            return flask_app(environ, respond)
        finally:
            seconds = perf_counter() - started
            in_flight.dec()
            method = environ.get("REQUEST_METHOD", "")
            status, route, trace_id = seen
            observe(method if method in KNOWN_METHODS else "OTHER", route, status, seconds)
            if access_log is not None:
                access_log.write(
                    method,
                    sent_path(environ),
                    route,
                    status,
                    seconds,
                    environ.get("REMOTE_ADDR"),
                    request_id,
                    trace_id,
                )
            _request_id.reset(token)

    def cap_body() -> None:
        if request.environ.get("CONTENT_LENGTH"):  # cheap test first: most requests have none
            length = request.content_length
            if length is not None and length > max_body:
                raise RequestEntityTooLarge()

    app.wsgi_app = wsgi  # type: ignore[method-assign]
    app.before_request(cap_body)
    if gate is not None:
        app.before_request(refuse_breached)  # after the body cap, as flask-limiter's hook was
