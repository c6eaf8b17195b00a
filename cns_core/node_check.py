"""Check one node: its snapshot against a recipe, given or selected by criteria.

``check_node`` is ``cns recipe --snapshot`` followed by ``cns validate`` in one call
(``POST /v1/validate`` and the browser's "check a node" page use it):

- with a ``recipe`` document, its constraints are checked as they are;
- otherwise the criteria are detected from the snapshot, the pinned fields of
  ``criteria`` override them, the recipe is built with the snapshot's constraint
  evaluator (overlays whose own constraints fail are excluded, with the reason),
  and that recipe's constraints are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .criteria import ANY, Criteria
from .recipes import RecipeResult, RecipeStore, build_recipe
from .snapshot.infer import criteria_from_snapshot
from .snapshot.model import Snapshot
from .validate import (
    ValidationReport,
    constraint_evaluator,
    constraints_from_document,
    validate_snapshot,
)


@dataclass(frozen=True)
class NodeCheck:
    """The outcome: what was detected, the recipe built (None for a given recipe), the report."""

    detected: Criteria
    recipe: RecipeResult | None
    report: ValidationReport

    @property
    def criteria(self) -> Criteria | None:
        """The criteria of the recipe that was checked (None for a given recipe)."""
        return self.recipe.criteria if self.recipe is not None else None


def pinned(criteria: Criteria) -> dict[str, Any]:
    """The fields of ``criteria`` that are not wildcards."""
    return {k: v for k, v in criteria.to_dict().items() if v not in (ANY, 0)}


def select_recipe(
    snapshot: Snapshot, store: RecipeStore, criteria: Criteria | None = None
) -> tuple[Criteria, RecipeResult]:
    """The detected criteria and the recipe ``cns recipe --snapshot`` builds for this node."""
    detected = criteria_from_snapshot(snapshot)
    wanted = detected.replace(**pinned(criteria)) if criteria is not None else detected
    return detected, build_recipe(wanted, store, evaluator=constraint_evaluator(snapshot))


def check_node(
    snapshot: Snapshot,
    store: RecipeStore,
    *,
    recipe: Any = None,
    criteria: Criteria | None = None,
    recipe_source: str = "",
    snapshot_source: str = "",
) -> NodeCheck:
    """Validate ``snapshot`` against ``recipe`` (a document) or the recipe it selects."""
    if recipe is not None:
        constraints = constraints_from_document(recipe, source=recipe_source or "recipe")
        detected, built = criteria_from_snapshot(snapshot), None
    else:
        detected, built = select_recipe(snapshot, store, criteria)
        constraints = built.constraints
        recipe_source = recipe_source or f"recipe for {built.criteria}"
    report = validate_snapshot(
        constraints, snapshot, recipe_source=recipe_source, snapshot_source=snapshot_source
    )
    return NodeCheck(detected, built, report)
