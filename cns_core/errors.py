"""The cns exception hierarchy: every error carries a code; each front end maps the code
(the CLI to exit codes, the service to HTTP statuses: ``cns_web.errors.HTTP_STATUS``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Structured error codes shared by the CLI and the HTTP API."""

    INVALID_REQUEST = "INVALID_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_RETRYABLE = {
    ErrorCode.RATE_LIMIT_EXCEEDED,
    ErrorCode.SERVICE_UNAVAILABLE,
    ErrorCode.TIMEOUT,
    ErrorCode.INTERNAL,
}


class CNSError(Exception):
    """Base of every error cns raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        cause = self.__cause__
        if cause is not None and str(cause) and str(cause) not in self.message:
            return f"{self.message}: {cause}"
        return self.message


class InvalidRequestError(CNSError):
    """The input is wrong; the message says what is valid."""

    code = ErrorCode.INVALID_REQUEST


class NotFoundError(CNSError):
    """Something named by the input does not exist."""

    code = ErrorCode.NOT_FOUND


class UnavailableError(CNSError):
    """A dependency (cluster, URL, data) cannot be reached right now."""

    code = ErrorCode.SERVICE_UNAVAILABLE


class TimeoutExceededError(CNSError):
    """An operation ran past its time budget."""

    code = ErrorCode.TIMEOUT


class InternalError(CNSError):
    """A bug or broken embedded data: not the caller's fault."""

    code = ErrorCode.INTERNAL
