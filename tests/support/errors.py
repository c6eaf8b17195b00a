"""The service's JSON error body, as tests check it."""

from __future__ import annotations

import re
from typing import Any

ERROR_KEYS = {"code", "message", "details", "requestId", "timestamp", "retryable"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """A Flask test-client response that is the JSON error body with ``status`` and ``code``."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert body["requestId"] == response.headers["X-Request-Id"]
    assert TIMESTAMP.fullmatch(body["timestamp"])
    assert response.headers["Cache-Control"] == "no-store"
    return body
