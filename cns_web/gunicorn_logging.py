"""gunicorn's own log lines ("Booting worker", "Listening at", request-parsing warnings) in
cns's line shape: ``logger_class`` of cns_web/gunicorn_config.py.

With ``CNS_LOG_FORMAT=json`` every line gunicorn writes is a JSON object like the app's
(``time``, ``level``, ``logger``, ``message``, ``request_id`` ``-``, ``pid``, ``service``,
``version``); as text, its control characters are escaped (cns_core.logrecord), so no
request can forge a line or a terminal sequence through gunicorn's log either.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger

from cns_core.logrecord import JsonFormatter, TextFormatter

from .config import LOG_FORMATS, EnvReader

#: The process id where the app's lines have the request id.
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


class GunicornJsonFormatter(JsonFormatter):
    """cns's JSON line for a gunicorn record, with its process id."""

    def extra_fields(self, record: logging.LogRecord) -> dict[str, Any]:
        return {"request_id": "-", "pid": record.process}


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of gunicorn's lines for ``CNS_LOG_FORMAT``."""
    return GunicornJsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


class GunicornLogger(Logger):
    """gunicorn's logger with cns's formatter on the handlers gunicorn installs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        chosen = formatter(EnvReader(os.environ).choice("CNS_LOG_FORMAT", "text", LOG_FORMATS))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(chosen)
