"""One error format for every failure: ``{code, message, details, requestId, timestamp, retryable}``.

Our ``CNSError`` hierarchy, werkzeug HTTP errors (404, 405, 413, flask-limiter's 429, …)
and any unexpected exception all end up in :func:`error_response`. A 500 never shows a stack trace: it is logged with the request id, and the body names that id.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from cns_core.errors import CNSError, ErrorCode
from cns_core.serialize import dump_json

from .middleware import current_request_id, sent_path

log = logging.getLogger("cns_web.errors")

MAX_ECHO = 200

#: The HTTP status of each error code: the one table of it.
HTTP_STATUS = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.TIMEOUT: 504,
}
_CODE_BY_STATUS = {status: code for code, status in HTTP_STATUS.items()}


class UnsupportedMediaTypeError(CNSError):
    """The request body has a Content-Type the route cannot read."""

    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


def utc_timestamp() -> str:
    """Now, as RFC 3339 UTC with microseconds (``2025-01-15T10:30:00.123456Z``)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def code_for_status(status: int) -> ErrorCode:
    """The error code of an HTTP error status (ours, or the generic client/server one)."""
    return _CODE_BY_STATUS.get(
        status, ErrorCode.INVALID_REQUEST if status < 500 else ErrorCode.INTERNAL
    )


def error_body(
    code: ErrorCode, message: str, details: dict[str, Any] | None, request_id: str
) -> bytes:
    """The JSON error document, encoded."""
    body = {
        "code": code.value,
        "message": message,
        "details": details or {},
        "requestId": request_id,
        "timestamp": utc_timestamp(),
        "retryable": code.retryable,
    }
    # backslashreplace: a lone surrogate that reached a message becomes its JSON escape
    return dump_json(body).encode("utf-8", "backslashreplace")


def error_response(
    code: ErrorCode,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error response for ``code`` (status from the code unless given)."""
    payload = error_body(code, message, details, current_request_id())
    response = Response(payload, status=status or HTTP_STATUS[code], mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def handle_cns_error(exc: CNSError) -> Response:
    """Our own errors carry their code, message and details."""
    if exc.code is ErrorCode.INTERNAL:
        log.error("internal error: %s", exc, exc_info=exc)
    return error_response(exc.code, str(exc), exc.details)


def handle_http_exception(exc: HTTPException) -> Response:
    """werkzeug's errors (routing, body size, rate limit, …) in our format."""
    status = exc.code or 500
    message, details, headers = _describe(exc, status)
    return error_response(code_for_status(status), message, details, status=status, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    """A bug: log it with the request id, answer 500 without internals."""
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.path, exc_info=exc
    )
    return error_response(
        ErrorCode.INTERNAL,
        f"internal server error: the failure was logged with request id {current_request_id()}",
    )


def init_app(app: Flask) -> None:
    """Install the handlers (after flask-smorest, whose own HTTPException handler they replace)."""
    app.register_error_handler(CNSError, handle_cns_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def _describe(exc: HTTPException, status: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    path = sent_path(request.environ)[:MAX_ECHO]
    if status == 404:
        return (
            f"no such route: {request.method} {path} (GET / lists the routes)",
            {"path": path},
            {},
        )
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or ())
        return (
            f"method {request.method} is not allowed on {path}: use {', '.join(allowed)}",
            {"method": request.method, "allowed": allowed},
            {"Allow": ", ".join(allowed)},
        )
    if status == 413:
        limit = _body_limit()
        return (
            f"request body too large: the limit is {limit} bytes (CNS_MAX_BODY_BYTES)",
            {"limit": limit, "contentLength": request.content_length},
            {},
        )
    if isinstance(exc, RateLimitExceeded):
        item = exc.limit.limit
        return (
            f"rate limit exceeded: {item} per client (CNS_RATE_LIMIT); retry after Retry-After "
            "seconds",
            {"limit": item.amount, "rule": str(item)},
            {},
        )
    return (exc.description or exc.name, {}, {})


def _body_limit() -> int | None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return int(limit) if limit is not None else None
