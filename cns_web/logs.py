"""Log set-up: one stderr handler, text or JSON (``CNS_LOG_FORMAT``), the request id on every line."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from cns_core import __version__

from .config import Settings
from .middleware import log_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
#: Loggers whose level follows CNS_LOG_LEVEL (others log warnings and errors only).
OUR_LOGGERS = ("cns_web", "cns_core")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = log_request_id()
        return True


class _CNSHandler(logging.StreamHandler):
    """Marks the handler this module installed, so set-up can be repeated without duplicates."""


def configure_logging(settings: Settings) -> None:
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


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": "cns", "version": __version__},
        )
    return logging.Formatter(TEXT_FORMAT)
