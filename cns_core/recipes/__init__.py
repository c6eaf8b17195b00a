"""Recipe data (store), the recipe model, and the builder that turns criteria into a recipe."""

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
