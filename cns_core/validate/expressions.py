"""Constraint paths and expressions: what a constraint names and how its value is compared.

A constraint is ``{name: Type.subtype.key, value: expression}``:

- the path's subtype may be double-quoted when it contains dots
  (``SystemD."containerd.service".ActiveState``); the key is the rest of the path
  and may hold dots and slashes (``OS.sysctl./proc/sys/kernel/osrelease``);
- the expression is ``>=``, ``<=``, ``>``, ``<`` (version order, see
  :mod:`cns_core.versions`), ``==`` / ``!=`` (versions when both sides are
  versions, strings otherwise) or a bare value (exact, case-sensitive string match).
"""

import contextlib
from typing import NamedTuple, Self

from ..errors import InvalidRequestError, NotFoundError
from ..snapshot.model import MeasurementType, Snapshot, reading_str
from ..versions import Version, looks_like_version

#: Checked in this order so that ``>=`` is never read as ``>``.
OPERATORS = (">=", "<=", "!=", "==", ">", "<")
_ORDERING = {">=": (0, 1), "<=": (-1, 0), ">": (1,), "<": (-1,)}
_OPERATOR_CHARS = "<>=!~^"
_VALID_OPERATORS = ">=, <=, >, <, ==, != (or a bare value for an exact match)"


class ConstraintPath(NamedTuple):
    """Where a constraint reads its value: measurement type, subtype name, key."""

    type: MeasurementType
    subtype: str
    key: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``Type.subtype.key`` (subtype optionally ``"quoted"``)."""
        if not text.strip():
            raise InvalidRequestError("invalid constraint path: the path is empty")
        type_name, dot, rest = text.strip().partition(".")
        if rest.startswith('"'):
            subtype, quote, tail = rest[1:].partition('"')
            if not quote:
                raise InvalidRequestError(f"invalid constraint path {text!r}: unterminated quote")
            key = tail[1:] if tail.startswith(".") else ""
        else:
            subtype, _, key = rest.partition(".")
        if not dot or not subtype or not key:
            raise InvalidRequestError(
                f"invalid constraint path {text!r}: expected Type.subtype.key, e.g. "
                'K8s.server.version or SystemD."containerd.service".ActiveState'
            )
        type_ = MeasurementType.parse(type_name, where=f"invalid constraint path {text!r}")
        return cls(type_, subtype, key)

    def lookup(self, snapshot: Snapshot) -> str:
        """The reading's string form, or NotFoundError naming what is missing."""
        measurement = snapshot.measurement(self.type)
        names = [s.name for s in measurement.subtypes]
        if self.subtype not in names:
            hint = ", ".join(names[:10]) + (", …" if len(names) > 10 else "") or "none"
            quoting = (
                '; quote subtype names that contain dots, e.g. SystemD."containerd.service".ActiveState'
                if any("." in n for n in names)
                else ""
            )
            raise NotFoundError(
                f"subtype {self.subtype!r} not found in {self.type.value} (subtypes: {hint}){quoting}"
            )
        return reading_str(measurement.subtype(self.subtype).get(self.key))


class Expression(NamedTuple):
    """An operator (``""`` for an exact match) and the expected value."""

    operator: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse an expression; ordering operators need a parseable version."""
        expr = text.strip()
        if not expr:
            raise InvalidRequestError("invalid constraint expression: the expression is empty")
        operator = next((op for op in OPERATORS if expr.startswith(op)), "")
        value = _unquote(expr[len(operator) :].strip())
        prefix = expr[: len(expr) - len(expr.lstrip(_OPERATOR_CHARS))]
        if prefix != operator:
            raise InvalidRequestError(
                f"invalid constraint expression {text!r}: unknown operator {prefix!r}: "
                f"valid operators are {_VALID_OPERATORS}"
            )
        if operator and not value:
            raise InvalidRequestError(
                f"invalid constraint expression {text!r}: a value is needed after {operator!r}"
            )
        if operator in _ORDERING:
            try:
                Version.parse(value)
            except InvalidRequestError as exc:
                raise InvalidRequestError(
                    f"invalid constraint expression {text!r}: {exc}"
                ) from None
        return cls(operator, value)

    def evaluate(self, actual: str) -> bool:
        """Whether ``actual`` satisfies the expression (InvalidRequestError if not comparable)."""
        actual = actual.strip()
        if not self.operator:
            return actual == self.value
        if self.operator in _ORDERING:
            return (
                _actual_version(actual).compare(Version.parse(self.value))
                in _ORDERING[self.operator]
            )
        equal = actual == self.value
        if looks_like_version(self.value):
            with contextlib.suppress(InvalidRequestError):
                equal = Version.parse(actual).equals(Version.parse(self.value))
        return equal if self.operator == "==" else not equal

    def __str__(self) -> str:
        return f"{self.operator} {self.value}" if self.operator else self.value


def _unquote(value: str) -> str:
    """``"24.04"`` → ``24.04``: quotes written to keep YAML from reading a number are not part of it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _actual_version(actual: str) -> Version:
    try:
        return Version.parse(actual)
    except InvalidRequestError as exc:
        raise InvalidRequestError(
            f"cannot compare, the actual value is not a version: {exc}"
        ) from None
