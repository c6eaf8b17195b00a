"""Golden files: produced by the code, reviewed, then frozen. CNS_UPDATE_GOLDEN=1 rewrites them."""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, text: str) -> None:
    """``text`` must equal the frozen file (rewritten instead when CNS_UPDATE_GOLDEN=1)."""
    if os.environ.get("CNS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), (
        f"{path} is missing: run with CNS_UPDATE_GOLDEN=1, review it and commit it"
    )
    assert text == path.read_text(), f"{path} differs: review the change, then CNS_UPDATE_GOLDEN=1"
