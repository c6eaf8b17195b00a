"""What a user can ask for: the valid criteria values, and the overlays with what each
matches and adds (``cns list``, ``GET /v1/criteria``); and, for a query, the overlays
one more criterion would bring in (``cns recipe --snapshot`` guidance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..criteria import ANY, ENUM_FIELDS, VALID_VALUES, AllowLists, Criteria, aliases
from .builder import ConstraintEvaluator
from .explain import component_changes, constraint_change
from .model import ComponentRef, Constraint, ConstraintWarning, RecipeMetadata
from .store import RecipeStore

#: Other names of a criteria field (query parameter, flag), by field.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {"accelerator": ("gpu",)}


@dataclass(frozen=True)
class Criterion:
    """One criteria field: its valid values (``any`` last) and the aliases it accepts."""

    name: str
    values: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    field_aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.name == "nodes":
            return {"name": "nodes", "type": "integer", "minimum": 0, "default": 0}
        out: dict[str, Any] = {"name": self.name, "type": "string", "values": list(self.values)}
        out["default"] = ANY
        out["aliases"] = dict(self.aliases)
        if self.field_aliases:
            out["fieldAliases"] = list(self.field_aliases)
        return out


@dataclass(frozen=True)
class OverlayEntry:
    """One overlay: the criteria it pins (empty: it is only inherited), its base, what it
    changes on top of that base (``adds``, as ``--explain`` words it), its own constraints."""

    name: str
    source_file: str
    matches: Mapping[str, Any]
    base: str
    adds: tuple[str, ...]
    constraints: tuple[Constraint, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.source_file,
            "matches": dict(self.matches),
            "base": self.base,
            "adds": list(self.adds),
            "constraints": [c.to_dict() for c in self.constraints],
        }


@dataclass(frozen=True)
class Catalog:
    """Every criterion and every overlay of a recipe store."""

    criteria: tuple[Criterion, ...]
    overlays: tuple[OverlayEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "criteria": [c.to_dict() for c in self.criteria],
            "overlays": [o.to_dict() for o in self.overlays],
        }


def build_catalog(store: RecipeStore, allowlists: AllowLists | None = None) -> Catalog:
    """The criteria and overlays of ``store``; with ``allowlists``, only the values a
    server allows, and only the overlays such values can reach."""
    allowed = allowlists.lists if allowlists is not None else {}
    criteria = [
        Criterion(
            name=name,
            values=(*(v for v in VALID_VALUES[name] if _allowed(allowed, name, v)), ANY),
            aliases={
                a: v for a, v in aliases(name).items() if v == ANY or _allowed(allowed, name, v)
            },
            field_aliases=FIELD_ALIASES.get(name, ()),
        )
        for name in ENUM_FIELDS
    ]
    criteria.append(Criterion("nodes"))
    overlays = [
        _entry(store, overlay)
        for overlay in sorted(store.overlays.values(), key=lambda o: o.name)
        if overlay.criteria is None
        or all(_allowed(allowed, f, getattr(overlay.criteria, f)) for f in ENUM_FIELDS)
    ]
    return Catalog(tuple(criteria), tuple(overlays))


def _allowed(allowed: Mapping[str, tuple[str, ...]], name: str, value: str) -> bool:
    listed = allowed.get(name)
    return not listed or value == ANY or value in listed


def _entry(store: RecipeStore, overlay: RecipeMetadata) -> OverlayEntry:
    """What ``overlay`` does on top of the base recipe and its own ancestors."""
    refs: dict[str, ComponentRef] = {}
    constraints: dict[str, Constraint] = {}
    for layer in (store.base, *store.chain(overlay.name)[:-1]):
        for ref in layer.component_refs:
            refs[ref.name] = refs[ref.name].merged_with(ref) if ref.name in refs else ref
        constraints.update((c.name, c) for c in layer.constraints)
    adds: list[str] = []
    for ref in overlay.component_refs:
        old = refs.get(ref.name)
        adds += component_changes(old, old.merged_with(ref) if old is not None else ref)
    for constraint in overlay.constraints:
        text = constraint_change(constraints.get(constraint.name), constraint)
        if text:
            adds.append(text)
    pinned = overlay.criteria.to_dict() if overlay.criteria is not None else {}
    return OverlayEntry(
        name=overlay.name,
        source_file=overlay.source_file,
        matches={k: v for k, v in pinned.items() if v not in (ANY, 0)},
        base=overlay.base or "base",
        adds=tuple(adds),
        constraints=overlay.constraints,
    )


@dataclass(frozen=True)
class Reachable:
    """An overlay that does not apply to a query but would with ``flags`` added to it;
    ``failing``: the constraints of its chain a snapshot fails (it would be excluded)."""

    overlay: str
    flags: Mapping[str, Any]
    failing: tuple[ConstraintWarning, ...] = ()

    @property
    def hint(self) -> str:
        """``--intent training`` (the flags that would bring the overlay in)."""
        return " ".join(f"--{name} {value}" for name, value in self.flags.items())


def reachable_overlays(
    store: RecipeStore, criteria: Criteria, evaluator: ConstraintEvaluator | None = None
) -> list[Reachable]:
    """Overlays that miss ``criteria`` only on fields it leaves open (``any`` / 0), each
    with the values those fields would need, by name. Overlays that pin a different
    value for a field the query pins are out of reach and not listed. With an
    ``evaluator`` (a snapshot), each also lists the constraints of its chain that fail."""
    out = []
    for overlay in sorted(store.overlays.values(), key=lambda o: o.name):
        wanted = overlay.criteria
        if wanted is None or wanted.matches(criteria):
            continue
        flags: dict[str, Any] = {}
        for name in ENUM_FIELDS:
            mine, theirs = getattr(wanted, name), getattr(criteria, name)
            if mine != ANY and mine != theirs:
                if theirs != ANY:
                    break
                flags[name] = mine
        else:
            if wanted.nodes and wanted.nodes != criteria.nodes:
                if criteria.nodes:
                    continue
                flags["nodes"] = wanted.nodes
            out.append(Reachable(overlay.name, flags, _failing(store, overlay, evaluator)))
    return out


def _failing(
    store: RecipeStore, overlay: RecipeMetadata, evaluator: ConstraintEvaluator | None
) -> tuple[ConstraintWarning, ...]:
    if evaluator is None:
        return ()
    out = []
    for member in store.chain(overlay.name):
        for constraint in member.constraints:
            passed, actual, reason = evaluator(constraint)
            if not passed:
                out.append(
                    ConstraintWarning(
                        member.name, constraint.name, constraint.value, reason, actual
                    )
                )
    return tuple(out)
