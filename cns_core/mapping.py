"""Pure helpers for nested plain-data maps (the shapes YAML and JSON decode to)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def deep_copy(value: Any) -> Any:
    """Copy nested dicts and lists of plain data (much faster than copy.deepcopy)."""
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
    for key, value in overlay.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = deep_copy(value)
    return out


def sorted_keys(value: Any) -> Any:
    """The same data with every map's keys sorted (for stable output of free-form maps)."""
    if isinstance(value, Mapping):
        return {k: sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [sorted_keys(v) for v in value]
    return value
