"""Writing a value at a key path inside nested values maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
