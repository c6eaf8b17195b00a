"""The ``cns`` command line: a thin Click layer over cns_core.

Subcommands are imported lazily, so ``cns recipe`` never imports the web stack,
the kubernetes client or NVML. Errors become one line on stderr and an exit code:
0 success, 1 other failure, 2 usage, 3 invalid input, 4 not found / unavailable,
141 stdout closed early (quietly, as Unix tools do).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NoReturn

import click

from .. import __version__
from ..errors import CNSError
from .exit_codes import EXIT_BROKEN_PIPE, EXIT_FAILURE, exit_code

#: command name → "module:attribute", loaded on first use
COMMANDS = {
    "bundle": "cns_core.cli.bundle:bundle",
    "completion": "cns_core.cli.completion:completion",
    "diff": "cns_core.cli.diff:diff",
    "list": "cns_core.cli.catalog:list_command",
    "query": "cns_core.cli.query:query",
    "recipe": "cns_core.cli.recipe:recipe",
    "serve": "cns_core.cli.serve:serve",
    "snapshot": "cns_core.cli.snapshot:snapshot",
    "validate": "cns_core.cli.validate:validate",
    "version": "cns_core.cli:version",
}


#: commands that start without setting up logging (nothing to log on their usual path);
#: ``validate`` sets it up before it reads a URL or a ConfigMap (:func:`ensure_logging`)
QUIET_COMMANDS = frozenset({"completion", "diff", "list", "query", "recipe", "validate", "version"})


class CNSGroup(click.Group):
    """A group that loads subcommands lazily and maps cns errors to exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As Click's, with "Did you mean ...?" for a mistyped command name."""
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            from ..suggest import close_matches

            matches = close_matches(name, COMMANDS)
            hint = f" Did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:  # --help and --version print while the arguments are parsed
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            _quiet_broken_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except CNSError as exc:
            if ctx.meta.get("cns.debug"):
                raise
            raise CLIError(str(exc), exit_code(exc.code)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.meta.get("cns.debug"):
                raise
            raise CLIError(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
                EXIT_FAILURE,
            ) from None


class CLIError(click.ClickException):
    """One-line error with a specific exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance


@click.group(cls=CNSGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-v", prog_name="cns", message="%(prog)s version %(version)s"
)
@click.option("--debug", is_flag=True, envvar="CNS_DEBUG", help="Debug logs and full tracebacks.")
@click.option("--log-json", is_flag=True, envvar="CNS_LOG_JSON", help="Log JSON records to stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_json: bool) -> None:
    """Cloud Native Stack: snapshot → recipe → validate → bundle for GPU Kubernetes clusters.

    \b
    Exit codes: 0 ok, 1 failure, 2 usage error, 3 invalid input,
    4 not found or unavailable.
    """
    ctx.meta["cns.debug"] = debug
    ctx.meta["cns.log_json"] = log_json
    # `cns recipe` and `cns version` log nothing on their usual path: they skip importing
    # the logging package (start-up time); every other command logs its warnings.
    if (
        debug
        or log_json
        or ctx.invoked_subcommand not in QUIET_COMMANDS
        or "logging" in sys.modules
    ):
        ensure_logging(ctx)


def ensure_logging(ctx: click.Context | None = None) -> None:
    """Route logs to stderr as ``--debug`` and ``--log-json`` ask, once per run (a quiet
    command calls it before the work that may log)."""
    root = (ctx or click.get_current_context()).find_root()
    if root.meta.get("cns.logging"):
        return
    root.meta["cns.logging"] = True
    from .logs import configure_logging

    configure_logging(
        debug=bool(root.meta.get("cns.debug")), log_json=bool(root.meta.get("cns.log_json"))
    )


@click.command()
@click.option(
    "-t",
    "--format",
    "fmt",
    metavar="json|yaml|table",
    help="json or yaml: the build information as a document (default: lines to read).",
)
def version(fmt: str | None) -> None:
    """Print the cns version and what it runs on: Python, platform, key libraries."""
    from ..buildinfo import build_info
    from ..serialize import Format, dump

    chosen = Format.parse(fmt) if fmt is not None else Format.TABLE
    info = build_info()
    if chosen is not Format.TABLE:
        click.echo(dump(info, chosen), nl=False)
        return
    python, system = info["python"], info["platform"]
    libraries = ", ".join(f"{k} {v or '(not installed)'}" for k, v in info["libraries"].items())
    click.echo(
        f"cns version {__version__}\n"
        f"api: {info['apiVersion']}\n"
        f"python: {python['version']} ({python['implementation']}, {python['executable']})\n"
        f"platform: {system['system']} {system['release']} {system['machine']}\n"
        f"libraries: {libraries}"
    )


def _quiet_broken_pipe() -> NoReturn:
    """The reader of stdout went away (``| head``): stop quietly with 141, as Unix tools do.

    stdout is pointed at /dev/null first, so the interpreter's final flush of what is
    still buffered cannot fail again and print a traceback.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (e.g. captured by a test runner)
        pass
    raise click.exceptions.Exit(EXIT_BROKEN_PIPE)


def main() -> None:
    """Console-script entry point."""
    from ..recipes import doccache

    doccache.enable()  # the embedded recipe documents, parsed once per data version
    cli(prog_name="cns")
