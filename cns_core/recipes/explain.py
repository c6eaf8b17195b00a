"""What each recipe layer changed: the trace behind ``cns recipe --explain``.

A recipe is the base with matching overlays merged onto it; this says, layer by
layer, which components were added, which versions were raised or lowered, which
values files, overrides and manifests changed, and which constraints were set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from ..errors import InvalidRequestError
from .model import ComponentRef, Constraint


class Change(NamedTuple):
    """One thing a recipe layer (``base`` or an overlay) did to the result."""

    layer: str
    text: str


def constraint_change(old: Constraint | None, new: Constraint) -> str | None:
    """How ``new`` changes a constraint (None when it changes nothing)."""
    if old is None:
        return f"requires {new.name} {new.value}"
    if old.value == new.value:
        return None
    return f"{new.name}: {old.value} → {new.value}"


def component_changes(old: ComponentRef | None, new: ComponentRef) -> Iterator[str]:
    """How merging an overlay's ref turned ``old`` into ``new`` (``old`` None: added)."""
    if old is None:
        version = f" {new.version}" if new.version else ""
        yield f"adds {new.name}{version}"
        old = ComponentRef(name=new.name)
    elif old.version != new.version:
        yield f"{new.name} version {old.version} → {new.version}{_direction(old.version, new.version)}"
    if old.source != new.source and old.source:
        yield f"{new.name} source {old.source} → {new.source}"
    if old.values_file != new.values_file:
        yield f"{new.name} values file {new.values_file}"
    for path, value in _leaf_changes(old.overrides, new.overrides):
        yield f"{new.name} sets {path}={value if isinstance(value, str) else json.dumps(value)}"
    for manifest in new.manifest_files:
        if manifest not in old.manifest_files:
            yield f"{new.name} adds manifest {manifest}"
    if old.dependency_refs != new.dependency_refs and new.dependency_refs:
        yield f"{new.name} depends on {', '.join(new.dependency_refs)}"


def _direction(old: str, new: str) -> str:
    from ..versions import Version

    try:
        order = Version.parse(new).compare(Version.parse(old))
    except InvalidRequestError:
        return ""
    return {-1: " (lowered)", 1: " (raised)"}.get(order, "")


def _leaf_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    for key, value in new.items():
        path = f"{prefix}{key}"
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            yield from _leaf_changes(before, value, f"{path}.")
        elif isinstance(value, Mapping):
            yield from _leaf_changes({}, value, f"{path}.")
        elif before != value or key not in old:
            yield path, value


def changes_by_component(
    changes: Iterable[Change], names: Iterable[str]
) -> dict[str, list[Change]]:
    """The component changes of a trace, per component name (constraint changes are left out)."""
    out: dict[str, list[Change]] = {name: [] for name in names}
    for change in changes:
        subject = change.text.removeprefix("adds ").split(" ", 1)[0]
        if subject in out:
            out[subject].append(change)
    return out


def explain_entries(changes: Iterable[Change]) -> list[dict[str, str]]:
    """The trace as document entries, ``[{layer, change}, ...]`` (a recipe's ``metadata.explain``)."""
    return [{"layer": change.layer, "change": change.text} for change in changes]
