"""Check a snapshot against a recipe's constraints and report passed / failed / skipped.

A constraint is ``{name: Type.subtype.key, value: expression}``:

- the path's subtype may be double-quoted when it contains dots
  (``SystemD."containerd.service".ActiveState``); the key is the rest of the path
  and may hold dots and slashes (``OS.sysctl./proc/sys/kernel/osrelease``);
- the expression is ``>=``, ``<=``, ``>``, ``<`` (version order, see
  :mod:`cns_core.versions`), ``==`` / ``!=`` (versions when both sides are
  versions, strings otherwise) or a bare value (exact, case-sensitive string match).
"""

from .expressions import OPERATORS, ConstraintPath, Expression
from .report import (
    RESULT_DOC_KIND,
    ConstraintResult,
    Status,
    ValidationReport,
    check_constraint,
    constraint_evaluator,
    constraints_from_document,
    format_duration,
    validate_snapshot,
)

__all__ = [
    "OPERATORS",
    "RESULT_DOC_KIND",
    "ConstraintPath",
    "ConstraintResult",
    "Expression",
    "Status",
    "ValidationReport",
    "check_constraint",
    "constraint_evaluator",
    "constraints_from_document",
    "format_duration",
    "validate_snapshot",
]
