"""The values pipeline: what each component's chart receives.

Per component, each step a deep merge onto a fresh copy (the store is never
mutated): the base values file ``components/<name>/values.yaml`` (when the data
has one), the recipe's ``valuesFile``, the recipe's ``overrides``, the ``--set``
overrides in the order given, then node placement at the registry paths.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError
from ..lru import IdentityMemo, LRUCache
from ..nested_maps import merge_into, sorted_keys
from ..recipes.model import ComponentRef
from ..recipes.registry import RegistryComponent
from ..recipes.store import NOT_REFERENCED, RecipeStore, base_values_path
from ..serialize import dump_yaml, load_yaml, root_entry
from .overrides import SetOverride, set_path
from .placement import Placement

if TYPE_CHECKING:
    from .plan import BundleComponent


def component_values(
    store: RecipeStore,
    ref: ComponentRef,
    entry: RegistryComponent | None,
    overrides: Iterable[SetOverride],
    placement: Placement,
    warnings: list[str],
) -> dict[str, Any]:
    """The merged values for one component (a new dict every call).

    Placement flags that cannot reach some of the component's workloads are
    appended to ``warnings``.
    """
    values: dict[str, Any] = {}
    base = base_values_path(ref.name)
    for path in dict.fromkeys(p for p in (base, ref.values_file) if p):
        text = store.file(path)
        if text is None:
            if path == base:
                continue
            raise InvalidRequestError(f"component {ref.name}: valuesFile {path!r} {NOT_REFERENCED}")
        merge_into(values, _parsed_values(text, path))
    merge_into(values, ref.overrides)
    for override in overrides:
        set_path(values, override, ref.name)
    if entry is not None:
        warnings.extend(placement.apply(values, entry.node_scheduling, ref.name))
    return values


@dataclass(frozen=True, eq=False)
class PlannedValues:
    """A component's values as a bundle plans them, the same with every map's keys sorted
    (as values files write them), and the warnings of its placement.

    Shared by every bundle planned from the same inputs (:func:`planned_values`), and so
    are their texts, written once: read-only, as everything that writes a bundle treats
    them.
    """

    values: dict[str, Any]
    sorted: dict[str, Any]
    warnings: tuple[str, ...]
    #: Bytes it holds, estimated (what bounds the memo of them).
    size: int
    _entries: dict[tuple[str, bool], str] = field(default_factory=dict, init=False, repr=False)

    @functools.cached_property
    def document(self) -> str:
        """The values file: keys sorted, ``{}`` when there are none."""
        return dump_yaml(self.sorted) if self.values else "{}\n"

    def nested(self, *, enabled: bool) -> dict[str, Any]:
        """The sorted values after ``enabled: true`` if ``enabled``: a component in the
        umbrella chart's values.yaml."""
        return {"enabled": True} | self.sorted if enabled else self.sorted

    def entry(self, key: str, *, enabled: bool) -> str:
        """The root entry ``key:`` holding :meth:`nested`, written once."""
        text = self._entries.get((key, enabled))
        if text is None:
            text = self._entries[key, enabled] = root_entry(key, self.nested(enabled=enabled))
        return text


#: PlannedValues by what they are made of. Bundles built afresh from one recipe with
#: their own ``--set`` values (CI jobs) share every component the sets do not touch.
_PLANNED_BYTES = 1024 * 1024
_PLANNED = IdentityMemo[PlannedValues](
    LRUCache(
        256,
        max_weight=_PLANNED_BYTES,
        weight=lambda entry: entry[1].size,
        max_entry_weight=_PLANNED_BYTES // 16,
    )
)


def planned_values(
    store: RecipeStore,
    ref: ComponentRef,
    entry: RegistryComponent | None,
    overrides: Iterable[SetOverride],
    placement: Placement,
) -> PlannedValues:
    """:func:`component_values` and its sorted copy, planned once per distinct inputs:
    the store (by identity: it is immutable), the recipe's ref, the ``--set`` overrides
    aimed at it and the placement (by ``repr``, which tells ``1``, ``'1'`` and ``True``
    apart; ``entry`` is the store's registry entry for the ref)."""
    overrides = tuple(overrides)
    chosen = repr((ref, overrides, placement))

    def plan() -> PlannedValues:
        warnings: list[str] = []
        values = component_values(store, ref, entry, overrides, placement, warnings)
        # what it holds: a component's values (~15 KiB at most in the embedded data) and
        # about ten bytes per character of what the request chose
        size = 16 * 1024 + 10 * len(chosen)
        return PlannedValues(values, sorted_keys(values), tuple(warnings), size)

    return _PLANNED.get_or_build((store,), chosen, plan)


@functools.lru_cache(maxsize=256)
def _parsed_values(text: str, path: str) -> Mapping[str, Any]:
    """Parse a values file once per text (callers deep-merge, so the cache is never mutated)."""
    doc = load_yaml(text, source=path)
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise InvalidRequestError(
            f"invalid values file {path}: expected a mapping of Helm values, "
            f"got {type(doc).__name__}"
        )
    return doc


def values_document(component: BundleComponent) -> str:
    """A component's values as a values file: keys sorted, ``{}`` when there are none."""
    return component.planned.document


def resolved_values(store: RecipeStore, ref: ComponentRef) -> dict[str, Any]:
    """What the component's chart receives from the recipe alone (no ``--set``, no placement)."""
    return component_values(store, ref, store.registry.get(ref.name), (), Placement(), [])
