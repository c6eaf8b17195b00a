"""Where the repository, its example data and the shared reference data are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: ../shared beside the repository, or CNS_SHARED_DIR
SHARED = Path(os.environ.get("CNS_SHARED_DIR") or REPO.parent / "shared")

#: the project's own example data
EXAMPLES = REPO / "examples"
EXAMPLE_SNAPSHOTS = EXAMPLES / "snapshots"
#: the real node snapshots in the shared folder (absent when it is)
SHARED_SNAPSHOTS = SHARED / "fixtures" / "snapshots"

#: the service's Helm chart and Kustomize base
CHART = REPO / "deployments" / "helm" / "cns"
KUSTOMIZE_BASE = REPO / "deployments" / "kustomize" / "base"
