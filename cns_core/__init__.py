"""cns_core: the Cloud Native Stack domain library (recipes, snapshots, validation, bundles).

The pipeline, usable from Python as the CLI and the web app use it::

    from cns_core import Criteria, load_store, build_recipe, generate_bundle, BundleOptions

    store = load_store()                                   # embedded data (or a --data dir)
    recipe = build_recipe(Criteria.parse({"service": "eks", "accelerator": "gb200"}), store)
    bundle = generate_bundle(recipe, store, BundleOptions.parse(deployer="helm"))
    bundle.files["Chart.yaml"], bundle.zip, bundle.warnings

    snapshot = collect_snapshot(CollectOptions())          # this node (OS, SystemD, GPU, K8s)
    report = validate_snapshot(recipe.constraints, snapshot)

Every error is a :class:`cns_core.errors.CNSError` with a code. Names are imported on
first use (PEP 562), so ``import cns_core`` stays cheap for the CLI, and nothing here
imports Flask.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

API_VERSION = "cns.nvidia.com/v1alpha1"

#: public name → module that defines it
_EXPORTS = {
    "Criteria": "cns_core.criteria",
    "load_store": "cns_core.recipes.store",
    "build_recipe": "cns_core.recipes.builder",
    "RecipeResult": "cns_core.recipes.model",
    "CollectOptions": "cns_core.snapshot.collect",
    "collect_snapshot": "cns_core.snapshot.collect",
    "Snapshot": "cns_core.snapshot.model",
    "validate_snapshot": "cns_core.validate.report",
    "BundleOptions": "cns_core.bundle.options",
    "generate_bundle": "cns_core.bundle.generate",
    "CNSError": "cns_core.errors",
}

__all__ = [
    "API_VERSION",
    "BundleOptions",
    "CNSError",
    "CollectOptions",
    "Criteria",
    "RecipeResult",
    "Snapshot",
    "__version__",
    "build_recipe",
    "collect_snapshot",
    "generate_bundle",
    "load_store",
    "validate_snapshot",
]

if TYPE_CHECKING:
    from .bundle.generate import generate_bundle
    from .bundle.options import BundleOptions
    from .criteria import Criteria
    from .errors import CNSError
    from .recipes.builder import build_recipe
    from .recipes.model import RecipeResult
    from .recipes.store import load_store
    from .snapshot.collect import CollectOptions, collect_snapshot
    from .snapshot.model import Snapshot
    from .validate.report import validate_snapshot


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cns_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
