"""Check a snapshot against a recipe's constraints and report passed / failed / skipped.

A constraint is ``{name: Type.subtype.key, value: expression}``:

- the path's subtype may be double-quoted when it contains dots
  (``SystemD."containerd.service".ActiveState``); the key is the rest of the path
  and may hold dots and slashes (``OS.sysctl./proc/sys/kernel/osrelease``);
- the expression is ``>=``, ``<=``, ``>``, ``<`` (version order, see
  :mod:`cns_core.versions`), ``==`` / ``!=`` (versions when both sides are
  versions, strings otherwise) or a bare value (exact, case-sensitive string match).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import API_VERSION, __version__
from .errors import CNSError, InvalidRequestError, NotFoundError
from .recipes.builder import ConstraintEvaluator
from .recipes.model import METADATA_KIND, RESULT_KIND, Constraint, parse_constraints
from .snapshot.model import MeasurementType, Snapshot, reading_str
from .versions import Version, looks_like_version

log = logging.getLogger(__name__)

RESULT_DOC_KIND = "ValidationResult"
#: Checked in this order so that ``>=`` is never read as ``>``.
OPERATORS = (">=", "<=", "!=", "==", ">", "<")
_ORDERING = {">=": (0, 1), "<=": (-1, 0), ">": (1,), "<": (-1,)}
_OPERATOR_CHARS = "<>=!~^"
_VALID_OPERATORS = ">=, <=, >, <, ==, != (or a bare value for an exact match)"
#: Paths logged as the detected criteria when validating.
CRITERIA_PATHS = (
    "K8s.server.version",
    "GPU.smi.gpu.model",
    "OS.release.ID",
    "OS.release.VERSION_ID",
)


@dataclass(frozen=True, slots=True)
class ConstraintPath:
    """Where a constraint reads its value: measurement type, subtype name, key."""

    type: MeasurementType
    subtype: str
    key: str

    @classmethod
    def parse(cls, text: str) -> ConstraintPath:
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


@dataclass(frozen=True, slots=True)
class Expression:
    """An operator (``""`` for an exact match) and the expected value."""

    operator: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Expression:
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


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ConstraintResult:
    """The outcome of one constraint."""

    name: str
    expected: str
    actual: str
    status: Status
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "status": self.status.value,
        }
        if self.message:
            out["message"] = self.message
        return out


def check_constraint(constraint: Constraint, snapshot: Snapshot) -> ConstraintResult:
    """Evaluate one constraint against ``snapshot``."""

    def result(status: Status, actual: str = "", message: str = "") -> ConstraintResult:
        return ConstraintResult(constraint.name, constraint.value, actual, status, message)

    try:
        path = ConstraintPath.parse(constraint.name)
    except InvalidRequestError as exc:
        return result(Status.SKIPPED, message=str(exc))
    try:
        expression = Expression.parse(constraint.value)
    except InvalidRequestError as exc:
        return result(Status.SKIPPED, message=str(exc))
    try:
        actual = path.lookup(snapshot)
    except NotFoundError as exc:
        return result(Status.SKIPPED, message=f"value not found in snapshot: {exc}")
    try:
        passed = expression.evaluate(actual)
    except InvalidRequestError as exc:
        return result(Status.FAILED, actual, f"evaluation failed: {exc}")
    if passed:
        return result(Status.PASSED, actual)
    return result(Status.FAILED, actual, f"expected {expression}, got {actual}")


def constraint_evaluator(snapshot: Snapshot) -> ConstraintEvaluator:
    """An evaluator for :func:`cns_core.recipes.build_recipe`: any non-pass excludes the overlay."""

    def evaluate(constraint: Constraint) -> tuple[bool, str | None, str]:
        outcome = check_constraint(constraint, snapshot)
        actual = outcome.actual if outcome.actual or outcome.status is not Status.SKIPPED else None
        return outcome.status is Status.PASSED, actual, outcome.message

    return evaluate


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """All results plus where the inputs came from and when the check ran."""

    results: tuple[ConstraintResult, ...]
    recipe_source: str
    snapshot_source: str
    timestamp: str
    duration: float
    version: str = __version__

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def status(self) -> str:
        """``fail`` if anything failed, else ``partial`` if anything was skipped, else ``pass``."""
        if self.count(Status.FAILED):
            return "fail"
        return "partial" if self.count(Status.SKIPPED) else "pass"

    def to_dict(self) -> dict[str, Any]:
        """The ValidationResult document."""
        return {
            "kind": RESULT_DOC_KIND,
            "apiVersion": API_VERSION,
            "metadata": {"timestamp": self.timestamp, "version": self.version},
            "recipeSource": self.recipe_source,
            "snapshotSource": self.snapshot_source,
            "summary": {
                "passed": self.count(Status.PASSED),
                "failed": self.count(Status.FAILED),
                "skipped": self.count(Status.SKIPPED),
                "total": len(self.results),
                "status": self.status,
                "duration": format_duration(self.duration),
            },
            "results": [r.to_dict() for r in self.results],
        }


def validate_snapshot(
    constraints: Sequence[Constraint],
    snapshot: Snapshot,
    *,
    recipe_source: str = "",
    snapshot_source: str = "",
    version: str = __version__,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    timer: Callable[[], float] = time.perf_counter,
) -> ValidationReport:
    """Check every constraint, in order (``version``, ``now`` and ``timer`` fix the output in tests)."""
    timestamp = now().strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in CRITERIA_PATHS:
        log.info("detected %s = %s", path, _find(snapshot, path))
    start = timer()
    results = tuple(check_constraint(c, snapshot) for c in constraints)
    duration = timer() - start
    return ValidationReport(results, recipe_source, snapshot_source, timestamp, duration, version)


def _find(snapshot: Snapshot, path: str) -> str:
    try:
        return ConstraintPath.parse(path).lookup(snapshot)
    except CNSError:
        return "<not found>"


def constraints_from_document(doc: Any, *, source: str = "recipe") -> tuple[Constraint, ...]:
    """The constraints of a recipeResult (or of a recipeMetadata overlay's spec)."""
    if not isinstance(doc, Mapping):
        raise InvalidRequestError(
            f"{source}: expected a recipe document (kind {RESULT_KIND}), got {type(doc).__name__}"
        )
    kind = doc.get("kind")
    if kind == METADATA_KIND:
        spec = doc.get("spec") or {}
        raw = spec.get("constraints") if isinstance(spec, Mapping) else None
    elif kind in (None, "", RESULT_KIND):
        raw = doc.get("constraints")
    else:
        raise InvalidRequestError(
            f'{source}: invalid kind "{kind}", expected "{RESULT_KIND}" (or "{METADATA_KIND}")'
        )
    return parse_constraints(raw or [], f"{source}: constraints")


def format_duration(seconds: float) -> str:
    """A short Go-style duration: ``850ns``, ``12.5µs``, ``3.2ms``, ``1.25s``."""
    nanos = max(0, round(seconds * 1e9))
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if nanos >= scale:
            return f"{nanos / scale:.3f}".rstrip("0").rstrip(".") + unit
    return f"{nanos}ns"


_COLOURS = {
    "passed": "32",
    "failed": "31",
    "skipped": "33",
    "pass": "32",
    "fail": "31",
    "partial": "33",
}


def render_validation_table(doc: Mapping[str, Any], *, colour: bool = False) -> str:
    """A table a person can read at a glance: one row per constraint, then the summary."""

    def paint(word: str, text: str) -> str:
        return f"\033[{_COLOURS[word]}m{text}\033[0m" if colour and word in _COLOURS else text

    headers = ("STATUS", "CONSTRAINT", "EXPECTED", "ACTUAL", "MESSAGE")
    rows = [
        (r["status"].upper(), r["name"], r["expected"], r["actual"] or "-", r.get("message", ""))
        for r in doc["results"]
    ]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        cells[0] = paint(row[0].lower(), cells[0])
        lines.append("  ".join(cells).rstrip())
    summary = doc["summary"]
    lines += [
        "",
        f"{paint(summary['status'], summary['status'].upper())}: {summary['passed']} passed, "
        f"{summary['failed']} failed, {summary['skipped']} skipped of {summary['total']} "
        f"(in {summary['duration']})",
        f"recipe: {doc['recipeSource']}  snapshot: {doc['snapshotSource']}",
    ]
    return "\n".join(lines) + "\n"
