"""Where the repository and the shared reference data are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: ../shared beside the repository, or CNS_SHARED_DIR
SHARED = Path(os.environ.get("CNS_SHARED_DIR") or REPO.parent / "shared")
