"""What differs between two recipes: components, versions, values, constraints, overlays, order.

``diff_recipes(a, b)`` compares ``a`` (before) with ``b`` (after) and returns a typed
:class:`RecipeDiff`. Values are compared leaf by leaf (lists are leaves); by default
the recipe's own ``overrides`` are compared, and ``values=`` can supply each
component's resolved Helm values instead (see :func:`cns_core.bundle.values.resolved_values`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .model import ComponentRef, RecipeResult

#: ComponentRef fields compared (attribute, label), in the order a person reads them.
COMPARED_FIELDS = (
    ("version", "version"),
    ("type", "type"),
    ("source", "source"),
    ("tag", "tag"),
    ("path", "path"),
    ("values_file", "valuesFile"),
    ("dependency_refs", "dependencyRefs"),
    ("manifest_files", "manifestFiles"),
    ("patches", "patches"),
)

ValuesOf = Callable[[ComponentRef], Mapping[str, Any]]


class DiffKind(StrEnum):
    """How one item changed from ``a`` to ``b``."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class _Missing:
    """The absent side of an added or removed value (serialised as no key at all)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def same(before: Any, after: Any) -> bool:
    """Equal, and of the same types all the way down: ``1``, ``1.0``, ``true`` and ``"1"``
    differ, as they do to a chart."""
    if type(before) is not type(after):
        return False
    if isinstance(before, Mapping):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple):
        return len(before) == len(after) and all(map(same, before, after))
    return bool(before == after)


def _kind(before: Any, after: Any) -> DiffKind:
    if before is MISSING:
        return DiffKind.ADDED
    if after is MISSING:
        return DiffKind.REMOVED
    return DiffKind.UNCHANGED if same(before, after) else DiffKind.CHANGED


def _sides(before: Any, after: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if before is not MISSING:
        out["before"] = before
    if after is not MISSING:
        out["after"] = after
    return out


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One componentRef field that differs (``version``, ``source``, …); ``""`` = unset."""

    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One values leaf that differs: dotted ``path``; ``before``/``after`` MISSING when absent."""

    path: str
    before: Any
    after: Any

    @property
    def kind(self) -> DiffKind:
        return _kind(self.before, self.after)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind.value, **_sides(self.before, self.after)}


@dataclass(frozen=True, slots=True)
class ComponentDiff:
    """One component on either side: added, removed, changed (fields or values) or unchanged."""

    name: str
    before: ComponentRef | None
    after: ComponentRef | None
    fields: tuple[FieldChange, ...] = ()
    values: tuple[ValueChange, ...] = ()

    @property
    def kind(self) -> DiffKind:
        if self.before is None:
            return DiffKind.ADDED
        if self.after is None:
            return DiffKind.REMOVED
        return DiffKind.CHANGED if self.fields or self.values else DiffKind.UNCHANGED

    def field(self, name: str) -> FieldChange | None:
        return next((f for f in self.fields if f.field == name), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind.value}
        if self.before is not None:
            out["beforeVersion"] = self.before.version
        if self.after is not None:
            out["afterVersion"] = self.after.version
        if self.fields:
            out["fields"] = [f.to_dict() for f in self.fields]
        if self.values:
            out["values"] = [v.to_dict() for v in self.values]
        return out


@dataclass(frozen=True, slots=True)
class ConstraintDiff:
    """One constraint by name: its expression on each side (MISSING when absent)."""

    name: str
    before: Any
    after: Any

    @property
    def kind(self) -> DiffKind:
        return _kind(self.before, self.after)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind.value, **_sides(self.before, self.after)}


@dataclass(frozen=True, slots=True)
class RecipeDiff:
    """Everything that differs between recipe ``a`` and recipe ``b``."""

    a: RecipeResult
    b: RecipeResult
    components: tuple[ComponentDiff, ...]
    constraints: tuple[ConstraintDiff, ...]
    overlays_added: tuple[str, ...]
    overlays_removed: tuple[str, ...]

    @property
    def order_changed(self) -> bool:
        return self.a.deployment_order != self.b.deployment_order

    @property
    def identical(self) -> bool:
        """No component, constraint, overlay or order difference."""
        return not (
            self.overlays_added
            or self.overlays_removed
            or self.order_changed
            or any(c.kind is not DiffKind.UNCHANGED for c in self.components)
            or any(c.kind is not DiffKind.UNCHANGED for c in self.constraints)
        )

    def components_of(self, kind: DiffKind | str) -> tuple[ComponentDiff, ...]:
        return tuple(c for c in self.components if c.kind is DiffKind(kind))

    def constraints_of(self, kind: DiffKind | str) -> tuple[ConstraintDiff, ...]:
        return tuple(c for c in self.constraints if c.kind is DiffKind(kind))

    def summary(self) -> dict[str, int]:
        """Counts of components per kind (every kind present, in a fixed order)."""
        return {kind.value: len(self.components_of(kind)) for kind in DiffKind}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (what ``cns diff`` would print)."""
        return {
            "a": {"criteria": self.a.criteria.to_dict()},
            "b": {"criteria": self.b.criteria.to_dict()},
            "identical": self.identical,
            "summary": self.summary(),
            "components": [c.to_dict() for c in self.components],
            "constraints": [
                c.to_dict() for c in self.constraints if c.kind is not DiffKind.UNCHANGED
            ],
            "overlays": {
                "added": list(self.overlays_added),
                "removed": list(self.overlays_removed),
            },
            "deploymentOrder": {
                "changed": self.order_changed,
                "before": list(self.a.deployment_order),
                "after": list(self.b.deployment_order),
            },
        }


