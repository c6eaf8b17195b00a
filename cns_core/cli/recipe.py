"""``cns recipe``: build the recipe for some criteria."""

from __future__ import annotations

from typing import Any

import click

from ..criteria import (
    ACCELERATORS,
    ANY,
    INTENTS,
    OPERATING_SYSTEMS,
    SERVICES,
    Criteria,
    criteria_from_resource,
)
from ..io import read_document
from ..recipes import build_recipe, load_store
from ..serialize import Format
from .options import data_option, debug_option, emit, output_options


def _choices(values: tuple[str, ...]) -> Any:
    return lambda *_: [click.shell_completion.CompletionItem(v) for v in (*values, ANY)]


@click.command()
@click.option(
    "--service",
    metavar="|".join(SERVICES),
    shell_complete=_choices(SERVICES),
    help="Kubernetes service (any = self-managed).",
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
@click.option("--nodes", metavar="N", help="Number of GPU nodes (integer >= 0).")
@click.option(
    "-c",
    "--criteria",
    "criteria_file",
    metavar="FILE",
    help="RecipeCriteria resource (JSON or YAML, '-' for stdin); flags override it.",
)
@data_option
@output_options(Format.YAML)
@debug_option
def recipe(
    service: str | None,
    accelerator: str | None,
    intent: str | None,
    os_name: str | None,
    nodes: str | None,
    criteria_file: str | None,
    data_dir: str | None,
    output: str,
    fmt: str,
) -> None:
    """Build the recipe (components, versions, settings, order) for a GPU cluster.

    \b
    Examples:
      cns recipe --service eks --accelerator gb200 --intent training --os ubuntu
      cns recipe --criteria criteria.yaml --format json -o recipe.json
    """
    flags = {
        "service": service,
        "accelerator": accelerator,
        "intent": intent,
        "os": os_name,
        "nodes": nodes,
    }
    given = {k: v for k, v in flags.items() if v is not None}
    if criteria_file is None and not given:
        raise click.UsageError(
            "no criteria given: use at least one of --service, --accelerator, --intent, --os, "
            "--nodes or --criteria FILE (e.g. --service any for the generic recipe)"
        )
    Format.parse(fmt)
    criteria = Criteria()
    if criteria_file is not None:
        criteria = criteria_from_resource(read_document(criteria_file), source=criteria_file)
    if given:
        parsed = Criteria.parse(given)
        criteria = criteria.replace(**{k: getattr(parsed, k) for k in given})
    store = load_store(data_dir)
    emit(build_recipe(criteria, store).to_dict(), output, fmt)
