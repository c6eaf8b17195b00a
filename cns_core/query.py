"""One value of a recipe with its values resolved: ``cns query`` and ``GET /v1/query``.

:func:`hydrate` turns a recipe into one document whose components carry the Helm
values their charts receive, computed by the bundle pipeline
(:func:`cns_core.bundle.plan.plan_bundle`)::

    criteria: {service: eks, ...}
    metadata: {version: ..., appliedOverlays: [...]}
    deploymentOrder: [cert-manager, gpu-operator, ...]
    components:
      gpu-operator: {name, type, chart, namespace, source, version, dependencyRefs,
                     manifestFiles, values: {driver: {version: ...}, ...}}
    constraints: {K8s.server.version: '>= 1.30', ...}

:func:`select` walks a dotted selector into it: ``components.gpu-operator.values.driver.version``.
``\\.`` is a literal dot inside a key (``constraints.K8s\\.server\\.version``), a number
indexes a list (``deploymentOrder.0``), and an empty selector selects everything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .bundle.options import BundleOptions
from .bundle.plan import plan_bundle
from .errors import InvalidRequestError, NotFoundError
from .nested_maps import sorted_keys
from .recipes.aliases import canonical_recipe
from .recipes.model import RecipeResult
from .recipes.store import RecipeStore

_SPLIT = re.compile(r"(?<!\\)\.")
#: Keys listed in a not-found message, at most.
MAX_LISTED = 12


def hydrate(
    recipe: RecipeResult, store: RecipeStore, options: BundleOptions | None = None
) -> dict[str, Any]:
    """The recipe as one document, each component with its resolved Helm values
    (with ``options``, e.g. ``--set`` overrides, applied as the bundle would)."""
    recipe = canonical_recipe(recipe, store.registry, store.files)  # aliases, as bundle does
    plan = plan_bundle(recipe, store, options or BundleOptions())
    components: dict[str, Any] = {}
    for component in plan.components:
        ref = component.ref.to_dict()
        entry: dict[str, Any] = {"name": component.name, "type": ref.get("type", "Helm")}
        entry.update(chart=component.chart, namespace=component.namespace)
        for key in ("source", "version", "valuesFile", "dependencyRefs", "manifestFiles"):
            if key in ref:
                entry[key] = ref[key]
        entry["values"] = sorted_keys(component.values)
        components[component.name] = entry
    doc = recipe.to_dict()
    return {
        "criteria": doc["criteria"],
        "metadata": doc["metadata"],
        "deploymentOrder": doc["deploymentOrder"] or [],
        "components": components,
        "constraints": {c.name: c.value for c in recipe.constraints},
    }


def parse_selector(selector: str) -> tuple[str, ...]:
    """The keys of a dotted selector (``\\.`` a literal dot); ``""`` or ``.`` is no key."""
    text = selector.strip()
    if text.startswith("."):  # yq / jq habit: .components.x
        text = text[1:]
    if not text:
        return ()
    keys = tuple(part.replace("\\.", ".") for part in _SPLIT.split(text))
    if any(not key for key in keys):
        raise InvalidRequestError(
            f"invalid selector {selector!r}: empty key (two dots in a row, or a trailing dot)",
            details={"selector": selector},
        )
    return keys


def select(doc: Any, selector: str) -> Any:
    """The value at ``selector`` in ``doc``; NOT_FOUND naming the deepest prefix that exists."""
    keys = parse_selector(selector)
    node = doc
    for depth, key in enumerate(keys):
        found = _step(node, key)
        if found is _MISSING:
            raise _not_found(selector, keys[:depth], key, node)
        node = found
    return node


_MISSING = object()


def _step(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return _MISSING


def _not_found(selector: str, found: tuple[str, ...], key: str, node: Any) -> NotFoundError:
    from .suggest import did_you_mean

    where = join_selector(found) or "the recipe"
    details: dict[str, Any] = {"selector": selector, "found": join_selector(found), "missing": key}
    if isinstance(node, Mapping):
        keys = [str(k) for k in node]
        listed = ", ".join(keys[:MAX_LISTED]) + (", ..." if len(keys) > MAX_LISTED else "")
        message = (
            f"{where} has no key {key!r}{did_you_mean(key, keys)} (it has: {listed or 'none'})"
        )
        details["available"] = keys
    elif isinstance(node, list):
        span = f"0-{len(node) - 1}" if node else "none"
        message = f"{where} is a list of {len(node)}: {key!r} is not an index ({span})"
    else:
        message = f"{where} is a value ({scalar_text(node)}), it has no {key!r}"
    return NotFoundError(f"selector {selector!r} not found: {message}", details=details)


def join_selector(keys: tuple[str, ...]) -> str:
    """The selector of ``keys`` (literal dots escaped)."""
    return ".".join(key.replace(".", "\\.") for key in keys)


def is_scalar(value: Any) -> bool:
    """Whether a selected value prints bare (not a map or a list)."""
    return not isinstance(value, Mapping | list)


def scalar_text(value: Any) -> str:
    """A scalar as a script reads it: strings bare, ``true``/``false``, ``null``, numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
