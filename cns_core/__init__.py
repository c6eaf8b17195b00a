"""cns_core: the Cloud Native Stack domain library (recipes, snapshots, validation, bundles).

Nothing here imports Flask or heavy optional dependencies at import time.
"""

__version__ = "0.1.0"

API_VERSION = "cns.nvidia.com/v1alpha1"
