"""Finding the real binaries the tests run: the repository's .tools/bin first, then PATH."""

from __future__ import annotations

import os
import shutil

import pytest

from .paths import REPO

TOOLS = REPO / ".tools" / "bin"
#: the prefix of a skip that is right even under CI (see tests/conftest.py)
NOT_HERE = "not runnable in any test run: "


def not_here(reason: str) -> None:
    """Skip a test that needs what no test run has (a real cluster, the internet): the one
    kind of skip CI accepts."""
    pytest.skip(NOT_HERE + reason)


def tool(name: str, *, hint: str = "") -> str:
    """The path of ``name``, or skip the test saying what is missing (a failure under
    CI=true, see tests/conftest.py)."""
    local = TOOLS / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    pytest.skip(f"{name} is not installed{': ' + hint if hint else ''}")
