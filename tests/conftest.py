"""Shared fixtures and the run's rules.

- Under ``CI=true`` a test that skips **fails** (with the skip's reason): CI installs every
  real part (helm, redis-server, haproxy, docker-registry, chromium, ``../shared``...),
  so a missing one must not pass as green. Locally, tests skip with the reason.
- A run with ``CNS_UPDATE_GOLDEN=1`` fails at its end listing the golden files it
  rewrote (tests/support/golden.py).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from cns_core.recipes import load_store, reset_store_cache
from tests.support.golden import REWRITTEN
from tests.support.paths import REPO, SHARED

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    """Under CI=true, a skipped test is a failed test (xfail is not a skip)."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every real part must be there: {reason}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """An update run (CNS_UPDATE_GOLDEN=1) never passes: it lists what it rewrote."""
    if REWRITTEN:
        listing = "\n".join(f"  {p.relative_to(REPO)}" for p in sorted(set(REWRITTEN)))
        print(f"\nCNS_UPDATE_GOLDEN=1 rewrote {len(set(REWRITTEN))} golden files:\n{listing}")
        print("review the diff, commit it, and run the tests again without CNS_UPDATE_GOLDEN")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
