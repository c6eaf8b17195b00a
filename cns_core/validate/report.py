"""Check a snapshot against a recipe's constraints: per-constraint results and the report."""

import datetime as dt
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import API_VERSION, __version__
from ..errors import CNSError, InvalidRequestError, NotFoundError
from ..recipes.model import METADATA_KIND, RESULT_KIND, Constraint, parse_constraints
from ..snapshot.model import Snapshot
from .expressions import ConstraintPath, Expression

if TYPE_CHECKING:
    from ..recipes.builder import ConstraintEvaluator


RESULT_DOC_KIND = "ValidationResult"
#: Paths logged as the detected criteria when validating.
CRITERIA_PATHS = (
    "K8s.server.version",
    "GPU.smi.gpu.model",
    "OS.release.ID",
    "OS.release.VERSION_ID",
)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class ConstraintResult(NamedTuple):
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


def constraint_evaluator(snapshot: Snapshot) -> "ConstraintEvaluator":
    """An evaluator for :func:`cns_core.recipes.build_recipe`: any non-pass excludes the overlay."""

    def evaluate(constraint: Constraint) -> tuple[bool, str | None, str]:
        outcome = check_constraint(constraint, snapshot)
        actual = outcome.actual if outcome.actual or outcome.status is not Status.SKIPPED else None
        return outcome.status is Status.PASSED, actual, outcome.message

    return evaluate


class ValidationReport(NamedTuple):
    """All results plus where the inputs came from and when the check ran."""

    results: tuple[ConstraintResult, ...]
    recipe_source: str
    snapshot_source: str
    timestamp: str
    duration: float
    version: str = __version__

    def tally(self, status: Status) -> int:
        """How many results have ``status``."""
        return sum(r.status is status for r in self.results)

    @property
    def status(self) -> str:
        """``fail`` if anything failed, else ``partial`` if anything was skipped, else ``pass``."""
        if self.tally(Status.FAILED):
            return "fail"
        return "partial" if self.tally(Status.SKIPPED) else "pass"

    def to_dict(self) -> dict[str, Any]:
        """The ValidationResult document."""
        return {
            "kind": RESULT_DOC_KIND,
            "apiVersion": API_VERSION,
            "metadata": {"timestamp": self.timestamp, "version": self.version},
            "recipeSource": self.recipe_source,
            "snapshotSource": self.snapshot_source,
            "summary": {
                "passed": self.tally(Status.PASSED),
                "failed": self.tally(Status.FAILED),
                "skipped": self.tally(Status.SKIPPED),
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
    # Logged only where logging is in use: unimported, nothing set it up, and an info
    # record would go nowhere (``cns validate`` of files starts without it, ~3 ms).
    logging = sys.modules.get("logging")
    if logging is not None:
        log = logging.getLogger(__name__)
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
