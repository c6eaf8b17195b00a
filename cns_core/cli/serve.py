"""``cns serve``: run the HTTP API under gunicorn, with the production configuration."""

from __future__ import annotations

import importlib.util
import os
import sys

import click

from . import CLIError
from .exit_codes import EXIT_UNAVAILABLE
from .options import data_option

#: The same settings the Procfile's gunicorn.conf.py uses, importable once cns is installed.
GUNICORN_CONFIG = "python:cns_web.gunicorn_config"
APP = "cns_web:create_app()"


@click.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    envvar="PORT",
    show_default=True,
    help="Port to listen on, all interfaces (env PORT).",
)
@click.option("--bind", metavar="HOST:PORT", help="Address to bind instead (e.g. 127.0.0.1:9000).")
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(1),
    envvar="WEB_CONCURRENCY",
    help="Worker processes (env WEB_CONCURRENCY; default: one per CPU).",
)
@data_option
def serve(port: int, bind: str | None, workers: int | None, data_dir: str | None) -> None:
    """Serve the recipe API with gunicorn, configured exactly as the Procfile's.

    \b
    Settings come from CNS_* environment variables (see docs/configuration.md).
    Stop with Ctrl-C or SIGTERM: in-flight requests are allowed to finish.
    """
    if importlib.util.find_spec("gunicorn") is None:
        raise CLIError("gunicorn is not installed: pip install gunicorn", EXIT_UNAVAILABLE)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        GUNICORN_CONFIG,
        "--bind",
        bind or f"0.0.0.0:{port}",
    ]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if data_dir is not None:
        os.environ["CNS_DATA_DIR"] = data_dir
    sys.stderr.flush()
    os.execv(sys.executable, [*argv, APP])
