"""Options and output helpers shared by several cns subcommands."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # imported on completion only: ~0.5 ms of every command's start-up
    from click.shell_completion import CompletionItem

from ..serialize import Format
from .documents import format_from_path, is_file_destination

F = TypeVar("F", bound=Callable[..., Any])


def complete_choices(values: Iterable[str]) -> Callable[..., list[CompletionItem]]:
    """Shell completion of a closed set of values: those starting with what was typed."""
    choices = tuple(values)

    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
        from click.shell_completion import CompletionItem

        typed = incomplete.lower()
        return [CompletionItem(v) for v in choices if v.lower().startswith(typed)]

    return complete


def complete_path(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
    """Let the shell complete a file name (files, ``-``, URLs and ``cm://`` are typed)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def output_options(default_format: Format = Format.YAML) -> Callable[[F], F]:
    """``-o/--output`` and ``-t/--format`` for commands that print a document.

    The command resolves the two with :func:`output_format`.
    """

    def decorate(func: F) -> F:
        func = click.option(
            "-t",
            "--format",
            "fmt",
            metavar="json|yaml|table",
            help=f"Output format (default: the -o file's extension, .json/.yaml/.yml, "
            f"else {default_format.value}).",
            shell_complete=complete_choices(f.value for f in Format),
        )(func)
        return click.option(
            "-o",
            "--output",
            default="-",
            show_default=True,
            metavar="FILE|-|cm://NS/NAME",
            shell_complete=complete_path,
            help="Where to write the result ('-' is stdout); a .json, .yaml or .yml file "
            "gets that format.",
        )(func)

    return decorate


def output_format(output: str, fmt: str | None, default: Format = Format.YAML) -> Format:
    """The format to write ``-o output`` in: ``--format`` if given, else the file's extension.

    ``-o json`` (a kubectl habit) and an extension that contradicts ``--format`` are
    usage errors (exit 2); an unknown ``--format`` is invalid input (exit 3).
    """
    chosen = Format.parse(fmt) if fmt is not None else None
    name = output.strip()
    if name.lower() in {*Format, "yml"}:
        hint = "yaml" if name.lower() == "yml" else name.lower()
        raise click.UsageError(
            f"-o {name} would write a file named {name!r}: did you mean --format {hint}? "
            f"(for a file of that name use -o ./{name})"
        )
    from_name = format_from_path(name) if is_file_destination(name) else None
    if from_name is not None and chosen is not None and chosen is not from_name:
        suffix = ".txt" if chosen is Format.TABLE else f".{chosen.value}"
        raise click.UsageError(
            f"-o {name} names a {from_name.value} file but --format is {chosen.value}: "
            f"drop --format or name the file *{suffix}"
        )
    return chosen or from_name or default


def data_option(func: F) -> F:
    """``--data DIR``: layer an external recipe data directory over the embedded data."""
    return click.option(
        "--data",
        "data_dir",
        metavar="DIR",
        envvar="CNS_DATA_DIR",
        type=click.Path(),
        help="External recipe data directory layered over the embedded data "
        "(needs registry.yaml; env CNS_DATA_DIR).",
    )(func)


def debug_option(func: F) -> F:
    """``--debug`` on a subcommand: the same as ``cns --debug`` (debug logs, full tracebacks)."""

    def enable(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            from .logs import configure_logging

            ctx.find_root().meta["cns.debug"] = True
            ctx.find_root().meta["cns.logging"] = True
            configure_logging(debug=True, log_json=ctx.find_root().meta.get("cns.log_json", False))
        return value

    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=enable,
        help="Debug logs and full tracebacks.",
    )(func)


def bool_option(name: str, default: bool, help_text: str) -> Callable[[F], F]:
    """``--name[=BOOL]`` plus ``--no-name``: accepts ``--name=false`` as upstream does."""

    def decorate(func: F) -> F:
        func = click.option(
            f"--no-{name}",
            f"no_{name.replace('-', '_')}",
            is_flag=True,
            help=f"Same as --{name}=false.",
        )(func)
        return click.option(
            f"--{name}",
            type=click.BOOL,
            default=default,
            is_flag=False,
            flag_value=True,
            show_default=True,
            metavar="[BOOL]",
            help=help_text,
        )(func)

    return decorate


def kubeconfig_option(func: F) -> F:
    """``-k/--kubeconfig``: the cluster used for cm:// inputs and outputs (and the agent)."""
    return click.option(
        "-k",
        "--kubeconfig",
        metavar="FILE",
        help="Kubeconfig for cm:// URIs and the agent (default: $KUBECONFIG, "
        "~/.kube/config, in-cluster).",
    )(func)
