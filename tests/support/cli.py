"""Running the ``cns`` command line: in-process (the ``runner`` fixture) or as a real process.

In-process, through Click's test runner, like the Flask tutorial's ``runner`` fixture::

    def test_recipe(runner: CnsRunner) -> None:
        result = runner.invoke(["recipe", "--service", "eks", "-t", "json"])
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["kind"] == "recipeResult"

As a real process (the installed console script, for what only a process shows: exit
codes seen by the shell, a closed pipe, a terminal, the working directory)::

    proc = run_cns("recipe", "--service", "windows", cwd=tmp_path)
    assert proc.returncode == 3
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import click
from click.testing import CliRunner, Result

from cns_core.cli import cli

#: the installed ``cns`` console script of the environment running the tests
CNS = str(Path(sys.executable).with_name("cns"))


class CnsRunner:
    """Invokes the ``cns`` Click group in-process; what the ``runner`` fixture gives a test.

    The :class:`click.testing.Result` keeps ``stdout`` and ``stderr`` apart (``output`` is
    both, interleaved as a terminal shows them); ``exit_code`` is the process's exit code.
    """

    def __init__(self) -> None:
        self._runner = CliRunner()

    def invoke(
        self,
        args: Iterable[object] = (),
        *,
        input: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        catch_exceptions: bool = False,
        prog_name: str = "cns",
        command: click.Command = cli,
    ) -> Result:
        """Run ``cns ARGS...`` (each argument passed through ``str``) and return its Result.

        ``input`` is its stdin; ``env`` overrides environment variables (``None`` removes
        one) for the run; ``cwd`` is the working directory for the run. An exception the
        command does not handle is raised in the test, unless ``catch_exceptions`` (then it
        is ``result.exception``, with exit code 1). ``command`` runs another Click command
        than the ``cns`` group (a test's own, e.g. to check an option type).
        """
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            return self._runner.invoke(
                command,
                [str(arg) for arg in args],
                input=input,
                env=env,
                catch_exceptions=catch_exceptions,
                prog_name=prog_name,
            )


def run_cns(
    *args: object,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``cns ARGS...`` as a real process; its exit code and text output."""
    return subprocess.run(
        [CNS, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
