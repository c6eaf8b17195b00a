"""``cns recipe``: build the recipe for some criteria."""

from __future__ import annotations

from typing import Any

import click

from ..criteria import ANY, ENUM_FIELDS, Criteria
from ..recipes import RecipeResult, RecipeStore, build_recipe, load_store
from ..recipes.catalog import Reachable, reachable_overlays
from ..recipes.explain import Change
from ..serialize import Format
from .criteria_args import CriteriaInput, criteria_options, resolve_criteria
from .documents import write_document
from .options import data_option, debug_option, kubeconfig_option, output_format, output_options


@click.command()
@criteria_options(
    snapshot_help="Snapshot to detect the criteria from; overlays whose constraints it fails "
    "are excluded. --criteria and flags override what it detects. Prints to stderr what it "
    "detected, what it excluded and which flag would bring more overlays in."
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also print to stderr what each overlay changed (components added, versions "
    "raised or lowered, values, constraints).",
)
@kubeconfig_option
@data_option
@output_options(Format.YAML)
@debug_option
def recipe(
    service: str | None,
    accelerator: str | None,
    intent: str | None,
    os_name: str | None,
    platform: str | None,
    nodes: str | None,
    criteria_file: str | None,
    snapshot_source: str | None,
    explain: bool,
    kubeconfig: str | None,
    data_dir: str | None,
    output: str,
    fmt: str | None,
) -> None:
    """Build the recipe (components, versions, settings, order) for a GPU cluster.

    \b
    Examples:
      cns recipe --service eks --accelerator gb200 --intent training --os ubuntu
      cns recipe --service eks --accelerator h100 --os ubuntu --intent training \\
                 --platform kubeflow
      cns recipe --criteria criteria.yaml --format json -o recipe.json
      cns recipe --snapshot snapshot.yaml --intent training
    """
    fmt_out = output_format(output, fmt)
    chosen = resolve_criteria(
        {
            "service": service,
            "accelerator": accelerator,
            "intent": intent,
            "os_name": os_name,
            "platform": platform,
            "nodes": nodes,
            "criteria_file": criteria_file,
            "snapshot_source": snapshot_source,
        },
        kubeconfig,
    )
    criteria, evaluator = chosen.criteria, chosen.evaluator
    store = load_store(data_dir)
    changes: list[Change] | None = [] if explain else None
    result = build_recipe(criteria, store, evaluator=evaluator, explain=changes)
    write_document(
        result.to_dict(),
        output,
        fmt_out,
        kubeconfig=kubeconfig,
        table=lambda doc: _recipe_table(doc, store.registry.chart_and_namespace),
    )
    if changes is not None:
        click.echo(_explanation(result, changes), err=True, nl=False)
    if snapshot_source is not None:
        click.echo(_guidance(snapshot_source, chosen, result, store), err=True, nl=False)


def _explanation(result: RecipeResult, changes: list[Change]) -> str:
    """The --explain text: one line per change, grouped by the layer that made it."""
    width = max(len(change.layer) for change in changes)
    lines = [f"How the recipe for {result.criteria} was built:"]
    lines += [f"  {change.layer:<{width}}  {change.text}" for change in changes]
    for warning in result.constraint_warnings:
        lines.append(
            f"  {warning.overlay:<{width}}  excluded: {warning.constraint} {warning.reason}"
        )
    lines.append(f"Deployment order: {', '.join(result.deployment_order)}")
    return "\n".join(lines) + "\n"


def _guidance(source: str, chosen: CriteriaInput, result: RecipeResult, store: RecipeStore) -> str:
    """What ``--snapshot`` detected, which overlays it excluded, and which flag would bring
    in the overlays that miss only a criterion the snapshot cannot tell."""
    assert chosen.detected is not None
    detected = _spelled(chosen.detected)
    unknown = [f for f in (*ENUM_FIELDS, "nodes") if _is_open(chosen.detected, f)]
    lines = [f"Detected in {source}: {detected or 'nothing'}"]
    if unknown:
        lines[0] += f" (not detected: {', '.join(unknown)})"
    if chosen.criteria != chosen.detected:
        lines.append(f"Recipe for: {_spelled(chosen.criteria)}")
    for warning in result.constraint_warnings:
        lines.append(f"{warning.overlay} excluded: {warning.constraint}: {warning.reason}")
    by_hint: dict[str, list[Reachable]] = {}
    for reach in reachable_overlays(store, chosen.criteria, chosen.evaluator):
        by_hint.setdefault(reach.hint, []).append(reach)
    for hint in sorted(by_hint, key=lambda h: (h.count("--"), h)):  # one flag first
        by_failure: dict[str, list[str]] = {}  # "" = fits this node
        for reach in by_hint[hint]:
            first = reach.failing[0] if reach.failing else None
            why = f", but this node fails {first.constraint}: {first.reason}" if first else ""
            by_failure.setdefault(why, []).append(reach.overlay)
        for why in sorted(by_failure):
            lines.append(f"{', '.join(by_failure[why])} would apply with {hint}{why}")
    return "\n".join(lines) + "\n"


def _spelled(criteria: Criteria) -> str:
    return " ".join(f"{k}={v}" for k, v in criteria.to_dict().items() if v not in (ANY, 0))


def _is_open(criteria: Criteria, field: str) -> bool:
    return getattr(criteria, field) in (ANY, 0)


def _recipe_table(doc: Any, chart_and_namespace: Any) -> str:
    """The table view (imported only for ``-t table``: its module costs ~3 ms to import)."""
    from .tables import render_recipe_table

    return render_recipe_table(doc, chart_and_namespace)
