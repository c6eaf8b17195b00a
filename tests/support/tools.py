"""Finding the real binaries the tests run: the repository's .tools/bin first, then PATH."""

from __future__ import annotations

import os
import shutil

import pytest

from .paths import REPO

TOOLS = REPO / ".tools" / "bin"


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
