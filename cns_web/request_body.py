"""Request bodies: JSON or YAML chosen by Content-Type, read once, parsed safely
(cns_core.serialize) within the body limits."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import RequestEntityTooLarge

from cns_core.errors import InvalidRequestError
from cns_core.serialize import Format, load

from .errors import UnsupportedMediaTypeError

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
BODY_TYPES = (*JSON_TYPES, *YAML_TYPES)
#: The most keys and values a body may hold (a real recipe has about 200): with the size
#: cap (CNS_MAX_BODY_BYTES) and MAX_DEPTH it bounds what parsing and building one costs.
MAX_BODY_NODES = 20_000


def body_format() -> Format:
    """JSON or YAML from the Content-Type (none given means JSON); anything else is a 415."""
    mimetype = request.mimetype
    if not mimetype or mimetype in JSON_TYPES or mimetype.endswith("+json"):
        return Format.JSON
    if mimetype in YAML_TYPES or mimetype.endswith("+yaml"):
        return Format.YAML
    raise UnsupportedMediaTypeError(
        f"unsupported Content-Type {mimetype!r}: send JSON (application/json) or YAML "
        "(application/yaml, application/x-yaml, text/yaml)",
        details={"contentType": mimetype, "supported": list(BODY_TYPES)},
    )


def read_body_bytes() -> bytes:
    """The raw body, refusing with 413 anything over ``MAX_CONTENT_LENGTH``. The stream
    is consumed: call this once per request and keep the bytes.

    A declared Content-Length was checked before the view ran. A chunked body has
    none, and werkzeug's capped stream would silently truncate it at the cap, so
    it is read here up to one byte past the cap.
    """
    if request.content_length is not None:
        return request.get_data(cache=False)
    if "wsgi.input_terminated" not in request.environ:
        return b""  # no length and no terminated stream: no body can be read safely
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    stream = request.environ["wsgi.input"]
    data = bytearray()
    try:
        while len(data) <= limit and (chunk := stream.read(limit + 1 - len(data))):
            data += chunk
    except ParseException as exc:  # gunicorn decodes the chunks as they are read
        raise InvalidRequestError(f"request body is not valid chunked encoding: {exc}") from None
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return bytes(data)


def read_body_document(what: str) -> Any:
    """The request body as a document; ``what`` names the expected resource in errors."""
    return parse_body(read_body_bytes(), body_format(), what)


def parse_body(raw: bytes, fmt: Format, what: str) -> Any:
    """Decode body bytes read by :func:`read_body_bytes`.

    YAML is loaded without object-building tags or aliases; nesting (MAX_DEPTH) and the
    number of keys and values (MAX_BODY_NODES) are capped.
    """
    if not raw.strip():
        raise InvalidRequestError(f"request body is empty: send {what} as JSON or YAML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError("request body is not UTF-8 text") from None
    return load(text, fmt, source="request body", max_nodes=MAX_BODY_NODES)
