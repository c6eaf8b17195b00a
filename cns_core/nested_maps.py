"""Nested plain-data maps (the shapes YAML and JSON decode to): copy, merge, sort, and
write a value at a key path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})


def deep_copy(value: Any) -> Any:
    """Copy nested dicts and lists of plain data (much faster than copy.deepcopy)."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else deep_copy(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else deep_copy(v) for v in value]
    if kind in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [deep_copy(v) for v in value]
    return value


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``overlay`` onto ``base`` into a new dict; neither input is modified.

    Maps merge key by key, recursively; anything else in ``overlay`` (lists
    included) replaces what ``base`` had.
    """
    out = deep_copy(base)
    merge_into(out, overlay)
    return out


def merge_into(target: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    """Merge a copy of ``overlay`` into ``target`` (which is modified; ``overlay`` is not)."""
    for key, value in overlay.items():
        current = target.get(key)
        if type(current) is dict and isinstance(value, Mapping):
            merge_into(current, value)
        else:
            target[key] = deep_copy(value)


def sorted_keys(value: Any) -> Any:
    """The same data with every map's keys sorted (for stable output of free-form maps)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {k: sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [sorted_keys(v) for v in value]
    return value


_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}


class NotAMapError(Exception):
    """A path runs through a value that is not a map; ``where`` is the dotted prefix."""

    def __init__(self, where: str, found: Any) -> None:
        self.where = where
        self.found = _TYPE_NAMES.get(type(found), type(found).__name__)
        super().__init__(f"{where!r} is a {self.found}, not a map")


def put(values: dict[str, Any], keys: Sequence[str], value: Any) -> None:
    """Set ``values[k1][k2]…[kn] = value`` in place, creating missing (or null) maps."""
    node = values
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict):
            raise NotAMapError(".".join(keys[: depth + 1]), child)
        node = child
    node[keys[-1]] = value
