"""What the pages show, computed from cns_core: a recipe as a person reads it, and a diff.

No Flask here: the blueprint passes criteria and the store in and renders the result.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from cns_core.bundle.values import resolved_values
from cns_core.criteria import Criteria
from cns_core.errors import CNSError
from cns_core.recipes import ComponentRef, RecipeResult, RecipeStore, build_recipe
from cns_core.recipes.diff import MISSING, RecipeDiff, diff_recipes
from cns_core.recipes.explain import Change, changes_by_component
from cns_core.serialize import dump_json, dump_yaml

from .graph import dependency_svg
from .highlight import highlight_json, highlight_yaml


@dataclass(frozen=True)
class ComponentView:
    """One row of the components table, with its resolved values and its trace."""

    ref: ComponentRef
    position: int  # 1-based place in the deployment order (0: not in it)
    chart: str
    namespace: str
    values: Markup
    values_error: str
    changes: tuple[Change, ...]

    @property
    def anchor(self) -> str:
        return f"component-{self.ref.name}"


@dataclass(frozen=True)
class RecipeView:
    """A built recipe and everything the explore page shows about it."""

    recipe: RecipeResult
    components: tuple[ComponentView, ...]
    trace: tuple[tuple[str, tuple[str, ...]], ...]  # (layer, what it changed), in order
    json_text: str

    @property
    def json(self) -> Markup:
        return highlight_json(self.json_text)

    def graph(self, ident: str = "graph") -> Markup:
        """The dependency graph as SVG (``ident`` keeps element ids unique on a page)."""
        return dependency_svg(
            self.recipe.deployment_order,
            {ref.name: ref.dependency_refs for ref in self.recipe.component_refs},
            ident=ident,
        )


def _values(store: RecipeStore, ref: ComponentRef) -> tuple[Markup, str]:
    if ref.type == "Kustomize":
        return Markup(""), "a Kustomize component: no Helm values"
    try:
        values = resolved_values(store, ref)
    except CNSError as exc:
        return Markup(""), str(exc)
    return (highlight_yaml(dump_yaml(values)) if values else Markup("")), ""


def recipe_view(recipe: RecipeResult, store: RecipeStore, changes: list[Change]) -> RecipeView:
    """The explore page's view of ``recipe`` (``changes``: its explain trace)."""
    registry = store.registry
    by_component = changes_by_component(changes, (ref.name for ref in recipe.component_refs))
    position = {name: i for i, name in enumerate(recipe.deployment_order, start=1)}
    refs = sorted(recipe.component_refs, key=lambda r: (position.get(r.name, 1 << 30), r.name))
    components = []
    for ref in refs:
        entry = registry.get(ref.name)
        values, error = _values(store, ref)
        components.append(
            ComponentView(
                ref=ref,
                position=position.get(ref.name, 0),
                chart=(entry.helm_chart if entry and entry.helm_chart else ref.name)
                if ref.type != "Kustomize"
                else "",
                namespace=(entry.namespace if entry else "") or ref.name,
                values=values,
                values_error=error,
                changes=tuple(by_component.get(ref.name, ())),
            )
        )
    layers: dict[str, list[str]] = {}
    for change in changes:
        layers.setdefault(change.layer, []).append(change.text)
    return RecipeView(
        recipe=recipe,
        components=tuple(components),
        trace=tuple((layer, tuple(texts)) for layer, texts in layers.items()),
        json_text=dump_json(recipe.to_dict()),
    )


def explore(criteria: Criteria, store: RecipeStore) -> RecipeView:
    """Build the recipe for ``criteria`` (with its trace) and its view."""
    changes: list[Change] = []
    recipe = build_recipe(criteria, store, explain=changes)
    return recipe_view(recipe, store, changes)


def show(value: Any) -> str:
    """A value as the diff tables print it: JSON for data, ``—`` when absent."""
    if value is MISSING:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _values_or_overrides(store: RecipeStore, ref: ComponentRef) -> Mapping[str, Any]:
    try:
        return resolved_values(store, ref)
    except CNSError:
        return ref.overrides


def compare(
    a: Criteria, b: Criteria, store: RecipeStore
) -> tuple[RecipeDiff, RecipeView, RecipeView]:
    """Both recipes and what differs between them (resolved Helm values compared)."""
    view_a, view_b = explore(a, store), explore(b, store)
    diff = diff_recipes(
        view_a.recipe, view_b.recipe, values=functools.partial(_values_or_overrides, store)
    )
    return diff, view_a, view_b
