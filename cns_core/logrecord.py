"""The one shape of a cns log line, for the CLI and the service alike.

JSON lines are objects with, in order: ``time`` (ISO 8601, UTC, milliseconds), ``level``
(lowercase), ``logger``, ``message``, any extra fields of the record (``request_id``,
``trace_id`` when the request is traced, the access log's ``method``/``status``/...), then
``service`` and ``version``. Text
lines carry the same facts. Control characters in messages (CR, LF, ANSI escapes,
NUL) are escaped in text lines, so no input can forge a line or a terminal sequence
(JSON escapes them by itself).
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from . import __version__

SERVICE = "cns"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


_last_second: list[Any] = [-1, ""]


def iso_time(seconds: float) -> str:
    """``2026-12-01T21:30:00.123Z`` for a POSIX timestamp (the seconds part formatted once
    per second: the access log writes one per request)."""
    whole = int(seconds)
    if whole != _last_second[0]:
        _last_second[:] = [whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))]
    return f"{_last_second[1]}.{int((seconds - whole) * 1000):03d}Z"


def escape_control(text: str) -> str:
    """``text`` with every control character written as a visible escape (``\\n``, ``\\x1b``)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def json_line(*, seconds: float, level: str, logger: str, message: str, **extra: Any) -> str:
    """One JSON log line (no newline) in the shape above."""
    record = {
        "time": iso_time(seconds),
        "level": level.lower(),
        "logger": logger,
        "message": message,
        **extra,
        "service": SERVICE,
        "version": __version__,
    }
    return json.dumps(record, ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """A ``logging`` formatter writing :func:`json_line` (with ``request_id`` when the
    record has one, and the traceback as ``exc_info``)."""

    def format(self, record: logging.LogRecord) -> str:
        extra = self.extra_fields(record)
        if record.exc_info:
            extra["exc_info"] = self.formatException(record.exc_info)
        return json_line(
            seconds=record.created,
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
            **extra,
        )

    def extra_fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The fields of the line after ``message``: the request and trace ids it has."""
        extra: dict[str, Any] = {}
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            extra["request_id"] = request_id
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            extra["trace_id"] = trace_id
        return extra


class TextFormatter(logging.Formatter):
    """A ``logging`` formatter whose message (and traceback) cannot span lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_control(record.message)
        return super().formatMessage(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record.created)
