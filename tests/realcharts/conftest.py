"""Fixtures of the real-chart checks: the shared chart data (skip when absent), helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..bundle.conftest import helm  # the real helm binary (session fixture)
from .reference import require_charts

__all__ = ["charts", "helm"]


@pytest.fixture
def charts() -> Path:
    """The real charts' data directory; the test is skipped when it is absent."""
    return require_charts()
