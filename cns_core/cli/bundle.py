"""``cns bundle``: turn a recipe into a Helm umbrella chart, Argo CD applications or Flux
HelmReleases."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..bundle import Bundle, BundleOptions, Deployer, generate_bundle
from ..bundle.archive import write_tree, write_zip
from ..errors import InvalidRequestError
from ..recipes import RecipeResult, load_store
from .documents import read_document
from .oci import (
    make_registry_options,
    output_reference,
    pull,
    push_output,
    refuse_registry_flags,
    registry_options,
)
from .options import (
    complete_choices,
    complete_path,
    data_option,
    debug_option,
    kubeconfig_option,
)

DEFAULT_OUTPUT = "./bundle"
STDOUT = "-"
TITLES = {
    Deployer.HELM: "Helm umbrella chart",
    Deployer.ARGOCD: "Argo CD applications",
    Deployer.FLUX: "Flux HelmReleases",
}


@click.group(invoke_without_command=True, subcommand_metavar="[pull REFERENCE [-o DIR]]")
@click.option(
    "-r",
    "--recipe",
    "recipe_source",
    metavar="FILE|-|URL|cm://NS/NAME",
    shell_complete=complete_path,
    help="The recipe (RecipeResult, JSON or YAML) to bundle (required).",
)
@click.option(
    "-o",
    "--output",
    default=DEFAULT_OUTPUT,
    show_default=True,
    metavar="DIR|FILE.zip|-|oci://HOST/REPO[:TAG]",
    shell_complete=complete_path,
    help="A directory (new, empty, or a previous bundle), a .zip file, '-' for the zip on "
    "stdout, or an OCI registry (tag default: the cns version).",
)
@click.option(
    "-d",
    "--deployer",
    default=Deployer.HELM.value,
    show_default=True,
    metavar="helm|argocd|flux",
    help="Helm umbrella chart, Argo CD applications or Flux HelmReleases.",
    shell_complete=complete_choices(d.value for d in Deployer),
)
@click.option(
    "--repo",
    default="",
    metavar="URL",
    help="GitOps repository the Argo CD or Flux bundle is pushed to.",
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
@registry_options
@click.option(
    "--image-refs",
    metavar="FILE",
    help="With -o oci://: write the pushed reference with its digest to FILE.",
)
@kubeconfig_option
@data_option
@debug_option
@click.pass_context
def bundle(
    ctx: click.Context,
    recipe_source: str | None,
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
    plain_http: bool,
    insecure_tls: bool,
    ca_file: str | None,
    image_refs: str | None,
) -> None:
    """Generate a deployable bundle from a recipe; 'cns bundle pull' fetches a pushed one.

    \b
    Examples:
      cns recipe --service eks --accelerator gb200 -o recipe.yaml
      cns bundle -r recipe.yaml -o ./bundle
      cns bundle -r recipe.yaml -o bundle.zip --set gpu-operator:driver.version=580.105.08
      cns bundle -r recipe.yaml -o - | ssh host 'cat > bundle.zip'
      cns bundle -r recipe.yaml -d argocd --repo https://github.com/org/gitops.git
      cns bundle -r recipe.yaml -d flux --repo https://github.com/org/gitops.git
      cns bundle -r recipe.yaml --accelerated-node-toleration nvidia.com/gpu:NoSchedule
      cns bundle -r recipe.yaml -o oci://ghcr.io/org/cns-bundle:1.0.0
      cns bundle pull oci://ghcr.io/org/cns-bundle:1.0.0 -o ./bundle
    """
    if ctx.invoked_subcommand is not None:
        _refuse_options_before_subcommand(ctx)
        return
    if recipe_source is None:
        raise click.MissingParameter(ctx=ctx, param=_param(ctx, "recipe_source"))
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
    reference = output_reference(output)
    if reference is None:
        refuse_registry_flags(plain_http, insecure_tls, ca_file, image_refs)
        destination = _destination(output)
    else:
        registry = make_registry_options(plain_http, insecure_tls, ca_file)
    recipe = RecipeResult.from_dict(
        read_document(recipe_source, kubeconfig=kubeconfig), source=recipe_source
    )
    result = generate_bundle(recipe, load_store(data_dir), options)
    if reference is not None:
        push_output(result, reference, registry, image_refs, TITLES[result.deployer])
        return
    if destination is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(result.zip)
        sys.stdout.buffer.flush()
        _report_streamed(result)
        return
    if destination.suffix.lower() == ".zip":
        write_zip(result.zip, destination)
    else:
        write_tree(result.files, destination)
    _report(result, destination)


def _destination(output: str) -> Path | None:
    """The directory or zip file to write, or None for the zip on stdout (``-o -``)."""
    text = output.strip()
    if not text:
        raise InvalidRequestError("invalid --output: empty; use -o DIR or -o FILE.zip")
    if text == STDOUT:
        if sys.stdout.isatty():
            raise click.UsageError(
                "-o - writes a zip to stdout, which is a terminal: redirect it "
                "(cns bundle ... -o - > bundle.zip) or use -o FILE.zip"
            )
        return None
    if "://" in text:
        raise InvalidRequestError(
            f"invalid --output {text!r}: a directory, a .zip file or oci://HOST/REPO[:TAG]"
        )
    return Path(text)


bundle.add_command(pull)


def _param(ctx: click.Context, name: str) -> click.Parameter:
    return next(p for p in ctx.command.params if p.name == name)


def _refuse_options_before_subcommand(ctx: click.Context) -> None:
    """``cns bundle -r x pull ...``: generation options do not apply to a subcommand."""
    for param in ctx.command.params:
        if not param.name or param.name == "debug":
            continue
        source = ctx.get_parameter_source(param.name)
        if source is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(
                f"{param.opts[-1]} belongs to 'cns bundle' itself, not to "
                f"'cns bundle {ctx.invoked_subcommand}'",
                ctx=ctx,
            )


def _report_streamed(result: Bundle) -> None:
    """With the zip on stdout, the summary and warnings go to stderr."""
    click.echo(
        f"{TITLES[result.deployer]} written to stdout as a zip "
        f"({result.file_count} files, {len(result.zip):,} bytes)",
        err=True,
    )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


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
