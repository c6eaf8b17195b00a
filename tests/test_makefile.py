"""The Makefile on a fresh clone: ``make help``, and a venv that two makes build safely
together and that is rebuilt when its Python changes (real make, real venvs)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support.paths import REPO

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")
#: No pip bootstrap or install: what is tested is who builds the venv and when.
LIGHT = ["VENV_BOOTSTRAP=", "VENV_INSTALL="]


def clean_env() -> dict[str, str]:
    """This environment without the outer make's or venv's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "VIRTUAL_ENV"))}


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MAKE), "-s", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
    )


def this_python() -> str:
    """The interpreter behind this venv, as the stamp records it."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def other_python() -> str | None:
    """Another CPython >= 3.11 on this machine (pyenv layout, or python3.N on PATH), if any."""
    mine = this_python()
    candidates = sorted(Path(sys.base_prefix).parent.glob("3.1[1-9]*/bin/python3"))
    candidates += [Path(p) for v in range(11, 20) if (p := shutil.which(f"python3.{v}"))]
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys, venv; print(sys.version_info >= (3, 11))"],
            capture_output=True,
            text=True,
            cwd="/",
        )
        if probe.stdout.strip() == "True" and os.path.realpath(candidate) != mine:
            return str(candidate)
    return None


def test_help_lists_every_target_with_its_description() -> None:
    result = make("help")
    assert result.returncode == 0, result.stderr
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M)) - {"FORCE"}
    listed = dict(re.findall(r"^\s+make (\S+)\s+(.+)$", result.stdout, re.M))
    assert set(listed) == targets
    assert {"run", "test", "lint", "type", "lock", "clean", "help"} <= targets
    assert all(len(text) > 3 for text in listed.values())
    assert make().stdout == result.stdout  # plain `make` only shows the help


def test_two_makes_at_once_build_one_venv(tmp_path: Path) -> None:
    """``make run & make test`` on a fresh clone: one builds, the other waits for it."""
    venv = tmp_path / "venv"
    env = clean_env()
    command = [str(MAKE), "-s", "-C", str(REPO), "venv", f"VENV={venv}", *LIGHT]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    errors = [first.communicate(timeout=300)[1], second.communicate(timeout=300)[1]]
    assert (first.returncode, second.returncode) == (0, 0), errors
    log = "".join(errors)
    assert log.count(f"creating {venv}") == 1, log
    stamp = json.loads((venv / ".installed").read_text())
    assert stamp["python"] == this_python()
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, text=True
    )
    assert check.returncode == 0 and str(venv) in check.stdout, check.stderr
    again = make("venv", f"VENV={venv}", *LIGHT)
    assert again.returncode == 0 and again.stderr == ""  # up to date: nothing done
    assert json.loads((venv / ".installed").read_text()) == stamp


def test_venv_is_rebuilt_when_its_python_changes(tmp_path: Path) -> None:
    other = other_python()
    if other is None:
        pytest.skip("no second CPython >= 3.11 on this machine")
    venv = tmp_path / "venv"
    subprocess.run([other, "-m", "venv", "--without-pip", str(venv)], check=True, cwd="/")
    result = make("venv", f"VENV={venv}", *LIGHT)  # made by hand with another Python
    assert result.returncode == 0, result.stderr
    assert "rebuilding" in result.stderr and "(no stamp)" in result.stderr
    assert json.loads((venv / ".installed").read_text())["python"] == this_python()
    switched = make("venv", f"VENV={venv}", f"PYTHON={other}", *LIGHT)
    assert switched.returncode == 0, switched.stderr
    assert f"it was made with {this_python()}" in switched.stderr
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print(sys._base_executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert os.path.realpath(version.stdout.strip()) == os.path.realpath(other)


def test_a_too_old_python_is_refused_with_the_way_out(tmp_path: Path) -> None:
    versions = Path(sys.base_prefix).parent
    old = next(
        (
            str(p)
            for v in ("3.10", "3.9", "3.8")
            for p in sorted(versions.glob(f"{v}*/bin/python3"))
        ),
        None,
    )
    if old is None:
        pytest.skip("no Python 3.8 to 3.10 on this machine")
    result = make("venv", f"VENV={tmp_path / 'venv'}", f"PYTHON={old}", *LIGHT)
    assert result.returncode != 0
    assert "cns needs Python >= 3.11" in result.stderr and "PYTHON=python3.11" in result.stderr
    assert not (tmp_path / "venv").exists()
