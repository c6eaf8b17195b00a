"""Fixtures for engine tests."""

from __future__ import annotations

import pytest

from .synthetic import make_store


@pytest.fixture
def synthetic():
    """Build a store from a dict of data files (registry and base provided)."""
    return make_store
