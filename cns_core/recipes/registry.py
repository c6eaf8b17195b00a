"""The component registry: chart coordinates, namespaces, --set aliases, scheduling paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import InvalidRequestError

REGISTRY_KIND = "ComponentRegistry"


class NodeScheduling(NamedTuple):
    """Values paths where node selectors and tolerations are written, per node class."""

    system_node_selector_paths: tuple[str, ...] = ()
    system_toleration_paths: tuple[str, ...] = ()
    accelerated_node_selector_paths: tuple[str, ...] = ()
    accelerated_toleration_paths: tuple[str, ...] = ()


class RegistryComponent(NamedTuple):
    """Everything cns knows about a component independent of any recipe."""

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

    @property
    def type(self) -> str:
        return "Kustomize" if self.kustomize_source else "Helm"

    @property
    def chart_name(self) -> str:
        """The chart's own name (``prometheus-community/kube-prometheus-stack`` → last part)."""
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
        ),
    )


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
