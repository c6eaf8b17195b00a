"""Node facts stated by hand instead of measured: OS version, kernel, Kubernetes version.

The seed API (eidos) took ``osv``, ``kernel`` and ``k8s`` next to the criteria. They
are not criteria (no overlay is selected by them): they are readings of the node, and
like a snapshot they exclude the overlays whose constraints they fail
(``excludedOverlays`` and ``constraintWarnings`` in the recipe). A constraint on a
fact that was not given is not held against the overlay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import InvalidRequestError
from .recipes.builder import ConstraintEvaluator
from .recipes.model import Constraint
from .versions import Version

#: fact name (as the seed API's query parameter) -> the constraint path it answers
FACT_PATHS = {
    "osv": "OS.release.VERSION_ID",
    "kernel": "OS.sysctl./proc/sys/kernel/osrelease",
    "k8s": "K8s.server.version",
}
FACT_HELP = {
    "osv": "OS version of the GPU nodes, e.g. 24.04 (checked against OS.release.VERSION_ID).",
    "kernel": "Kernel version of the GPU nodes, e.g. 6.8 or 6.8.0-1028-aws "
    "(checked against OS.sysctl./proc/sys/kernel/osrelease).",
    "k8s": "Kubernetes server version, e.g. v1.33 (checked against K8s.server.version).",
}


def parse_fact(name: str, value: Any) -> str:
    """One fact: a version string (blank or None = not given), else INVALID_REQUEST."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequestError(f"invalid {name} {value!r}: expected a version string")
    text = value.strip()
    if not text:
        return ""
    try:
        Version.parse(text)
    except InvalidRequestError as exc:
        raise InvalidRequestError(
            f"invalid {name} {value!r}: expected a version such as "
            f"{'24.04' if name == 'osv' else '6.8' if name == 'kernel' else 'v1.33'} ({exc})",
            details={"field": name, "value": value},
        ) from None
    return text


class NodeFacts(NamedTuple):
    """The facts given (empty strings: not given)."""

    osv: str = ""
    kernel: str = ""
    k8s: str = ""

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> NodeFacts:
        """Facts from raw values keyed ``osv``, ``kernel``, ``k8s`` (other keys ignored)."""
        return cls(**{name: parse_fact(name, values.get(name)) for name in FACT_PATHS})

    def __bool__(self) -> bool:
        return any(self)

    def readings(self) -> dict[str, str]:
        """Constraint path -> the value given for it."""
        return {FACT_PATHS[name]: value for name, value in self._asdict().items() if value}

    def evaluator(self) -> ConstraintEvaluator:
        """An evaluator for :func:`cns_core.recipes.build_recipe` (see the module docstring)."""
        from .validate import Expression

        readings = self.readings()

        def evaluate(constraint: Constraint) -> tuple[bool, str | None, str]:
            actual = readings.get(constraint.name)
            if actual is None:
                return True, None, ""
            try:
                expression = Expression.parse(constraint.value)
                passed = expression.evaluate(actual)
            except InvalidRequestError as exc:
                return False, actual, f"evaluation failed: {exc}"
            if passed:
                return True, actual, ""
            return False, actual, f"expected {expression}, got {actual}"

        return evaluate
