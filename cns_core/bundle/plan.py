"""Which components go into a bundle, in which order, with which chart and values."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import InvalidRequestError
from ..recipes.graph import deployment_order
from ..recipes.model import ComponentRef, RecipeResult
from ..recipes.registry import ComponentRegistry, OfflineRender, RegistryComponent
from ..recipes.store import RecipeStore
from .options import BundleOptions
from .overrides import SetOverride
from .values import PlannedValues, planned_values

#: Called with what the build is about to do (``"planning component gpu-operator"``);
#: it raises (e.g. TIMEOUT) to stop the build. The service passes its request deadline.
Checkpoint = Callable[[str], None]

_NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_SOURCE_RE = re.compile(r"(https?|oci)://\S+")


@dataclass(frozen=True)
class BundleComponent:
    """One component as deployed: its recipe ref, chart coordinates, values and wave."""

    ref: ComponentRef
    chart: str
    namespace: str
    #: The values and their texts (read-only: shared with other bundles).
    planned: PlannedValues
    wave: int
    offline_render: OfflineRender = field(default_factory=OfflineRender)
    #: no chart: the component is its recipe manifests (``chart`` is ``""``)
    manifests_only: bool = False

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def values(self) -> dict[str, Any]:
        return self.planned.values

    @property
    def sorted_values(self) -> dict[str, Any]:
        """``values`` with every map's keys sorted, as the values files write them."""
        return self.planned.sorted

    @property
    def alias(self) -> str:
        """The Helm dependency alias: the component name when it differs from the chart's."""
        return self.name if self.name != self.chart else ""

    @property
    def described(self) -> str:
        """``chart <name> <version>``, or ``recipe manifests`` (for file headers)."""
        if self.manifests_only:
            return "recipe manifests only"
        return f"chart {self.chart} {self.ref.version}"


class BundlePlan(NamedTuple):
    """The components in deployment order, and what the options ask for that a chart
    cannot do (one warning each)."""

    components: list[BundleComponent]
    warnings: list[str]


def no_checkpoint(_stage: str) -> None:
    """The checkpoint of a build without a deadline."""


def plan_bundle(
    recipe: RecipeResult,
    store: RecipeStore,
    options: BundleOptions,
    checkpoint: Checkpoint = no_checkpoint,
) -> BundlePlan:
    """Select, order and configure the components; every bad name or option is an error.

    ``checkpoint`` is called before each component is configured.
    """
    registry = store.registry
    for ref in recipe.component_refs:
        _check_ref(ref, registry.get(ref.name))
    selected = _select(recipe, registry, options.bundlers)
    by_target = _overrides_by_component(options.overrides, selected, registry)
    planned = []
    warnings: list[str] = []
    for wave, ref in enumerate(_ordered(recipe, selected)):
        checkpoint(f"planning component {ref.name}")
        entry = registry.get(ref.name)
        if entry is not None and entry.prerequisite:
            warnings.append(f"{ref.name}: {entry.prerequisite}")
        chart, namespace = registry.chart_and_namespace(ref.name)
        values = planned_values(store, ref, entry, by_target.get(ref.name, ()), options.placement)
        warnings.extend(values.warnings)
        planned.append(
            BundleComponent(
                ref=ref,
                chart=chart,
                namespace=namespace,
                planned=values,
                offline_render=entry.offline_render if entry else OfflineRender(),
                wave=wave,
                manifests_only=entry is not None and entry.manifests_only,
            )
        )
    return BundlePlan(planned, warnings)


def _check_ref(ref: ComponentRef, entry: RegistryComponent | None) -> None:
    if not _NAME_RE.fullmatch(ref.name):
        raise InvalidRequestError(
            f"invalid component name {ref.name!r}: bundles need a DNS label "
            "(lowercase letters, digits and '-', at most 63 characters)"
        )
    if entry is not None and entry.manifests_only:
        if not ref.manifest_files:
            raise InvalidRequestError(
                f"component {ref.name} is made of recipe manifests only, and the recipe "
                "names none (manifestFiles)"
            )
        return
    if ref.type == "Kustomize":
        raise InvalidRequestError(
            f"component {ref.name} is a Kustomize component; bundles deploy Helm charts only"
        )
    if not _SOURCE_RE.fullmatch(ref.source):
        raise InvalidRequestError(
            f"component {ref.name}: source {ref.source!r} is not a chart repository URL "
            "(https://…, http://… or oci://…)"
        )
    if not ref.version.strip():
        raise InvalidRequestError(
            f"component {ref.name} has no version: bundles pin every chart version"
        )


def _select(
    recipe: RecipeResult, registry: ComponentRegistry, bundlers: tuple[str, ...]
) -> dict[str, ComponentRef]:
    refs = {ref.name: ref for ref in recipe.component_refs}
    if not bundlers:
        return refs
    chosen: dict[str, ComponentRef] = {}
    for item in bundlers:
        name = _resolve(item, refs, registry)
        if name is None:
            from ..suggest import did_you_mean

            raise InvalidRequestError(
                f"unknown bundler {item!r}: components in this recipe are "
                f"{', '.join(sorted(refs))}{did_you_mean(item, refs)}",
                details={"bundler": item, "valid": sorted(refs)},
            )
        chosen[name] = refs[name]
    return chosen


def _resolve(key: str, names: dict[str, ComponentRef], registry: ComponentRegistry) -> str | None:
    """A component name, or the component a registry alias stands for, if in ``names``."""
    if key in names:
        return key
    entry = registry.by_override_key(key)
    return entry.name if entry is not None and entry.name in names else None


def _overrides_by_component(
    overrides: tuple[SetOverride, ...],
    selected: dict[str, ComponentRef],
    registry: ComponentRegistry,
) -> dict[str, list[SetOverride]]:
    out: dict[str, list[SetOverride]] = {}
    for override in overrides:
        name = _resolve(override.target, selected, registry)
        if name is None:
            from ..suggest import did_you_mean

            raise InvalidRequestError(
                f"invalid set override {override.text!r}: {override.target!r} is not a component of "
                f"this bundle; valid targets are {', '.join(sorted(selected))} "
                f"(or their registry aliases){did_you_mean(override.target, selected)}",
                details={"set": override.text, "valid": sorted(selected)},
            )
        out.setdefault(name, []).append(override)
    return out


def _ordered(recipe: RecipeResult, selected: dict[str, ComponentRef]) -> list[ComponentRef]:
    """Recipe deployment order (computed from dependencies if absent), unlisted ones last."""
    order = recipe.deployment_order or deployment_order(recipe.component_refs)
    listed = [name for name in order if name in selected]
    rest = sorted(set(selected) - set(listed))
    return [selected[name] for name in (*listed, *rest)]
