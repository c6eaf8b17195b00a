"""Log set-up: one stderr handler, text or JSON (``CNS_LOG_FORMAT``), the request id on every line."""

from __future__ import annotations

import logging
import sys
import time

from cns_core.logrecord import JsonFormatter, TextFormatter, escape_control, iso_time, json_line

from .config import Settings
from .middleware import log_request_id
from .tracing import current_trace_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s%(trace)s] %(name)s: %(message)s"
ACCESS_LOGGER = "cns_web.access"
#: Loggers whose level follows CNS_LOG_LEVEL (others log warnings and errors only).
OUR_LOGGERS = ("cns_web", "cns_core")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record, and ``trace_id`` while
    a traced request is in progress (``trace``: its text form, `` trace_id=...`` or empty)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = log_request_id()
        trace_id = current_trace_id()
        record.trace_id = trace_id
        record.trace = f" trace_id={trace_id}" if trace_id else ""
        return True


class _CNSHandler(logging.StreamHandler):
    """Marks the handler this module installed, so set-up can be repeated without duplicates."""


def configure_logging(settings: Settings) -> logging.StreamHandler:
    """Install the stderr handler on the root logger (replacing one installed earlier)."""
    handler = _CNSHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(_formatter(settings.log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _CNSHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    level = getattr(logging, settings.log_level.upper())
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
    return handler


def _formatter(log_format: str) -> logging.Formatter:
    """The one log line shape of cns (cns_core.logrecord), as JSON or text."""
    return JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


class AccessLog:
    """One line per request, in the format of the other log lines, without ``logging``'s machinery.

    Going through a logger costs ~40 µs per line (caller lookup, record, filters,
    formatter); this writes the same line (text or JSON, same fields) straight to
    the handler's stream, under its lock.
    """

    def __init__(self, handler: logging.StreamHandler, log_format: str) -> None:
        self.handler = handler
        self.json = log_format == "json"

    @classmethod
    def create(cls, settings: Settings, handler: logging.StreamHandler) -> AccessLog | None:
        """The access log, or None when ``cns_web.access`` does not log at INFO."""
        if not logging.getLogger(ACCESS_LOGGER).isEnabledFor(logging.INFO):
            return None
        return cls(handler, settings.log_format)

    def write(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        remote: str | None,
        request_id: str,
        trace_id: str | None = None,
    ) -> None:
        """Write the line for one finished request."""
        millis = seconds * 1000
        now = time.time()
        if self.json:
            traced = {"trace_id": trace_id} if trace_id else {}
            line = json_line(
                seconds=now,
                level="info",
                logger=ACCESS_LOGGER,
                message=f"{method} {path} {status} {millis:.2f}ms",
                request_id=request_id,
                **traced,
                method=method,
                route=route,
                path=path,
                status=status,
                duration_ms=round(millis, 3),
                remote_addr=remote,
            )
        else:
            message = escape_control(f"{method} {path} {status} {millis:.2f}ms")
            trace = f" trace_id={trace_id}" if trace_id else ""
            line = f"{iso_time(now)} INFO [{request_id}{trace}] {ACCESS_LOGGER}: {message}"
        handler = self.handler
        handler.acquire()
        try:
            handler.stream.write(line + "\n")
            handler.flush()
        finally:
            handler.release()
