"""Fixtures of the real-chart checks: the shared chart data (skip when absent).

(``helm``, the real helm binary, is in tests/conftest.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chart_reference import require_charts


@pytest.fixture
def charts() -> Path:
    """The real charts' data directory; the test is skipped when it is absent."""
    return require_charts()
