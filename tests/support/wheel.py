"""Install the cns wheel (not editable) into a throwaway venv, as ``pip install .`` lays it out.

The venv borrows this environment's dependencies through a ``.pth`` file, so only cns
itself comes from the wheel. Shared by the packaging test and the CLI benchmark.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from .paths import REPO


def install_wheel(tmp: Path, *, source: Path = REPO) -> Path:
    """Build the wheel of ``source`` (this checkout) into ``tmp``, install it into
    ``tmp/venv``; return that venv's bin dir."""
    wheels = tmp / "wheels"
    _pip("wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source))
    (wheel,) = wheels.glob("cns-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _pip("--python", str(python), "install", "--no-deps", "-q", str(wheel))
    return env_dir / "bin"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True)
