"""CLI logging: human lines (or JSON records) on stderr, never on stdout."""

from __future__ import annotations

import json
import logging
import sys

from .. import __version__


def configure_logging(*, debug: bool, log_json: bool) -> None:
    """Route cns logs to stderr: warnings by default, everything with ``debug``."""
    handler = logging.StreamHandler(sys.stderr)
    if log_json:
        handler.setFormatter(_JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("[cns] %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)


class _JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
                "module": "cns",
                "version": __version__,
            }
        )
