"""Criteria → RecipeResult: match overlays, resolve inheritance, merge, order, fill defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import __version__
from ..criteria import Criteria
from ..nested_maps import deep_copy
from ..tracing import span
from .explain import Change, component_changes, constraint_change
from .graph import deployment_order
from .model import ComponentRef, Constraint, ConstraintWarning, RecipeMetadata, RecipeResult
from .registry import ComponentRegistry
from .store import RecipeStore

#: Checks one constraint against a snapshot: (passed, actual value or None, reason).
ConstraintEvaluator = Callable[[Constraint], tuple[bool, str | None, str]]


def matching_overlays(store: RecipeStore, criteria: Criteria) -> list[RecipeMetadata]:
    """Overlays whose criteria match, least specific first, ties broken by name."""
    matched = [
        overlay
        for overlay in store.overlays.values()
        if overlay.criteria is not None and overlay.criteria.matches(criteria)
    ]
    return sorted(matched, key=lambda o: (o.criteria.specificity if o.criteria else 0, o.name))


def build_recipe(
    criteria: Criteria,
    store: RecipeStore,
    *,
    version: str = __version__,
    evaluator: ConstraintEvaluator | None = None,
    explain: list[Change] | None = None,
) -> RecipeResult:
    """Build the recipe for ``criteria`` from ``store``.

    With an ``evaluator`` (building from a snapshot), an overlay whose own
    constraints fail is excluded, together with every overlay that inherits
    from it, and the reasons are reported as constraint warnings. With an
    ``explain`` list, what each layer changed is appended to it.
    """
    with span("cns.recipe.build") as current:
        if current is not None:
            current.set_attribute("cns.criteria", str(criteria))
        return _build(criteria, store, version, evaluator, explain)


def _build(
    criteria: Criteria,
    store: RecipeStore,
    version: str,
    evaluator: ConstraintEvaluator | None,
    explain: list[Change] | None,
) -> RecipeResult:
    matched = matching_overlays(store, criteria)
    excluded: list[str] = []
    warnings: list[ConstraintWarning] = []
    if evaluator is not None:
        matched, excluded, warnings = _apply_evaluator(store, matched, evaluator)
    applied: list[str] = []
    constraints: dict[str, Constraint] = {}
    refs: dict[str, ComponentRef] = {}
    layers = [store.base, *(m for o in matched for m in store.chain(o.name))]
    for layer in layers:
        if layer.name in applied:
            continue
        applied.append(layer.name)
        for constraint in layer.constraints:
            if explain is not None and (
                text := constraint_change(constraints.get(constraint.name), constraint)
            ):
                explain.append(Change(layer.name, text))
            constraints[constraint.name] = constraint
        for ref in layer.component_refs:
            old = refs.get(ref.name)
            refs[ref.name] = new = old.merged_with(ref) if old is not None else ref
            if explain is not None:
                explain.extend(Change(layer.name, text) for text in component_changes(old, new))
    merged = [refs[name] for name in sorted(refs)]
    order = deployment_order(merged, where="merged recipe")
    return RecipeResult(
        criteria=criteria,
        component_refs=tuple(_finalised(merged, store.registry)),
        deployment_order=order,
        constraints=tuple(constraints[name] for name in sorted(constraints)),
        version=version,
        applied_overlays=tuple(applied),
        excluded_overlays=tuple(excluded),
        constraint_warnings=tuple(warnings),
    )


def _apply_evaluator(
    store: RecipeStore, matched: list[RecipeMetadata], evaluator: ConstraintEvaluator
) -> tuple[list[RecipeMetadata], list[str], list[ConstraintWarning]]:
    """Split matched overlays into kept and excluded by evaluating each chain's constraints."""
    failures: dict[str, list[ConstraintWarning]] = {}
    kept: list[RecipeMetadata] = []
    excluded: list[str] = []
    warnings: list[ConstraintWarning] = []

    def own_failures(member: RecipeMetadata) -> list[ConstraintWarning]:
        if member.name not in failures:
            failures[member.name] = []
            for constraint in member.constraints:
                passed, actual, reason = evaluator(constraint)
                if not passed:
                    failures[member.name].append(
                        ConstraintWarning(
                            member.name, constraint.name, constraint.value, reason, actual
                        )
                    )
        return failures[member.name]

    for overlay in matched:
        failing = [m for m in store.chain(overlay.name) if own_failures(m)]
        if not failing:
            kept.append(overlay)
            continue
        for member in failing:
            if member.name not in excluded:
                excluded.append(member.name)
                warnings.extend(failures[member.name])
        if overlay.name not in excluded:
            excluded.append(overlay.name)
            parent = failing[-1].name
            warnings.append(
                ConstraintWarning(
                    overlay=overlay.name,
                    constraint=failures[parent][0].constraint,
                    expected=failures[parent][0].expected,
                    actual=failures[parent][0].actual,
                    reason=f"inherits from excluded recipe {parent!r}",
                )
            )
    return kept, excluded, warnings


def _finalised(refs: Iterable[ComponentRef], registry: ComponentRegistry) -> Iterable[ComponentRef]:
    """Refs the result owns (no map shared with the store), registry defaults filled in."""
    for ref in refs:
        ref = ref._replace(
            overrides=deep_copy(ref.overrides), patches=tuple(deep_copy(ref.patches))
        )
        entry = registry.get(ref.name)
        if entry is None or entry.manifests_only:
            yield ref
        elif (ref.type or entry.type) == "Kustomize":
            yield ref._replace(
                type="Kustomize",
                source=ref.source or entry.kustomize_source,
                tag=ref.tag or entry.kustomize_tag,
                path=ref.path or entry.kustomize_path,
            )
        else:
            yield ref._replace(
                type=ref.type or entry.type,
                source=ref.source or entry.helm_repository,
                version=ref.version or entry.helm_version,
            )
