"""The component registry: chart coordinates, namespaces, --set aliases, scheduling paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from ..errors import InvalidRequestError

REGISTRY_KIND = "ComponentRegistry"


#: Placement flags, by (node class, kind) as the registry's nodeScheduling spells them.
PLACEMENT_FLAGS = {
    ("system", "nodeSelector"): "system-node-selector",
    ("system", "tolerations"): "system-node-toleration",
    ("accelerated", "nodeSelector"): "accelerated-node-selector",
    ("accelerated", "tolerations"): "accelerated-node-toleration",
}


class NodeScheduling(NamedTuple):
    """Values paths where node selectors and tolerations are written, per node class.

    ``not_reached`` maps a placement flag (``accelerated-node-selector``, ...) to the
    workloads of the chart that flag cannot reach, as a phrase for a warning.
    """

    system_node_selector_paths: tuple[str, ...] = ()
    system_toleration_paths: tuple[str, ...] = ()
    accelerated_node_selector_paths: tuple[str, ...] = ()
    accelerated_toleration_paths: tuple[str, ...] = ()
    not_reached: Mapping[str, str] = MappingProxyType({})


class OfflineRender(NamedTuple):
    """Values, and a note, for deployers that render with ``helm template`` (Argo CD).

    ``note`` may name ``{namespace}``, the component's namespace.
    """

    values: Mapping[str, Any] = MappingProxyType({})
    note: str = ""


class RegistryComponent(NamedTuple):
    """Everything cns knows about a component independent of any recipe.

    ``manifests_only``: the component has no chart; it is its recipe manifests (a
    Skyhook tuning, DaemonSets), deployed like any component's manifests.
    ``prerequisite``: what the user must do before deploying it (a bundle warning).
    """

    name: str
    display_name: str
    value_override_keys: tuple[str, ...] = ()
    helm_repository: str = ""
    helm_chart: str = ""
    helm_version: str = ""
    kustomize_source: str = ""
    kustomize_path: str = ""
    kustomize_tag: str = ""
    namespace: str = ""
    node_scheduling: NodeScheduling = NodeScheduling()
    offline_render: OfflineRender = OfflineRender()
    manifests_only: bool = False
    prerequisite: str = ""

    @property
    def type(self) -> str:
        """``Helm`` or ``Kustomize``; ``""`` for a component that is only manifests."""
        if self.manifests_only:
            return ""
        return "Kustomize" if self.kustomize_source else "Helm"

    @property
    def chart_name(self) -> str:
        """The chart's own name (``prometheus-community/kube-prometheus-stack`` → last part);
        ``""`` for a component that is only manifests."""
        if self.manifests_only:
            return ""
        return self.helm_chart.rsplit("/", 1)[-1] if self.helm_chart else self.name


@dataclass(frozen=True)
class ComponentRegistry:
    """Registry components in file order, with lookups by name and by --set alias."""

    components: tuple[RegistryComponent, ...]
    _by_name: dict[str, RegistryComponent] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.components})

    def get(self, name: str) -> RegistryComponent | None:
        return self._by_name.get(name)

    def chart_and_namespace(self, name: str) -> tuple[str, str]:
        """The chart a component deploys and the namespace it goes to (its own name when
        the registry does not say)."""
        entry = self.get(name)
        if entry is None:
            return name, name
        return entry.chart_name, entry.namespace or name

    def by_override_key(self, key: str) -> RegistryComponent | None:
        """The component named ``key``, else the first one listing it as an alias."""
        found = self.get(key)
        if found is not None:
            return found
        return next((c for c in self.components if key in c.value_override_keys), None)

    def merged_with(self, other: ComponentRegistry) -> ComponentRegistry:
        """Same-named components replaced wholesale by ``other``'s; new ones appended."""
        replaced = [other.get(c.name) or c for c in self.components]
        added = [c for c in other.components if self.get(c.name) is None]
        return ComponentRegistry(tuple(replaced + added))

    @classmethod
    def from_document(cls, doc: Any, *, source: str) -> ComponentRegistry:
        """Parse and validate a ``ComponentRegistry`` document."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("components"), list):
            raise InvalidRequestError(f"{source}: expected a ComponentRegistry with components")
        if doc.get("kind") not in (None, REGISTRY_KIND):
            raise InvalidRequestError(f'{source}: kind must be "{REGISTRY_KIND}"')
        components = tuple(
            _component(item, f"{source}: components[{i}]")
            for i, item in enumerate(doc["components"])
        )
        _check_unique(components, source)
        return cls(components)


def _component(item: Any, where: str) -> RegistryComponent:
    if not isinstance(item, Mapping) or not _text(item.get("name")):
        raise InvalidRequestError(f"{where}: name is required")
    name = item["name"]
    helm = _section(item, "helm", where)
    kustomize = _section(item, "kustomize", where)
    if helm and kustomize:
        raise InvalidRequestError(f"{where} ({name}): cannot have both helm and kustomize")
    manifests_only = item.get("manifestsOnly", False)
    if not isinstance(manifests_only, bool):
        raise InvalidRequestError(f"{where} ({name}): manifestsOnly must be true or false")
    if manifests_only and (helm or kustomize):
        raise InvalidRequestError(
            f"{where} ({name}): a manifestsOnly component has no helm or kustomize section"
        )
    prerequisite = item.get("prerequisite") or ""
    if not isinstance(prerequisite, str):
        raise InvalidRequestError(f"{where} ({name}): prerequisite must be a string")
    scheduling = _section(item, "nodeScheduling", where)
    system = _section(scheduling, "system", where)
    accelerated = _section(scheduling, "accelerated", where)
    return RegistryComponent(
        name=name,
        display_name=str(item.get("displayName") or name),
        value_override_keys=_strings(item.get("valueOverrideKeys"), f"{where} ({name})"),
        helm_repository=str(helm.get("defaultRepository") or ""),
        helm_chart=str(helm.get("defaultChart") or ""),
        helm_version=str(helm.get("defaultVersion") or ""),
        kustomize_source=str(kustomize.get("defaultSource") or ""),
        kustomize_path=str(kustomize.get("defaultPath") or ""),
        kustomize_tag=str(kustomize.get("defaultTag") or ""),
        namespace=str(item.get("namespace") or ""),
        node_scheduling=NodeScheduling(
            system_node_selector_paths=_strings(system.get("nodeSelectorPaths"), where),
            system_toleration_paths=_strings(system.get("tolerationPaths"), where),
            accelerated_node_selector_paths=_strings(accelerated.get("nodeSelectorPaths"), where),
            accelerated_toleration_paths=_strings(accelerated.get("tolerationPaths"), where),
            not_reached=_not_reached({"system": system, "accelerated": accelerated}, where),
        ),
        offline_render=_offline_render(_section(item, "offlineRender", where), where),
        manifests_only=manifests_only,
        prerequisite=" ".join(prerequisite.split()),
    )


def _offline_render(section: Mapping[str, Any], where: str) -> OfflineRender:
    note = section.get("note") or ""
    if not isinstance(note, str):
        raise InvalidRequestError(f"{where}: offlineRender.note must be a string")
    return OfflineRender(
        values=MappingProxyType(dict(_section(section, "values", where))),
        note=" ".join(note.split()),
    )


def _not_reached(classes: Mapping[str, Mapping[str, Any]], where: str) -> Mapping[str, str]:
    """``{flag: phrase}`` from each class's ``notReached: {nodeSelector|tolerations: text}``."""
    out: dict[str, str] = {}
    for node_class, section in classes.items():
        notes = _section(section, "notReached", where)
        for kind, text in notes.items():
            flag = PLACEMENT_FLAGS.get((node_class, kind))
            if flag is None or not _text(text):
                raise InvalidRequestError(
                    f"{where}: nodeScheduling.{node_class}.notReached.{kind}: expected "
                    "nodeSelector or tolerations with a text"
                )
            out[flag] = " ".join(str(text).split())
    return MappingProxyType(out)


def _check_unique(components: tuple[RegistryComponent, ...], source: str) -> None:
    seen: dict[str, str] = {}
    for comp in components:
        if comp.name in seen:
            raise InvalidRequestError(f"{source}: duplicate component name {comp.name}")
        seen[comp.name] = comp.name
    owners: dict[str, str] = {}
    for comp in components:
        for key in comp.value_override_keys:
            if key in owners or (key in seen and key != comp.name):
                other = owners.get(key, key)
                raise InvalidRequestError(
                    f'{source}: valueOverrideKey "{key}" is used by both {other} and {comp.name}'
                )
            owners[key] = comp.name


def _section(item: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = item.get(key) or {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{where}: {key} must be a mapping")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(_text(v) for v in value):
        raise InvalidRequestError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
