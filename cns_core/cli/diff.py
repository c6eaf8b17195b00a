"""``cns diff A B``: what differs between two recipes or two snapshots (drift checks in CI)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from ..errors import CNSError, InvalidRequestError
from ..serialize import Format
from .documents import STDIO, read_document, write_document
from .options import (
    complete_path,
    data_option,
    debug_option,
    kubeconfig_option,
    output_format,
    output_options,
)
from .tables import render_diff_table

RECIPE, SNAPSHOT = "recipe", "snapshot"


class DocumentsDiffer(click.ClickException):
    """``--fail-on-diff`` and the documents differ: exit 1 (after the report)."""

    exit_code = 1


@click.command()
@click.argument("a", metavar="A", shell_complete=complete_path)
@click.argument("b", metavar="B", shell_complete=complete_path)
@click.option(
    "--fail-on-diff",
    is_flag=True,
    help="Exit 1 when A and B differ (the report is written first): a drift check for CI.",
)
@kubeconfig_option
@data_option
@output_options(Format.TABLE)
@debug_option
def diff(
    a: str,
    b: str,
    fail_on_diff: bool,
    kubeconfig: str | None,
    data_dir: str | None,
    output: str,
    fmt: str | None,
) -> None:
    """Compare two recipes or two snapshots (files, '-', URLs or cm://NS/NAME).

    Recipes: criteria, overlays, components (added, removed; version, chart source,
    dependencies, manifests, and every resolved Helm value), constraints and the
    deployment order. Snapshots: every reading (Type.subtype.key) added, removed or
    changed; the node and the time are shown, not compared.

    \b
    Exit codes: 0 compared (identical or not), 1 they differ and --fail-on-diff,
    2 usage, 3 invalid input (e.g. a recipe and a snapshot), 4 not found.

    \b
    Examples:
      cns diff recipe-old.yaml recipe-new.yaml
      cns diff cm://gpu-operator/cns snapshot.yaml --format json
      cns recipe --service eks -o - | cns diff - pinned.yaml --fail-on-diff
    """
    fmt_out = output_format(output, fmt, Format.TABLE)
    if a == b == STDIO:
        raise click.UsageError("A and B cannot both read stdin ('-')")
    docs = [_load(source, name, kubeconfig) for source, name in ((a, "A"), (b, "B"))]
    kinds = [
        _kind(doc, source, name)
        for doc, (source, name) in zip(docs, ((a, "A"), (b, "B")), strict=True)
    ]
    if kinds[0] != kinds[1]:
        raise InvalidRequestError(
            f"A ({a}) is a {kinds[0]} and B ({b}) a {kinds[1]}: "
            "cns diff compares two recipes or two snapshots"
        )
    result = (_diff_recipes if kinds[0] == RECIPE else _diff_snapshots)(docs, (a, b), data_dir)
    report = {"kind": "RecipeDiff" if kinds[0] == RECIPE else "SnapshotDiff", **result.to_dict()}
    report["a"] = {"source": a, **report["a"]}
    report["b"] = {"source": b, **report["b"]}
    colour = output.strip() in ("", STDIO) and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    write_document(
        report,
        output,
        fmt_out,
        kubeconfig=kubeconfig,
        table=lambda doc: render_diff_table(doc, colour=colour),
    )
    if fail_on_diff and not result.identical:
        raise DocumentsDiffer(f"{a} and {b} differ")


def _load(source: str, name: str, kubeconfig: str | None) -> Any:
    try:
        return read_document(source, kubeconfig=kubeconfig)
    except CNSError as exc:
        exc.message = f"cannot load {name}: {exc.message}"
        raise


def _kind(doc: Any, source: str, name: str) -> str:
    """recipe or snapshot, by ``kind`` (or, without one, by the fields it has)."""
    if isinstance(doc, Mapping):
        kind = doc.get("kind")
        if kind == "recipeResult" or (not kind and "componentRefs" in doc):
            return RECIPE
        if kind == "Snapshot" or (not kind and "measurements" in doc):
            return SNAPSHOT
    raise InvalidRequestError(
        f"{name} ({source}) is neither a recipe (kind: recipeResult) nor a snapshot "
        "(kind: Snapshot)"
    )


def _diff_recipes(docs: list[Any], sources: tuple[str, str], data_dir: str | None) -> Any:
    from ..bundle.values import resolved_values
    from ..recipes import RecipeResult, load_store
    from ..recipes.aliases import canonical_recipe
    from ..recipes.diff import diff_recipes

    store = load_store(data_dir)
    a, b = (
        canonical_recipe(RecipeResult.from_dict(doc, source=s), store.registry, store.files)
        for doc, s in zip(docs, sources, strict=True)
    )  # a component named by a registry alias (kube-prometheus-stack) is compared as ours
    return diff_recipes(a, b, values=lambda ref: resolved_values(store, ref))


def _diff_snapshots(docs: list[Any], sources: tuple[str, str], _data_dir: str | None) -> Any:
    from ..snapshot import Snapshot
    from ..snapshot.diff import diff_snapshots

    a, b = (Snapshot.from_dict(doc, source=s) for doc, s in zip(docs, sources, strict=True))
    return diff_snapshots(a, b)
