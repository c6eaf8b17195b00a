"""Recipe data (store), the recipe model, and the builder that turns criteria into a recipe.

The names below are imported on first use: ``cns validate`` needs the model alone, and
importing the builder and the store (with what they import) would cost it ~10 ms.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .builder import build_recipe
    from .model import ComponentRef, Constraint, ConstraintWarning, RecipeResult
    from .store import RecipeStore, load_store, reset_store_cache

__all__ = [
    "ComponentRef",
    "Constraint",
    "ConstraintWarning",
    "RecipeResult",
    "RecipeStore",
    "build_recipe",
    "load_store",
    "reset_store_cache",
]
_MODULES = {
    "build_recipe": "builder",
    "ComponentRef": "model",
    "Constraint": "model",
    "ConstraintWarning": "model",
    "RecipeResult": "model",
    "RecipeStore": "store",
    "load_store": "store",
    "reset_store_cache": "store",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
