"""Validation: check a snapshot against a recipe's constraints and report passed / failed /
skipped. :mod:`.expressions` reads a constraint (path and expression), :mod:`.report`
checks each one and builds the report."""

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
