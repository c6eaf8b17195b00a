"""Parametrising a test over the node snapshots: the examples', then the shared ones."""

from __future__ import annotations

from typing import Any

import pytest

from .paths import EXAMPLE_SNAPSHOTS, SHARED_SNAPSHOTS

#: The node snapshots both the examples and the shared fixtures have.
SNAPSHOT_NAMES = ("h100-eks-ubuntu.yaml", "gb200-eks-ubuntu.yaml")


def snapshot_params(*names: str, **extra: Any) -> list[Any]:
    """pytest params: each snapshot of ``examples/``, then the shared fixture of the same name.

    The shared ones are extra checks, skipped when the shared folder is absent. ``extra``
    maps a name to more values appended to its params (e.g. the expected result).
    """
    params = []
    for where, folder in (("examples", EXAMPLE_SNAPSHOTS), ("shared", SHARED_SNAPSHOTS)):
        marks = (
            [pytest.mark.skip(reason=f"shared fixtures not found at {folder}")]
            if where == "shared" and not folder.is_dir()
            else []
        )
        for name in names or SNAPSHOT_NAMES:
            values = (folder / name, *extra.get(name, ()))
            params.append(pytest.param(*values, id=f"{where}-{name}", marks=marks))
    return params
