"""Create or update the development venv, safely (every ``make`` target runs this first).

- One at a time: a lock (``VENV.lock``, flock) makes a second ``make`` wait while the
  first builds, then find the venv ready (``make run & make test`` on a fresh clone).
- Rebuilt when its Python changes: the stamp ``VENV/.installed`` records the
  interpreter's path and version, and the inputs of the install (setup.cfg,
  pyproject.toml, constraints.txt, the pip arguments). A venv without a stamp (half
  built, or made by hand) is rebuilt from scratch.
- The stamp is written last (atomically), so an interrupted build is redone next time.

    python3 tools/mkvenv.py .venv --bootstrap 'pip setuptools>=69 wheel' -- -e '.[test,dev]'
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 11)
REPO = Path(__file__).resolve().parent.parent
INPUTS = ("setup.cfg", "pyproject.toml", "constraints.txt")


def say(message: str) -> None:
    print(f"venv: {message}", file=sys.stderr, flush=True)


def wanted(bootstrap: list[str], install: list[str]) -> dict[str, object]:
    """What the stamp of an up-to-date venv says."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = REPO / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return {
        "python": os.path.realpath(sys.executable),
        "version": platform.python_version(),
        "bootstrap": bootstrap,
        "install": install,
        "inputs": digest.hexdigest(),
    }


def read_stamp(stamp: Path) -> dict[str, object] | None:
    try:
        value = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def pip(venv: Path, args: list[str]) -> None:
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *args], cwd=REPO, check=True)


def build(venv: Path, bootstrap: list[str], install: list[str]) -> None:
    """Bring ``venv`` up to date: from scratch if its Python differs, else re-install."""
    stamp = venv / ".installed"
    target = wanted(bootstrap, install)
    current = read_stamp(stamp)
    if current == target:
        return
    same_python = (
        current is not None
        and (current.get("python"), current.get("version")) == (target["python"], target["version"])
        and (venv / "bin" / "python").exists()
    )
    if same_python:
        say(f"updating {venv} (its install inputs changed)")
    else:
        if venv.exists():
            why = "no stamp" if current is None else f"it was made with {current.get('python')}"
            say(f"rebuilding {venv} ({why})")
        say(f"creating {venv} with Python {target['version']} ({target['python']})")
        stamp.unlink(missing_ok=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        if bootstrap:
            pip(venv, ["install", "--quiet", "--upgrade", *bootstrap])
    if install:
        pip(venv, ["install", "--quiet", *install])
    partial = stamp.with_name(f".installed.{os.getpid()}")
    partial.write_text(json.dumps(target, indent=2) + "\n")
    os.replace(partial, stamp)


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], usage="%(prog)s VENV [--bootstrap PKGS] -- PIP-ARGS"
    )
    parser.add_argument("venv", type=Path)
    parser.add_argument("--bootstrap", default="", help="packages to upgrade in a new venv")
    args = parser.parse_args(argv[:split])
    install = argv[split + 1 :]
    if sys.version_info < MINIMUM:
        say(
            f"cns needs Python >= {'.'.join(map(str, MINIMUM))}, {sys.executable} is "
            f"{platform.python_version()}: run make with PYTHON=python3.11 (or newer)"
        )
        return 2
    venv = args.venv if args.venv.is_absolute() else REPO / args.venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another make to finish with {venv}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            build(venv, shlex.split(args.bootstrap), install)
        except subprocess.CalledProcessError as exc:
            say(f"failed: {shlex.join(map(str, exc.cmd))} exited {exc.returncode}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
