"""``cns recipe``: build the recipe for some criteria."""

from __future__ import annotations

from typing import Any

import click

from ..criteria import (
    ACCELERATORS,
    ANY,
    INTENTS,
    OPERATING_SYSTEMS,
    PLATFORMS,
    SERVICES,
    Criteria,
    criteria_from_resource,
)
from ..errors import CNSError
from ..recipes import RecipeResult, build_recipe, load_store
from ..recipes.builder import ConstraintEvaluator
from ..recipes.explain import Change
from ..serialize import Format
from .documents import read_document, write_document
from .options import data_option, debug_option, kubeconfig_option, output_format, output_options
from .tables import render_recipe_table


def _choices(values: tuple[str, ...]) -> Any:
    return lambda *_: [click.shell_completion.CompletionItem(v) for v in (*values, ANY)]


@click.command()
@click.option(
    "--service",
    metavar="|".join(SERVICES),
    shell_complete=_choices(SERVICES),
    help="Kubernetes service (kind: a local GPU dev cluster; any = self-managed).",
)
@click.option(
    "--accelerator",
    "--gpu",
    "accelerator",
    metavar="|".join(ACCELERATORS),
    shell_complete=_choices(ACCELERATORS),
    help="GPU type.",
)
@click.option(
    "--intent", metavar="|".join(INTENTS), shell_complete=_choices(INTENTS), help="Workload intent."
)
@click.option(
    "--os",
    "os_name",
    metavar="|".join(OPERATING_SYSTEMS),
    shell_complete=_choices(OPERATING_SYSTEMS),
    help="Node operating system.",
)
@click.option(
    "--platform",
    metavar="|".join(PLATFORMS),
    shell_complete=_choices(PLATFORMS),
    help="Platform on top of the stack: kubeflow (Kubeflow Trainer on KAI, training) or "
    "dynamo (NVIDIA Dynamo behind kgateway, inference). A snapshot cannot tell it.",
)
@click.option("--nodes", metavar="N", help="Number of GPU nodes (integer >= 0).")
@click.option(
    "-c",
    "--criteria",
    "criteria_file",
    metavar="FILE",
    help="RecipeCriteria resource (JSON or YAML, '-' for stdin); flags override it.",
)
@click.option(
    "-s",
    "--snapshot",
    "snapshot_source",
    metavar="FILE|URL|cm://NS/NAME",
    help="Snapshot to detect the criteria from; overlays whose constraints it fails are "
    "excluded. --criteria and flags override what it detects.",
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
    flags = {
        "service": service,
        "accelerator": accelerator,
        "intent": intent,
        "os": os_name,
        "platform": platform,
        "nodes": nodes,
    }
    given = {k: v for k, v in flags.items() if v is not None}
    if criteria_file is None and snapshot_source is None and not given:
        raise click.UsageError(
            "no criteria given: use at least one of --service, --accelerator, --intent, --os, "
            "--platform, --nodes, --criteria FILE or --snapshot FILE (e.g. --service any for "
            "the generic recipe)"
        )
    fmt_out = output_format(output, fmt)
    criteria, evaluator = Criteria(), None
    if snapshot_source is not None:
        criteria, evaluator = _from_snapshot(snapshot_source, kubeconfig)
    if criteria_file is not None:
        from_file = criteria_from_resource(
            read_document(criteria_file, kubeconfig=kubeconfig), source=criteria_file
        )
        criteria = criteria.replace(**_pinned(from_file))
    if given:
        parsed = Criteria.parse(given)
        criteria = criteria.replace(**{k: getattr(parsed, k) for k in given})
    store = load_store(data_dir)
    changes: list[Change] | None = [] if explain else None
    result = build_recipe(criteria, store, evaluator=evaluator, explain=changes)
    write_document(
        result.to_dict(),
        output,
        fmt_out,
        kubeconfig=kubeconfig,
        table=lambda doc: render_recipe_table(doc, store.registry.chart_and_namespace),
    )
    if changes is not None:
        click.echo(_explanation(result, changes), err=True, nl=False)


def _from_snapshot(source: str, kubeconfig: str | None) -> tuple[Criteria, ConstraintEvaluator]:
    """The criteria a snapshot implies, and an evaluator of overlay constraints against it."""
    from ..snapshot import Snapshot
    from ..snapshot.infer import criteria_from_snapshot
    from ..validate import constraint_evaluator

    try:
        snapshot = Snapshot.from_dict(read_document(source, kubeconfig=kubeconfig), source=source)
    except CNSError as exc:
        exc.message = f"cannot load the snapshot: {exc.message}"
        raise
    return criteria_from_snapshot(snapshot), constraint_evaluator(snapshot)


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


def _pinned(criteria: Criteria) -> dict[str, Any]:
    """The fields of ``criteria`` that are not wildcards."""
    return {k: v for k, v in criteria.to_dict().items() if v not in (ANY, 0)}
