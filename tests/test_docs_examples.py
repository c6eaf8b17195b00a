"""Every shell example in README.md and docs/*.md runs, in order, as written.

Each document's ``sh``/``shell`` blocks run one after another in a fresh directory (with a
copy of ``examples/``, as at the root of a clone), with this venv's ``cns`` first on PATH
and ``localhost:8080`` pointed at a real gunicorn started here on a free port. A block
that needs what a test cannot have carries a marker on the line before its fence::

    <!-- needs: cluster, network -->

and is skipped with that reason. Every other block must exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .support.paths import EXAMPLES, REPO
from .support.server import Server
from .support.tools import not_here

pytestmark = pytest.mark.slow

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"sh", "shell", "bash"}
FENCE = re.compile(r"^\s*```\s*([\w-]*)\s*$")  # also indented, inside a list item
NEEDS = re.compile(r"^<!--\s*needs:\s*(.+?)\s*-->$")
LOCAL_SERVICE = re.compile(r"(?:https?://)?localhost:8080")
BLOCK_TIMEOUT = 60


@dataclass(frozen=True)
class Block:
    """One fenced shell example."""

    document: Path
    index: int
    line: int
    text: str
    needs: str | None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(REPO)}:{self.line}"


def shell_blocks(document: Path) -> list[Block]:
    """The ``sh``/``shell``/``bash`` blocks of a Markdown file, with their ``needs`` markers."""
    blocks: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    previous = ""  # the last non-blank line outside a block
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("```"))
        if opening.group(1) in SHELL_LANGUAGES:
            marker = NEEDS.match(previous)
            blocks.append(
                Block(
                    document=document,
                    index=len(blocks),
                    line=i + 1,
                    text=textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n",
                    needs=marker.group(1) if marker else None,
                )
            )
        previous = ""
        i = end + 1
    return blocks


ALL_BLOCKS = [block for document in DOCUMENTS for block in shell_blocks(document)]


@dataclass
class DocumentRun:
    """The blocks of one document, run in order in one working directory."""

    workdir: Path
    outcomes: dict[int, subprocess.CompletedProcess[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def service() -> Iterator[Server]:
    """The API, as ``make run`` serves it, on a free loopback port."""
    with Server("wsgi:app", workers=1, env={"CNS_LOG_LEVEL": "warning"}) as server:
        yield server


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, DocumentRun]:
    return {}


def _environment(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CNS_", "KUBECONFIG", "PROMETHEUS_", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),  # no ~/.kube/config: a snapshot here skips Kubernetes
        NO_COLOR="1",
    )
    return env


def _run(block: Block, workdir: Path, port: int) -> subprocess.CompletedProcess[str]:
    script = LOCAL_SERVICE.sub(f"http://127.0.0.1:{port}", block.text)
    return subprocess.run(
        ["bash", "-e", "-u", "-c", script],
        cwd=workdir,
        env=_environment(workdir.parent / "home"),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def _report(block: Block, outcome: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{block.name} exited {outcome.returncode}\n--- block\n{block.text}"
        f"--- stdout\n{outcome.stdout[-3000:]}\n--- stderr\n{outcome.stderr[-3000:]}"
    )


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda block: block.name)
def test_shell_example_runs(
    block: Block,
    runs: dict[Path, DocumentRun],
    service: Server,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if block.needs:
        not_here(f"needs {block.needs}")
    run = runs.get(block.document)
    if run is None:
        root = tmp_path_factory.mktemp(block.document.stem)
        (root / "home").mkdir()
        workdir = root / "clone"
        workdir.mkdir()
        shutil.copytree(EXAMPLES, workdir / "examples")
        run = runs[block.document] = DocumentRun(workdir)
    for earlier in shell_blocks(block.document)[: block.index]:  # what this block builds on
        if earlier.needs is None and earlier.index not in run.outcomes:
            run.outcomes[earlier.index] = _run(earlier, run.workdir, service.port)
        if earlier.index in run.outcomes and run.outcomes[earlier.index].returncode:
            pytest.fail(
                f"an earlier example failed:\n{_report(earlier, run.outcomes[earlier.index])}"
            )
    outcome = run.outcomes[block.index] = _run(block, run.workdir, service.port)
    assert outcome.returncode == 0, _report(block, outcome)


def test_examples_are_found_and_the_readme_ones_run() -> None:
    """The extraction sees the README's CLI and API examples, unmarked."""
    runnable = [block for block in ALL_BLOCKS if block.needs is None]
    assert any("localhost:8080/v1/bundle" in block.text for block in runnable)
    assert any(
        block.document.name == "README.md" and "cns bundle" in block.text for block in runnable
    )


def test_curl_examples_fail_on_http_errors() -> None:
    """``curl -fsS``: an error answer must fail the example, not be saved as the result."""
    for block in ALL_BLOCKS:
        for command in re.findall(r"\bcurl\b[^\n]*", block.text):
            assert re.search(r"\s-[a-zA-Z]*f", command), f"{block.name}: {command}"
