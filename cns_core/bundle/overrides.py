"""``--set component:path=value`` overrides: parsing, type coercion and writing into values.

Spelling: ``<component>:<dotted.path>=<value>``. The component is a component name
or one of its registry aliases; the path is split on dots (``\\.`` keeps a literal
dot inside a key, e.g. ``nodeSelector.nvidia\\.com/gpu\\.present``). The value is
typed as upstream does: ``true``/``false`` → bool, a base-10 integer → int, a decimal
float (``1.5``, ``1e3``, ``inf``, ``nan``) → float, anything else a string;
``"…"`` forces a string.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequestError
from ..nested_maps import NotAMapError, put

SET_FORMS = "expected component:path=value, e.g. gpu-operator:driver.version=580.105.08"

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAMED_FLOAT_RE = re.compile(r"[+-]?(inf|infinity|nan)", re.I)
_PATH_SPLIT_RE = re.compile(r"(?<!\\)\.")
_INT64 = (-(2**63), 2**63 - 1)
#: The most segments a --set path may have (chart values rarely nest ten levels deep).
MAX_PATH_SEGMENTS = 32


@dataclass(frozen=True, slots=True)
class SetOverride:
    """One parsed ``--set``: target component (as written), key path, typed value."""

    target: str
    path: tuple[str, ...]
    value: Any
    text: str

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def parse_set(text: str) -> SetOverride:
    """Parse one ``component:path=value`` item, raising INVALID_REQUEST naming the item."""
    target, colon, rest = text.partition(":")
    path_text, eq, value = rest.partition("=")
    target, path_text = target.strip(), path_text.strip()
    if not colon or not eq:
        raise InvalidRequestError(f"invalid set override {text!r}: {SET_FORMS}")
    if not target:
        raise InvalidRequestError(f"invalid set override {text!r}: the component name is empty")
    if not path_text:
        raise InvalidRequestError(f"invalid set override {text!r}: the path is empty")
    if value == "":
        raise InvalidRequestError(
            f'invalid set override {text!r}: the value is empty (write "" for an empty string)'
        )
    return SetOverride(target, split_path(path_text, text), coerce(value), text)


def parse_sets(items: tuple[str, ...] | list[str]) -> tuple[SetOverride, ...]:
    """Parse every ``--set`` item, in order (a later item wins on the same path)."""
    return tuple(parse_set(item) for item in items)


def split_path(path: str, text: str) -> tuple[str, ...]:
    """Split a dotted path (``\\.`` escapes a dot); an empty segment, or more than
    MAX_PATH_SEGMENTS of them, is an error."""
    parts = tuple(p.replace("\\.", ".") for p in _PATH_SPLIT_RE.split(path))
    if len(parts) > MAX_PATH_SEGMENTS:
        raise InvalidRequestError(
            f"invalid set override {_clipped(text)}: the path has {len(parts)} segments: "
            f"at most {MAX_PATH_SEGMENTS} are allowed",
            details={"limit": MAX_PATH_SEGMENTS},
        )
    if any(not p for p in parts):
        raise InvalidRequestError(
            f"invalid set override {text!r}: path {path!r} has an empty segment "
            "(no leading, trailing or doubled dots)"
        )
    return parts


def _clipped(text: str, limit: int = 120) -> str:
    """``text`` quoted for a message, shortened past ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def coerce(value: str) -> Any:
    """Type a --set value: bool, int, float, else string; a double-quoted value stays a string."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if value in ("true", "false"):
        return value == "true"
    if _INT_RE.fullmatch(value):
        number = int(value)
        if _INT64[0] <= number <= _INT64[1]:
            return number
    if _NAMED_FLOAT_RE.fullmatch(value):
        return float(value)
    if _FLOAT_RE.fullmatch(value) and math.isfinite(real := float(value)):
        return real
    return value


def set_path(values: dict[str, Any], override: SetOverride, component: str) -> None:
    """Write ``override.value`` at its path in ``values`` (in place), creating maps on the way."""
    try:
        put(values, override.path, override.value)
    except NotAMapError as exc:
        raise InvalidRequestError(
            f"invalid set override {override.text!r}: {component} value {exc.where!r} is a "
            f"{exc.found}, not a map, so {override.dotted!r} cannot be set"
        ) from None
