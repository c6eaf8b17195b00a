"""Component names as other tools spell them: registry aliases mapped to our names.

NVIDIA AI Cluster Runtime (aicr) calls our ``prometheus`` component
``kube-prometheus-stack`` (its chart's name), and a recipe written with its names
should bundle all the same. Any ``valueOverrideKeys`` alias of the registry is
accepted wherever a component is named: ``--set`` targets and ``bundlers`` (resolved
by the bundle planner) and, through :func:`canonical_recipe`, the component refs,
dependencies and deployment order of a recipe given to ``cns bundle`` /
``POST /v1/bundle``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import InvalidRequestError
from .model import ComponentRef, RecipeResult
from .registry import ComponentRegistry

COMPONENTS_DIR = "components/"


def canonical_name(name: str, registry: ComponentRegistry) -> str:
    """The registry's name for ``name``: itself if it is a component, else the component
    whose alias it is, else unchanged."""
    if registry.get(name) is not None:
        return name
    entry = registry.by_override_key(name)
    return entry.name if entry is not None else name


def canonical_recipe(
    recipe: RecipeResult, registry: ComponentRegistry, files: Mapping[str, str]
) -> RecipeResult:
    """``recipe`` with every component named as the registry names it.

    A data path under ``components/<alias>/`` moves to ``components/<name>/`` when the
    data has a file there. Two refs that name the same component are an error.
    """
    names = {ref.name: canonical_name(ref.name, registry) for ref in recipe.component_refs}
    seen: dict[str, str] = {}
    for old, new in names.items():
        if new in seen:
            raise InvalidRequestError(
                f"recipe names component {new!r} twice: as {seen[new]!r} and as {old!r} "
                f"(an alias of {new!r})"
            )
        seen[new] = old
    refs = tuple(_renamed(ref, names[ref.name], registry, files) for ref in recipe.component_refs)
    order = tuple(canonical_name(name, registry) for name in recipe.deployment_order)
    if refs == recipe.component_refs and order == recipe.deployment_order:
        return recipe
    return recipe._replace(component_refs=refs, deployment_order=order)


def _renamed(
    ref: ComponentRef, name: str, registry: ComponentRegistry, files: Mapping[str, str]
) -> ComponentRef:
    def moved(path: str) -> str:
        prefix = f"{COMPONENTS_DIR}{ref.name}/"
        if name != ref.name and path.startswith(prefix):
            candidate = f"{COMPONENTS_DIR}{name}/{path[len(prefix) :]}"
            if candidate in files:
                return candidate
        return path

    return ref._replace(
        name=name,
        values_file=moved(ref.values_file) if ref.values_file else "",
        manifest_files=tuple(moved(path) for path in ref.manifest_files),
        dependency_refs=tuple(canonical_name(dep, registry) for dep in ref.dependency_refs),
    )
