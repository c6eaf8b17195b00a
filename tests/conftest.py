"""Shared fixtures: paths to the shared real-world fixtures and a fresh recipe store."""

from __future__ import annotations

from pathlib import Path

import pytest

from cns_core.recipes import load_store, reset_store_cache

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SNAPSHOTS = SHARED / "fixtures" / "snapshots"


@pytest.fixture
def store():
    """The embedded recipe store, loaded fresh for the test."""
    reset_store_cache()
    yield load_store()
    reset_store_cache()


@pytest.fixture
def snapshot_dir() -> Path:
    """The real EKS node snapshots (read-only, from ../shared)."""
    if not SNAPSHOTS.is_dir():
        pytest.skip(f"shared fixtures not found at {SNAPSHOTS}")
    return SNAPSHOTS
