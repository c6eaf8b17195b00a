"""gunicorn's own error answers in the service's JSON error format.

gunicorn answers a request it cannot parse (a bad request line, method, header or chunk
size, an over-long URI, too many headers) before the application sees it, and an error
raised outside the application, with an HTML page. In a cns worker the same statuses
carry the JSON error body, security headers and ``X-Request-Id`` of every other answer.
"""

from __future__ import annotations

import socket

from gunicorn import util

from .errors import MAX_ECHO, code_for_status, error_body
from .middleware import finish_headers, new_request_id


def write_json_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """Write one error answer and ask the client to close (what gunicorn's HTML writer does).

    gunicorn's message quotes what it could not parse: at most ``MAX_ECHO`` characters of it
    are kept (JSON escapes its control characters).
    """
    request_id = new_request_id()
    text = message or reason
    if len(text) > MAX_ECHO:
        text = text[:MAX_ECHO] + "…"
    body = error_body(code_for_status(status), text, None, request_id)
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("Connection", "close"),
    ]
    finish_headers(status, headers, request_id)
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    util.write_nonblock(sock, head.encode("latin-1") + b"\r\n" + body)


def answer_gunicorn_errors_in_json() -> None:
    """Make this worker process's gunicorn write its error answers with :func:`write_json_error`."""
    util.write_error = write_json_error
