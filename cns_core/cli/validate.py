"""``cns validate``: check a snapshot against a recipe's constraints."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import CNSError
from ..serialize import Format
from ..snapshot import Snapshot
from ..validate import Status, constraints_from_document, validate_snapshot
from .documents import CONFIGMAP_SCHEME, HTTP_SCHEMES, STDIO, read_document, write_document
from .options import (
    bool_option,
    complete_path,
    debug_option,
    kubeconfig_option,
    output_format,
    output_options,
)


class ValidationFailed(click.ClickException):
    """The report was written and says ``fail``: exit 1."""

    exit_code = 1


@click.command()
@click.option(
    "-r",
    "--recipe",
    "recipe_source",
    required=True,
    metavar="FILE|URL|cm://NS/NAME",
    shell_complete=complete_path,
    help="Recipe with the constraints (JSON or YAML, '-' for stdin).",
)
@click.option(
    "-s",
    "--snapshot",
    "snapshot_source",
    required=True,
    metavar="FILE|URL|cm://NS/NAME",
    shell_complete=complete_path,
    help="Snapshot to check (JSON or YAML, '-' for stdin).",
)
@bool_option("fail-on-error", True, "Exit 1 when a constraint fails (the report is written first).")
@kubeconfig_option
@output_options(Format.YAML)
@debug_option
def validate(
    recipe_source: str,
    snapshot_source: str,
    fail_on_error: bool,
    no_fail_on_error: bool,
    kubeconfig: str | None,
    output: str,
    fmt: str | None,
) -> None:
    """Check a snapshot against the constraints of a recipe.

    Each constraint is passed, failed (the value does not satisfy it, or cannot be
    compared) or skipped (bad path or expression, or value not in the snapshot).
    The summary is fail if any failed, else partial if any was skipped, else pass.

    \b
    Exit codes:
      0  pass or partial (or fail with --fail-on-error=false)
      1  fail (at least one constraint failed), after writing the report
      3  invalid input: malformed recipe or snapshot, invalid format
      4  recipe or snapshot not found or unreachable

    \b
    Examples:
      cns validate -r recipe.yaml -s snapshot.yaml
      cns validate -r recipe.yaml -s cm://gpu-operator/cns-snapshot -t table
    """
    fmt_out = output_format(output, fmt)
    if STDIO == recipe_source == snapshot_source:
        raise click.UsageError("--recipe and --snapshot cannot both read stdin ('-')")
    constraints = constraints_from_document(
        _load(recipe_source, "recipe", kubeconfig), source=recipe_source
    )
    snapshot = Snapshot.from_dict(
        _load(snapshot_source, "snapshot", kubeconfig), source=snapshot_source
    )
    report = validate_snapshot(
        constraints, snapshot, recipe_source=recipe_source, snapshot_source=snapshot_source
    )
    colour = output.strip() in ("", STDIO) and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    write_document(
        report.to_dict(),
        output,
        fmt_out,
        kubeconfig=kubeconfig,
        table=lambda doc: _validation_table(doc, colour),
    )
    failed = report.tally(Status.FAILED)
    if failed and fail_on_error and not no_fail_on_error:
        raise ValidationFailed(f"validation failed: {failed} constraint(s) did not pass")


def _load(source: str, what: str, kubeconfig: str | None) -> object:
    if source.startswith(CONFIGMAP_SCHEME) or source.lower().startswith(HTTP_SCHEMES):
        from . import ensure_logging

        ensure_logging()  # the kubernetes client and the URL reader log their retries
    try:
        return read_document(source, kubeconfig=kubeconfig)
    except CNSError as exc:
        exc.message = f"cannot load the {what}: {exc.message}"
        raise


def _validation_table(doc: Any, colour: bool) -> str:
    """The table view (imported only for ``-t table``: its module costs ~3 ms to import)."""
    from .tables import render_validation_table

    return render_validation_table(doc, colour=colour)
