"""flask-smorest configured for cns: the Api (OpenAPI document) and the blueprint class.

Blueprints use :class:`ApiBlueprint` so that their arguments fail with our 400
error body and their routes land in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import flask_smorest
from flask import Flask
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from cns_core import __version__
from cns_core.errors import InvalidRequestError

from .schemas import ErrorSchema, flatten_messages

F = TypeVar("F", bound=Callable[..., Any])
_LOCATION_NAMES = {"query": "query parameters", "json": "request body"}


class RequestParser(FlaskParser):
    """webargs parser: unknown query parameters are errors; failures are our 400."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {  # noqa: RUF012 - webargs' attribute
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def handle_error(
        self,
        error: ValidationError,
        req: Any,
        schema: Any,
        *,
        error_status_code: Any,
        error_headers: Any,
    ) -> NoReturn:
        messages = error.messages
        what = "request"
        if isinstance(messages, Mapping) and len(messages) == 1:
            location, inner = next(iter(messages.items()))
            if location in _LOCATION_NAMES:
                what, messages = _LOCATION_NAMES[location], inner
        raise validation_error(ValidationError(messages), what)


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors use the cns error body."""

    ARGUMENTS_PARSER = RequestParser()


class CNSApi(flask_smorest.Api):
    """flask-smorest's Api documenting our error body (the handlers are in errors.py)."""

    ERROR_SCHEMA = ErrorSchema


def documented(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Apply flask-smorest's doc decorators (``doc``, ``response``, ``alt_response``) for the
    OpenAPI metadata they record, and return the view itself, unwrapped.

    Each flask-smorest wrapper costs a few microseconds per request; on the hot
    path that matters, and a view returning a finished Response needs none of them.
    """

    def apply(view: F) -> F:
        wrapped = view
        for decorator in reversed(decorators):
            wrapped = decorator(wrapped)
        view._apidoc = wrapped._apidoc  # type: ignore[attr-defined]
        return view

    return apply


def load(schema: Schema, data: Any, what: str) -> Any:
    """``data`` validated and loaded by ``schema``; a failure is INVALID_REQUEST naming
    ``what`` (the one place a view turns marshmallow's errors into ours)."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc, what) from None


def validation_error(error: ValidationError, what: str) -> InvalidRequestError:
    """A marshmallow error as INVALID_REQUEST, each field's message spelled out."""
    flat = flatten_messages(error.messages)
    text = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in flat.items())
    return InvalidRequestError(f"invalid {what}: {text}", details={"errors": flat})


def init_app(app: Flask) -> CNSApi:
    """flask-smorest: the OpenAPI document at /openapi.json (Swagger UI is blueprints/apidocs.py)."""
    app.config.update(
        API_TITLE="cns: Cloud Native Stack recipe API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "GPU Kubernetes recipes (components, versions, settings, order) "
                "and deployable bundles. Compatible with upstream cnsd clients."
            }
        },
    )
    return CNSApi(app)
