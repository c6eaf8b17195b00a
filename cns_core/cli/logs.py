"""CLI logging: human lines (or JSON records) on stderr, never on stdout.

Both shapes are those of the service (:mod:`cns_core.logrecord`).
"""

from __future__ import annotations

import logging
import sys

from ..logrecord import JsonFormatter, TextFormatter


def configure_logging(*, debug: bool, log_json: bool) -> None:
    """Route cns logs to stderr: warnings by default, everything with ``debug``."""
    handler = logging.StreamHandler(sys.stderr)
    if log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("[cns] %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
