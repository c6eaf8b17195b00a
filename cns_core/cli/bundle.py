"""``cns bundle``: turn a recipe into a Helm umbrella chart or Argo CD applications."""

from __future__ import annotations

from pathlib import Path

import click

from ..bundle import Bundle, BundleOptions, Deployer, generate_bundle
from ..bundle.archive import write_tree, write_zip
from ..errors import InvalidRequestError
from ..io import read_document
from ..recipes import RecipeResult, load_store
from .options import data_option, debug_option, kubeconfig_option

DEFAULT_OUTPUT = "./bundle"
TITLES = {Deployer.HELM: "Helm umbrella chart", Deployer.ARGOCD: "Argo CD applications"}


@click.command()
@click.option(
    "-r",
    "--recipe",
    "recipe_source",
    required=True,
    metavar="FILE|-|URL|cm://NS/NAME",
    help="The recipe (RecipeResult, JSON or YAML) to bundle.",
)
@click.option(
    "-o",
    "--output",
    default=DEFAULT_OUTPUT,
    show_default=True,
    metavar="DIR|FILE.zip",
    help="A directory (new, empty, or a previous bundle) or a .zip file.",
)
@click.option(
    "-d",
    "--deployer",
    default=Deployer.HELM.value,
    show_default=True,
    metavar="helm|argocd",
    help="Helm umbrella chart or Argo CD applications.",
    shell_complete=lambda *_: [click.shell_completion.CompletionItem(d) for d in Deployer],
)
@click.option(
    "--repo",
    default="",
    metavar="URL",
    help="GitOps repository the Argo CD bundle is pushed to (values source).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="COMPONENT:PATH=VALUE",
    help="Override a value, e.g. gpu-operator:driver.version=580.105.08 (repeatable; "
    'true/false, numbers typed; "..." forces a string).',
)
@click.option(
    "--system-node-selector",
    multiple=True,
    metavar="KEY=VALUE",
    help="Node selector for system components (repeatable).",
)
@click.option(
    "--system-node-toleration",
    multiple=True,
    metavar="KEY[=VALUE][:EFFECT]|*",
    help="Toleration for system components (repeatable; '*' tolerates every taint).",
)
@click.option(
    "--accelerated-node-selector",
    multiple=True,
    metavar="KEY=VALUE",
    help="Node selector for GPU node components (repeatable).",
)
@click.option(
    "--accelerated-node-toleration",
    multiple=True,
    metavar="KEY[=VALUE][:EFFECT]|*",
    help="Toleration for GPU node components (repeatable; '*' tolerates every taint).",
)
@click.option(
    "--bundlers",
    multiple=True,
    metavar="NAME[,NAME...]",
    help="Only these components (names or aliases; default: all).",
)
@kubeconfig_option
@data_option
@debug_option
def bundle(
    recipe_source: str,
    output: str,
    deployer: str,
    repo: str,
    sets: tuple[str, ...],
    system_node_selector: tuple[str, ...],
    system_node_toleration: tuple[str, ...],
    accelerated_node_selector: tuple[str, ...],
    accelerated_node_toleration: tuple[str, ...],
    bundlers: tuple[str, ...],
    kubeconfig: str | None,
    data_dir: str | None,
) -> None:
    """Generate a deployable bundle from a recipe.

    \b
    Examples:
      cns recipe --service eks --accelerator gb200 -o recipe.yaml
      cns bundle -r recipe.yaml -o ./bundle
      cns bundle -r recipe.yaml -o bundle.zip --set gpu-operator:driver.version=580.105.08
      cns bundle -r recipe.yaml -d argocd --repo https://github.com/org/gitops.git
      cns bundle -r recipe.yaml --accelerated-node-toleration nvidia.com/gpu:NoSchedule
    """
    options = BundleOptions.parse(
        deployer=deployer,
        repo=repo,
        sets=sets,
        system_node_selector=system_node_selector,
        system_node_toleration=system_node_toleration,
        accelerated_node_selector=accelerated_node_selector,
        accelerated_node_toleration=accelerated_node_toleration,
        bundlers=bundlers,
    )
    destination = _destination(output)
    recipe = RecipeResult.from_dict(
        read_document(recipe_source, kubeconfig=kubeconfig), source=recipe_source
    )
    result = generate_bundle(recipe, load_store(data_dir), options)
    if destination.suffix.lower() == ".zip":
        write_zip(result.zip, destination)
    else:
        write_tree(result.files, destination)
    _report(result, destination)


def _destination(output: str) -> Path:
    text = output.strip()
    if not text:
        raise InvalidRequestError("invalid --output: empty; use -o DIR or -o FILE.zip")
    if "://" in text:
        raise InvalidRequestError(
            f"invalid --output {text!r}: only a directory or a .zip file is supported"
        )
    return Path(text)


def _report(result: Bundle, destination: Path) -> None:
    is_zip = destination.suffix.lower() == ".zip"
    size = len(result.zip) if is_zip else result.size
    click.echo(
        f"{TITLES[result.deployer]} written to {destination} "
        f"({result.file_count} files, {size:,} bytes)"
    )
    for path in result.files:
        click.echo(f"  {path}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    folder = destination.with_suffix("") if is_zip else destination
    steps = [f"unzip {destination} -d {folder}"] if is_zip else []
    steps += [step.format(dir=folder) for step in result.steps]
    click.echo("\nNext:")
    for number, step in enumerate(steps, 1):
        click.echo(f"  {number}. {step}")
