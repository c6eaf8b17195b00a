"""Helm deployer: an umbrella chart whose dependencies are the recipe's charts."""

from __future__ import annotations

from typing import Any

from ..criteria import ANY
from ..mapping import sorted_keys
from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from . import yamlout
from .common import RELEASE, chart_version, recipe_summary
from .manifests import component_manifests
from .plan import BundleComponent
from .templating import render

CHART_HEADER = """\
# Cloud Native Stack - Helm umbrella chart
#
# Dependencies are listed in the recipe's deployment order. Helm installs them all in
# one release (CRDs first, then resources ordered by kind). Run
# `helm dependency update` to download them before installing.
"""

VALUES_HEADER = """\
# Cloud Native Stack - Helm umbrella chart values
# Recipe version: {recipe_version}
# Bundler version: {cns_version}
#
# Each top-level key is a component: the dependency of that name (or alias) in
# Chart.yaml, so everything under it reaches that chart.
# Set <component>.enabled=false to leave a component out, e.g. when the cluster
# already runs cert-manager:  helm install ... --set cert-manager.enabled=false
"""


def chart_name(recipe: RecipeResult) -> str:
    """``cns-<service>-<accelerator>`` from the pinned criteria, else ``cns-stack``."""
    parts = [v for v in (recipe.criteria.service, recipe.criteria.accelerator) if v != ANY]
    return "-".join(["cns", *parts]) if parts else RELEASE


def helm_files(
    recipe: RecipeResult, store: RecipeStore, components: list[BundleComponent], version: str
) -> dict[str, bytes]:
    """Chart.yaml, values.yaml, README.md and templates/ (``version``: the cns version)."""
    files = {
        "Chart.yaml": _chart_yaml(recipe, components, version).encode(),
        "values.yaml": _values_yaml(recipe, components, version).encode(),
        "README.md": render(
            "helm-README.md.j2",
            chart=chart_name(recipe),
            release=RELEASE,
            components=components,
            **recipe_summary(recipe, version),
        ).encode(),
    }
    files.update(_manifests(store, components))
    return files


def _chart_yaml(recipe: RecipeResult, components: list[BundleComponent], version: str) -> str:
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": chart_name(recipe),
        "description": "NVIDIA Cloud Native Stack - GPU-accelerated Kubernetes deployment",
        "type": "application",
        "version": chart_version(version),
    }
    if recipe.version:
        chart["appVersion"] = recipe.version
    chart["dependencies"] = [_dependency(c) for c in components]
    return CHART_HEADER + yamlout.dump(chart)


def _dependency(component: BundleComponent) -> dict[str, str]:
    dep = {"name": component.chart}
    if component.alias:
        dep["alias"] = component.alias
    dep["version"] = component.ref.version
    dep["repository"] = component.ref.source
    dep["condition"] = f"{component.name}.enabled"
    return dep


def _values_yaml(recipe: RecipeResult, components: list[BundleComponent], version: str) -> str:
    values = {c.name: {"enabled": True} | sorted_keys(c.values) for c in components}
    header = VALUES_HEADER.format(recipe_version=recipe.version or "unknown", cns_version=version)
    return header + yamlout.dump(values)


def _manifests(store: RecipeStore, components: list[BundleComponent]) -> dict[str, bytes]:
    """Each component's manifests at templates/<component>/<file>, rendered only if enabled."""
    return {
        f"templates/{component.name}/{name}": _guarded(text, component.name).encode()
        for component in components
        for name, text in component_manifests(store, component).items()
    }


def _guarded(text: str, component: str) -> str:
    """Wrap a manifest so that ``<component>.enabled=false`` leaves it out too."""
    return (
        f'{{{{- if (index .Values "{component}" | default dict).enabled }}}}\n'
        f"{text}{{{{- end }}}}\n"
    )
