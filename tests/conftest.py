"""Shared fixtures and the run's rules.

- Under ``CI=true`` a test that skips **fails** (with the skip's reason): CI installs every
  real part (helm, redis-server, haproxy, docker-registry, chromium, ``../shared``...),
  so a missing one must not pass as green. Locally, tests skip with the reason.
- A run with ``CNS_UPDATE_GOLDEN=1`` fails at its end listing the golden files it
  rewrote (tests/support/golden.py).

The tests run on the project's own example data (``examples/``). Real-world snapshots
in the shared folder (``CNS_SHARED_DIR``, default ``../shared``) add extra checks, which
skip when it is absent (and fail under CI).
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
from tests.support.tools import NOT_HERE

EXAMPLES = REPO / "examples"
EXAMPLE_SNAPSHOTS = EXAMPLES / "snapshots"
SNAPSHOTS = SHARED / "fixtures" / "snapshots"
#: The node snapshots both the examples and the shared fixtures have.
SNAPSHOT_NAMES = ("h100-eks-ubuntu.yaml", "gb200-eks-ubuntu.yaml")


def snapshot_params(*names: str, **extra: Any) -> list[Any]:
    """pytest params: each snapshot of ``examples/``, then the shared fixture of the same name.

    The shared ones are extra checks, skipped when the shared folder is absent. ``extra``
    maps a name to more values appended to its params (e.g. the expected result).
    """
    params = []
    for where, folder in (("examples", EXAMPLE_SNAPSHOTS), ("shared", SNAPSHOTS)):
        marks = (
            [pytest.mark.skip(reason=f"shared fixtures not found at {folder}")]
            if where == "shared" and not folder.is_dir()
            else []
        )
        for name in names or SNAPSHOT_NAMES:
            values = (folder / name, *extra.get(name, ()))
            params.append(pytest.param(*values, id=f"{where}-{name}", marks=marks))
    return params


@pytest.fixture
def store():
    """The embedded recipe store, loaded fresh for the test."""
    reset_store_cache()
    yield load_store()
    reset_store_cache()


@pytest.fixture
def snapshot_dir() -> Path:
    """The example node snapshots (``examples/snapshots``)."""
    return EXAMPLE_SNAPSHOTS


@pytest.fixture
def shared_snapshot_dir() -> Path:
    """The real node snapshots in the shared folder (read-only); skips when it is absent."""
    if not SNAPSHOTS.is_dir():
        pytest.skip(f"shared fixtures not found at {SNAPSHOTS}")
    return SNAPSHOTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    """Under CI=true, a skipped test is a failed test (xfail is not a skip), unless it
    skipped with :func:`tests.support.tools.not_here` (it needs what no test run has)."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        if str(reason).startswith(f"Skipped: {NOT_HERE}"):
            return
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every real part must be there: {reason}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """An update run (CNS_UPDATE_GOLDEN=1) never passes: it lists what it rewrote."""
    if REWRITTEN:
        listing = "\n".join(f"  {p.relative_to(REPO)}" for p in sorted(set(REWRITTEN)))
        print(f"\nCNS_UPDATE_GOLDEN=1 rewrote {len(set(REWRITTEN))} golden files:\n{listing}")
        print("review the diff, commit it, and run the tests again without CNS_UPDATE_GOLDEN")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
