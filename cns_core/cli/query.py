"""``cns query``: one value of the recipe with its values resolved, for scripts and CI."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from ..errors import CNSError
from ..serialize import Format, dump_json, dump_yaml
from .criteria_args import criteria_options, given_flags, resolve_criteria
from .documents import read_document
from .options import complete_path, data_option, debug_option, kubeconfig_option


def _complete_selector(ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
    """The selectors that continue what was typed, from the recipe the options so far
    describe (nothing when they describe none)."""
    from ..query import complete_selector

    try:
        doc = _hydrated(ctx.params, strict=False)
    except (CNSError, click.ClickException):
        return []
    return [CompletionItem(s) for s in complete_selector(doc, incomplete)]


@click.command()
@click.option(
    "--selector",
    required=True,
    metavar="PATH",
    shell_complete=_complete_selector,
    help="Dotted path into the resolved recipe, e.g. "
    "components.gpu-operator.values.driver.version (a number indexes a list, '' is "
    "everything; a key holding dots is found as written, or with '\\.').",
)
@criteria_options(snapshot_help="Snapshot to detect the criteria from (as cns recipe --snapshot).")
@click.option(
    "-r",
    "--recipe",
    "recipe_source",
    metavar="FILE|-|URL|cm://NS/NAME",
    shell_complete=complete_path,
    help="Query this recipe (a RecipeResult) instead of building one from criteria.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="COMPONENT:PATH=VALUE",
    help="Override a value as cns bundle --set does, before selecting (repeatable).",
)
@click.option(
    "-t",
    "--format",
    "fmt",
    metavar="json|yaml",
    help="json: every value as JSON (strings quoted); yaml: maps and lists as YAML. "
    "Default: scalars bare, maps and lists as YAML.",
)
@kubeconfig_option
@data_option
@debug_option
def query(fmt: str | None, **params: Any) -> None:
    """Print one value of the fully merged recipe, with each component's Helm values
    resolved as the bundle computes them.

    Scalars print bare (for VERSION=$(cns query ...)); maps and lists as YAML, or JSON
    with --format json. A path that does not exist is an error naming the deepest part
    that does (exit 4).

    \b
    Selectors:
      components.NAME.values.PATH   a chart value (driver.version, ...)
      components.NAME.version       the chart version (also chart, namespace, source)
      constraints.K8s\\.server\\.version, deploymentOrder, criteria.service, metadata

    \b
    Examples:
      cns query --service eks --accelerator gb200 --intent training \\
          --selector components.gpu-operator.values.driver.version
      cns query -r recipe.yaml --selector deploymentOrder --format json
    """
    chosen = Format.parse(fmt) if fmt is not None else None
    if chosen is Format.TABLE:
        raise click.UsageError("--format table is not a query format: use json or yaml")
    from ..query import is_scalar, scalar_text, select

    value = select(_hydrated(params, strict=True), params["selector"])
    if chosen is Format.JSON:
        click.echo(dump_json(value), nl=False)
    elif is_scalar(value):
        click.echo(scalar_text(value))
    else:
        click.echo(dump_yaml(value), nl=False)


def _hydrated(params: dict[str, Any], *, strict: bool) -> dict[str, Any]:
    """The resolved recipe the options describe (``strict``: refuse what completion forgives)."""
    from ..bundle.options import BundleOptions
    from ..query import hydrate
    from ..recipes import RecipeResult, build_recipe, load_store

    store = load_store(params.get("data_dir"))
    kubeconfig = params.get("kubeconfig")
    recipe_source = params.get("recipe_source")
    if recipe_source is not None:
        if strict and (
            given_flags(params) or params.get("criteria_file") or params.get("snapshot_source")
        ):
            raise click.UsageError("-r/--recipe queries that recipe: drop the criteria options")
        recipe = RecipeResult.from_dict(
            read_document(recipe_source, kubeconfig=kubeconfig), source=recipe_source
        )
    else:
        chosen = resolve_criteria(params, kubeconfig)
        recipe = build_recipe(chosen.criteria, store, evaluator=chosen.evaluator)
    return hydrate(recipe, store, BundleOptions.parse(sets=params.get("sets") or ()))
