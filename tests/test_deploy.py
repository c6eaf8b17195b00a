"""Deploying as the README says: the lock file, requirements.txt, .python-version, the
Dockerfile, and the Procfile run by honcho from a clean venv, as a platform runs it."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from .support.paths import REPO
from .support.server import free_port

LOCK = REPO / "constraints.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def install_requires() -> list[Requirement]:
    """setup.cfg's install_requires that apply to this interpreter."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    lines = config["options"]["install_requires"].strip().splitlines()
    requirements = [Requirement(line.strip()) for line in lines if line.strip()]
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def locked() -> dict[str, str]:
    """``{canonical name: version}`` from constraints.txt; every other line is a comment."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt: not an exact pin: {line!r}"
        name = str(canonicalize_name(match.group(1)))
        assert name not in pins, f"constraints.txt pins {name} twice"
        pins[name] = match.group(2)
    return pins


def test_lock_pins_every_requirement_within_its_range() -> None:
    pins = locked()
    for requirement in install_requires():
        name = str(canonicalize_name(requirement.name))
        assert name in pins, f"{requirement} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )
    assert "cns" not in pins


def test_lock_holds_what_the_pinned_packages_need() -> None:
    """Closed under dependencies, read from this venv's metadata where it has that version."""
    pins = locked()
    environment = {k: str(v) for k, v in default_environment().items()} | {"extra": ""}
    checked = 0
    for name, version in pins.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        checked += 1
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            needed = str(canonicalize_name(requirement.name))
            assert needed in pins, f"{name} needs {requirement}, not in constraints.txt"
            assert requirement.specifier.contains(pins[needed], prereleases=True), (
                f"{name} needs {requirement}; constraints.txt pins {pins[needed]}"
            )
    assert checked >= len(pins) // 2, "the dev venv is not installed from the lock: make test"


def test_requirements_txt_installs_cns_at_the_locked_versions() -> None:
    lines = [
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["-c constraints.txt", "."]


def test_one_python_version_everywhere() -> None:
    """.python-version (Heroku), the Docker base image, python_requires and the lock agree."""
    wanted = (REPO / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", wanted), wanted
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f"ARG PYTHON_VERSION={wanted}\n" in dockerfile
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert SpecifierSet(config["options"]["python_requires"]).contains(wanted + ".0")
    assert f"pinned for CPython {wanted} on Linux" in LOCK.read_text()


def _stages(dockerfile: str) -> list[list[str]]:
    """Instructions (continuation lines joined, comments dropped) grouped by FROM."""
    text = re.sub(r"\\\n", " ", dockerfile)
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_caches_dependencies_and_leaves_no_source_in_a_layer() -> None:
    build, final = _stages((REPO / "Dockerfile").read_text())
    assert "COPY . ." in build and any("pip wheel" in step for step in build)
    runs = [step for step in final if step.startswith("RUN ")]
    lock_install = next(i for i, step in enumerate(final) if "constraints.txt" in step)
    wheel_install = next(i for i, step in enumerate(final) if "from=wheel" in step)
    assert lock_install < wheel_install
    assert "--requirement /tmp/constraints.txt" in final[lock_install]
    assert "--no-deps" in final[wheel_install]
    assert not any(step.startswith(("COPY ", "ADD ")) for step in final), final
    assert all("--no-cache-dir" in step for step in runs if "pip install" in step)
    assert final[-1] == 'CMD ["serve"]' and 'ENTRYPOINT ["cns"]' in final
    assert any(step.startswith("USER ") and "0:" not in step for step in final)


def test_dockerignore_keeps_only_what_the_wheel_needs() -> None:
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name in (".git", ".venv", "tests", "bench", "docs", "build", "*.egg-info", ".tools"):
        assert name in ignored, name
    for needed in ("setup.cfg", "pyproject.toml", "README.md", "cns_core", "cns_web"):
        assert needed not in ignored and (REPO / needed).exists()
    assert {"recipes", "templates", "constraints.txt"}.isdisjoint(ignored)


def _checkout(destination: Path) -> None:
    """What `git push` would send: tracked files plus new ones not ignored, as in the tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            target = destination / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_procfile_web_runs_from_a_clean_venv_under_honcho(tmp_path: Path) -> None:
    """As a buildpack: a new venv, ``pip install -r requirements.txt`` in the checkout, then
    the Procfile's ``web`` line with PORT set; ``/ready`` must answer 200."""
    honcho = shutil.which("honcho", path=str(Path(sys.executable).parent))
    if honcho is None:
        pytest.skip("honcho is not installed (pip install -e '.[test]')")
    app = tmp_path / "app"
    _checkout(app)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CNS_", "PROMETHEUS_"))}
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    install = subprocess.run(
        # --no-compile: byte-compiling the kubernetes client would double the time
        [*pip, "install", "-q", "--no-compile", "--requirement", "requirements.txt"],
        cwd=app,
        env=clean,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    frozen = subprocess.run(
        [*pip, "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed: dict[str, str] = {}
    for line in frozen.split():
        name, version = line.split("==")
        installed[str(canonicalize_name(name))] = version
    assert installed.pop("cns") and installed == locked()

    port = free_port()
    env = {
        **clean,
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{clean['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "VIRTUAL_ENV": str(env_dir),
    }
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [honcho, "start", "web"],
            cwd=app,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = _get(f"http://127.0.0.1:{port}/ready")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.1)
        assert status == 200, log.read_text()
        assert _get(f"http://127.0.0.1:{port}/v1/recipe?service=eks") == 200
        assert f"Listening at: http://0.0.0.0:{port}" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
