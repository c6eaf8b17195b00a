"""Shared fixtures and the run's rules.

Fixtures only: what tests import (paths, helpers, servers) is in tests/support/, never in
a conftest (tests/test_layers.py checks it). ``runner`` is the ``cns`` command line
in-process, as the Flask tutorial's ``runner`` fixture (tests/support/cli.py).

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

from cns_core.recipes import RecipeResult, load_store, reset_store_cache
from cns_core.serialize import dump_yaml
from tests.support.cli import CnsRunner
from tests.support.golden import REWRITTEN
from tests.support.helm import find_helm
from tests.support.paths import EXAMPLE_SNAPSHOTS, REPO, SHARED_SNAPSHOTS
from tests.support.recipes import recipe_for
from tests.support.tools import NOT_HERE


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Generator[Path]:
    """Every ``cns`` the tests start keeps its cache (cns_core.recipes.doccache) in the
    run's tmp dir, never in the real home's ~/.cache."""
    before = os.environ.get("XDG_CACHE_HOME")
    home = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


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
    if not SHARED_SNAPSHOTS.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_SNAPSHOTS}")
    return SHARED_SNAPSHOTS


@pytest.fixture
def runner() -> CnsRunner:
    """The ``cns`` command line, in-process: ``runner.invoke(["recipe", ...])`` gives the
    Click Result (stdout and stderr apart); see tests/support/cli.py."""
    return CnsRunner()


@pytest.fixture(scope="session")
def helm() -> str:
    """Path to a real helm binary (.tools/bin/helm, PATH, or fetched by tools/get-helm.sh)."""
    return find_helm()


@pytest.fixture
def gb200(store) -> RecipeResult:
    """EKS GB200 Ubuntu training: OCI chart, manifests, DRA driver, v-prefixed versions."""
    return recipe_for(store, "eks-gb200-ubuntu-training")


@pytest.fixture
def recipe_file(tmp_path: Path, gb200: RecipeResult) -> Path:
    """The ``gb200`` recipe written as ``recipe.yaml`` in the test's tmp_path."""
    path = tmp_path / "recipe.yaml"
    path.write_text(dump_yaml(gb200.to_dict()))
    return path


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
