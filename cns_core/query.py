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
A number indexes a list (``deploymentOrder.0``), an empty selector selects everything,
and a key holding dots is found as written (``constraints.K8s.server.version``) or with
``\\.`` for its dots (``constraints.K8s\\.server\\.version``).
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
    r"""The value at ``selector`` in ``doc``; NOT_FOUND naming the deepest prefix that exists.

    A key that holds dots is found with or without ``\.``: where the next key is not in a
    map, the longest run of the following keys joined by dots that is, is taken
    (``constraints.K8s.server.version``), so a shell that eats backslashes does no harm.
    """
    keys = parse_selector(selector)
    node, depth = doc, 0
    while depth < len(keys):
        found, used = _step(node, keys, depth)
        if found is _MISSING:
            raise _not_found(selector, keys[:depth], keys[depth], node)
        node, depth = found, depth + used
    return node


_MISSING = object()


def _step(node: Any, keys: tuple[str, ...], depth: int) -> tuple[Any, int]:
    """The child at ``keys[depth]`` (or at several keys joined by dots) and how many keys it took."""
    key = keys[depth]
    if isinstance(node, Mapping):
        if key in node:
            return node[key], 1
        for end in range(len(keys), depth + 1, -1):
            joined = ".".join(keys[depth:end])
            if joined in node:
                return node[joined], end - depth
    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)], 1
    return _MISSING, 0


def complete_selector(doc: Any, typed: str) -> list[str]:
    """Selectors that continue ``typed`` by one key (shell completion); keys that hold dots
    are matched as typed, escaped or not."""
    text = typed.lstrip(".").replace("\\.", ".")
    return _completions(doc, (), text)  # document order


def _completions(node: Any, prefix: tuple[str, ...], text: str) -> list[str]:
    if isinstance(node, Mapping):
        children = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, list):
        children = [(str(i), v) for i, v in enumerate(node)]
    else:
        return []
    out = []
    for key, value in children:
        if key.startswith(text):
            out.append(join_selector((*prefix, key)))
        elif text.startswith(key + "."):
            out += _completions(value, (*prefix, key), text[len(key) + 1 :])
    return out


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
