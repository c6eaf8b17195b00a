"""Packaging: a real wheel install works from another directory; cns_core stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

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
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("cns-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # dependencies come from this test environment; cns itself only from the wheel
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CNS_DATA_DIR")}
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "cns"),
            "recipe",
            "--service",
            "eks",
            "--accelerator",
            "gb200",
            "--intent",
            "training",
            "--os",
            "ubuntu",
            "-t",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "nvidia-dra-driver-gpu" in json.loads(proc.stdout)["deploymentOrder"]
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import cns_core, cns_recipes, cns_templates; print(cns_core.__file__); print(cns_recipes.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        check=True,
    ).stdout.split()
    assert all(str(env_dir) in path for path in where), where
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import cns_recipes, pathlib; p = pathlib.Path(cns_recipes.__file__).parent; print(len(list(p.rglob('*.yaml'))))",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        check=True,
    )
    assert int(listing.stdout) > 20
