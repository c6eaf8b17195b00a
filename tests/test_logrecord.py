"""One log line shape for the CLI and the service."""

from __future__ import annotations

import json
import logging

from cns_core.logrecord import JsonFormatter, TextFormatter, escape_control, json_line
from cns_web.logs import AccessLog


def _record(message: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("cns_core.x", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_cli_and_service_json_records_have_the_same_fields_in_the_same_order(capsys):
    cli_line = json.loads(JsonFormatter().format(_record("hello")))
    service_line = json.loads(JsonFormatter().format(_record("hello", request_id="r-1")))
    assert list(cli_line) == ["time", "level", "logger", "message", "service", "version"]
    assert list(service_line) == [
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "service",
        "version",
    ]
    assert cli_line["level"] == "warning" and cli_line["time"].endswith("Z")

    handler = logging.StreamHandler()
    AccessLog(handler, "json").write("GET", "/health", "/health", 200, 0.001, None, "r-2")
    access = json.loads(capsys.readouterr().err)
    assert list(access)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert list(access)[-2:] == ["service", "version"]


def test_text_lines_escape_control_characters():
    line = TextFormatter("%(levelname)s %(message)s").format(_record("a\nb\r\x1b[2J\x00"))
    assert line == "WARNING a\\nb\\r\\x1b[2J\\x00"
    assert escape_control("plain") == "plain"
    assert json.loads(json_line(seconds=0, level="INFO", logger="l", message="a\nb"))[
        "message"
    ] == ("a\nb")
