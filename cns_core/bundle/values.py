"""The values pipeline: what each component's chart receives.

Per component, each step a deep merge onto a fresh copy (the store is never
mutated): the base values file ``components/<name>/values.yaml`` (when the data
has one), the recipe's ``valuesFile``, the recipe's ``overrides``, the ``--set``
overrides in the order given, then node placement at the registry paths.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError
from ..nested_maps import merge_into
from ..recipes.model import ComponentRef
from ..recipes.registry import RegistryComponent
from ..recipes.store import NOT_REFERENCED, RecipeStore, base_values_path
from ..serialize import dump_yaml, load_yaml
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
    return dump_yaml(component.sorted_values) if component.values else "{}\n"


def resolved_values(store: RecipeStore, ref: ComponentRef) -> dict[str, Any]:
    """What the component's chart receives from the recipe alone (no ``--set``, no placement)."""
    return component_values(store, ref, store.registry.get(ref.name), (), Placement(), [])
