"""Node selectors (``key=value``) and tolerations (``key=value:Effect`` …) from the command line.

Shared by bundles (system / accelerated node classes) and the snapshot agent Job.

Toleration spellings:

==========================  =============================================
``key=value:NoSchedule``    operator Equal, that value, that effect
``key=value``               operator Equal, any effect
``key:NoExecute``           operator Exists, that effect
``key``                     operator Exists, any effect
``*``                       tolerate every taint (operator Exists, no key)
==========================  =============================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import InvalidRequestError

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATE_ALL = "*"

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"
_KEY_RE = re.compile(rf"({_PREFIX}/)?{_NAME}")
_VALUE_RE = re.compile(rf"({_NAME})?")

#: The canonical spellings as anchored regular expressions (for API documents); the
#: parsers below also accept surrounding blanks and effects in any case.
SELECTOR_PATTERN = rf"^(?:{_PREFIX}/)?{_NAME}=(?:{_NAME})?$"
TOLERATION_PATTERN = (
    rf"^(?:\*|(?:{_PREFIX}/)?{_NAME}(?:=(?:{_NAME})?)?(?::(?:{'|'.join(EFFECTS)}))?)$"
)


def parse_node_selector(items: Iterable[str], *, option: str = "node-selector") -> dict[str, str]:
    """Parse ``key=value`` items into a selector map (a later key wins)."""
    selector: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise InvalidRequestError(f"invalid {option} {item!r}: expected key=value")
        _check_key(key, item, option)
        _check_value(value, item, option)
        selector[key] = value
    return selector


def parse_tolerations(items: Iterable[str], *, option: str = "toleration") -> list[dict[str, str]]:
    """Parse toleration items (see the module doc) into Kubernetes toleration maps."""
    return [parse_toleration(item, option=option) for item in items]


def parse_toleration(item: str, *, option: str = "toleration") -> dict[str, str]:
    """Parse one toleration item into ``{key, operator, value, effect}`` (empty fields omitted)."""
    text = item.strip()
    if text == TOLERATE_ALL:
        return {"operator": "Exists"}
    head, colon, effect = text.rpartition(":") if ":" in text else (text, "", "")
    if colon:
        effect = _effect(effect.strip(), item, option)
    key, eq, value = head.partition("=")
    key, value = key.strip(), value.strip()
    _check_key(key, item, option)
    out = {"key": key, "operator": "Equal" if eq else "Exists"}
    if eq:
        _check_value(value, item, option)
        out["value"] = value
    if effect:
        out["effect"] = effect
    return out


def _effect(effect: str, item: str, option: str) -> str:
    for known in EFFECTS:
        if effect.lower() == known.lower():
            return known
    raise InvalidRequestError(
        f"invalid {option} {item!r}: effect {effect!r} is not one of {', '.join(EFFECTS)} "
        "(forms: key=value:Effect, key=value, key:Effect, key, or * to tolerate everything)"
    )


def _check_key(key: str, item: str, option: str) -> None:
    if not key or not _KEY_RE.fullmatch(key):
        raise InvalidRequestError(
            f"invalid {option} {item!r}: {key!r} is not a valid label key "
            "(optional DNS prefix and '/', then up to 63 characters [A-Za-z0-9-_.])"
        )


def _check_value(value: str, item: str, option: str) -> None:
    if not _VALUE_RE.fullmatch(value):
        raise InvalidRequestError(
            f"invalid {option} {item!r}: {value!r} is not a valid label value "
            "(up to 63 characters [A-Za-z0-9-_.], starting and ending alphanumeric)"
        )
