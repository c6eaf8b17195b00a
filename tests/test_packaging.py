"""Packaging: a real wheel install works from another directory; cns_core stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .support.wheel import install_wheel

GB200 = ["--service", "eks", "--accelerator", "gb200", "--intent", "training", "--os", "ubuntu"]

HEAVY = ("flask", "werkzeug", "kubernetes", "pynvml", "sh", "gunicorn", "prometheus_client")


def test_cns_core_imports_no_web_or_heavy_dependency():
    """Importing every cns_core module (and running the CLI's recipe path) pulls none of them in."""
    code = f"""
import pkgutil, importlib, sys, json
import cns_core
for mod in pkgutil.walk_packages(cns_core.__path__, "cns_core."):
    importlib.import_module(mod.name)
from click.testing import CliRunner
from cns_core.cli import cli
assert CliRunner().invoke(cli, ["recipe", "--service", "eks"]).exit_code == 0
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.slow
def test_wheel_install_ships_recipes_and_templates(tmp_path):
    """``pip install`` of the built wheel (not editable) into a new venv; cns runs from elsewhere."""
    bin_dir = install_wheel(tmp_path)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CNS_DATA_DIR")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, cwd=workdir, env=env)

    recipe = run(str(bin_dir / "cns"), "recipe", *GB200, "-t", "json", "-o", "recipe.json")
    assert recipe.returncode == 0, recipe.stderr
    assert (
        "nvidia-dra-driver-gpu"
        in json.loads((workdir / "recipe.json").read_text())["deploymentOrder"]
    )
    bundle = run(str(bin_dir / "cns"), "bundle", "-r", "recipe.json", "-o", "out")
    assert bundle.returncode == 0, bundle.stderr
    assert "## Components" in (workdir / "out" / "README.md").read_text()  # a packaged template
    where = run(
        str(bin_dir / "python"),
        "-c",
        "import cns_core, cns_recipes, cns_templates as t; print(cns_core.__file__, cns_recipes.__file__, t.__file__)",
    )
    assert all(str(tmp_path / "venv") in path for path in where.stdout.split()), where.stdout
    docs_page = run(
        str(bin_dir / "python"),
        "-c",
        "from cns_web.blueprints.apidocs import PAGE_DIR; print(sorted(p.name for p in PAGE_DIR.iterdir()))",
    )
    assert docs_page.stdout.split() == ["['index.html',", "'init.js']"], docs_page.stderr
    ui = run(
        str(bin_dir / "python"),
        "-c",
        "from cns_web import create_app; c = create_app({'CNS_LOG_LEVEL': 'warning'}).test_client(); "
        "import cns_web; print(cns_web.__file__); "
        "print(*(c.get(u).status_code for u in ('/ui/static/ui.css', '/ui/static/ui.js', "
        "'/ui/static/favicon.svg', '/ui?service=eks', '/ui/check')))",
    )
    assert ui.returncode == 0, ui.stderr
    module, statuses = ui.stdout.splitlines()
    assert str(tmp_path / "venv") in module
    assert statuses == "200 200 200 200 200"  # the pages' templates and assets ship in the wheel
