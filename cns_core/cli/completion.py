"""``cns completion SHELL``: the shell completion script (Click's), ready to source."""

from __future__ import annotations

import click

#: Shells Click completes, in the order the help lists them.
SHELLS = ("bash", "zsh", "fish", "powershell")
PROG = "cns"
COMPLETE_VAR = "_CNS_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS, case_sensitive=False), metavar="bash|zsh|fish")
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL: commands, options, criteria values (filtered
    by what you typed), query selectors, and file names for -r/-s/-c/-o.

    \b
    Set-up (once, then open a new shell):
      bash:  echo 'eval "$(cns completion bash)"' >> ~/.bashrc
      zsh:   echo 'eval "$(cns completion zsh)"' >> ~/.zshrc
      fish:  cns completion fish > ~/.config/fish/completions/cns.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell.lower())
    assert completer is not None  # every SHELLS entry is one of Click's
    script = completer(ctx.find_root().command, {}, PROG, COMPLETE_VAR).source()
    click.echo(script.rstrip("\n"))