def _overrides(ref: ComponentRef) -> Mapping[str, Any]:
    return ref.overrides


def diff_recipes(a: RecipeResult, b: RecipeResult, *, values: ValuesOf = _overrides) -> RecipeDiff:
    """Compare recipe ``a`` (before) with ``b`` (after).

    Components and constraints are listed by name in sorted order; ``values(ref)``
    gives the values compared for a component (default: its recipe overrides).
    """
    before = {ref.name: ref for ref in a.component_refs}
    after = {ref.name: ref for ref in b.component_refs}
    components = []
    for name in sorted({*before, *after}):
        old, new = before.get(name), after.get(name)
        if old is None or new is None:
            components.append(ComponentDiff(name, old, new))
            continue
        components.append(
            ComponentDiff(
                name,
                old,
                new,
                fields=tuple(_field_changes(old, new)),
                values=tuple(value_changes(values(old), values(new))),
            )
        )
    old_constraints = {c.name: c.value for c in a.constraints}
    new_constraints = {c.name: c.value for c in b.constraints}
    constraints = tuple(
        ConstraintDiff(name, old_constraints.get(name, MISSING), new_constraints.get(name, MISSING))
        for name in sorted({*old_constraints, *new_constraints})
    )
    return RecipeDiff(
        a=a,
        b=b,
        components=tuple(components),
        constraints=constraints,
        overlays_added=tuple(o for o in b.applied_overlays if o not in a.applied_overlays),
        overlays_removed=tuple(o for o in a.applied_overlays if o not in b.applied_overlays),
    )


def _field_changes(old: ComponentRef, new: ComponentRef) -> Iterator[FieldChange]:
    for attr, label in COMPARED_FIELDS:
        left, right = getattr(old, attr), getattr(new, attr)
        if left != right:
            if isinstance(left, tuple):
                left, right = list(left), list(right)
            yield FieldChange(label, left, right)


def value_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = ""
) -> Iterator[ValueChange]:
    """Leaf differences between two values trees, keys in sorted order (lists are leaves).

    A mapping added or removed as a whole is listed leaf by leaf; a key that is a
    mapping on one side and a leaf on the other is one change of the whole value.
    """
    for key in sorted({*before, *after}, key=str):
        path = f"{prefix}{_segment(str(key))}"
        left, right = before.get(key, MISSING), after.get(key, MISSING)
        nested_left, nested_right = isinstance(left, Mapping), isinstance(right, Mapping)
        if (nested_left or left is MISSING) and (nested_right or right is MISSING):
            inner = list(value_changes(left or {}, right or {}, f"{path}."))
            if inner:
                yield from inner
            elif left is MISSING or right is MISSING:  # an empty mapping added or removed
                yield ValueChange(path, left, right)
        elif not same(left, right):
            yield ValueChange(path, left, right)


def _segment(key: str) -> str:
    """A key as a ``--set`` path segment (a literal dot escaped)."""
    return key.replace(".", "\\.")
