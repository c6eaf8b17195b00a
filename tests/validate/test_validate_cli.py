"""``cns validate`` and ``cns recipe --snapshot``: exit codes, outputs, and every bad input."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from cns_core.serialize import dump_yaml
from tests.support.cli import CNS, CnsRunner, run_cns

PASSING = {
    "kind": "recipeResult",
    "constraints": [
        {"name": "K8s.server.version", "value": ">= 1.30"},
        {"name": "OS.release.ID", "value": "ubuntu"},
    ],
}
FAILING = {
    "kind": "recipeResult",
    "constraints": [
        {"name": "K8s.server.version", "value": ">= 1.32.4"},
        {"name": "OS.release.ID", "value": "ubuntu"},
    ],
}
PARTIAL = {
    "kind": "recipeResult",
    "constraints": [
        {"name": "K8s.server.version", "value": ">= 1.30"},
        {"name": "OS.release.NOPE", "value": "x"},
    ],
}


@pytest.fixture
def h100(snapshot_dir: Path) -> str:
    return str(snapshot_dir / "h100-eks-ubuntu.yaml")


@pytest.fixture
def recipes(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name, doc in (("pass", PASSING), ("fail", FAILING), ("partial", PARTIAL)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(dump_yaml(doc))
        paths[name] = str(path)
    return paths


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [("pass", 0, "pass"), ("partial", 0, "partial"), ("fail", 1, "fail")],
)
def test_exit_codes_follow_the_summary(
    runner: CnsRunner, h100: str, recipes: dict[str, str], case: str, code: int, status: str
) -> None:
    result = runner.invoke(["validate", "-r", recipes[case], "-s", h100, "-t", "json"])
    assert result.exit_code == code, result.stderr
    doc = json.loads(result.stdout)
    assert doc["kind"] == "ValidationResult"
    assert doc["summary"]["status"] == status
    assert doc["recipeSource"] == recipes[case] and doc["snapshotSource"] == h100
    if code:
        assert (
            result.stderr.strip().splitlines()[-1]
            == "Error: validation failed: 1 constraint(s) did not pass"
        )


@pytest.mark.parametrize(
    "flag", ["--fail-on-error=false", "--no-fail-on-error", "--fail-on-error=0"]
)
def test_fail_on_error_off(
    runner: CnsRunner, h100: str, recipes: dict[str, str], flag: str
) -> None:
    result = runner.invoke(["validate", "-r", recipes["fail"], "-s", h100, flag])
    assert result.exit_code == 0, result.stderr


def test_the_report_is_written_before_failing(
    runner: CnsRunner, h100: str, recipes: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(["validate", "-r", recipes["fail"], "-s", h100, "-o", out, "-t", "json"])
    assert result.exit_code == 1
    assert json.loads(out.read_text())["summary"]["failed"] == 1


def test_snapshot_from_stdin(runner: CnsRunner, h100: str, recipes: dict[str, str]) -> None:
    result = runner.invoke(
        ["validate", "-r", recipes["pass"], "-s", "-"], input=Path(h100).read_text()
    )
    assert result.exit_code == 0
    assert "status: pass" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["-r", "{dir}/nope.yaml", "-s", "{h100}"],
            4,
            "cannot load the recipe: {dir}/nope.yaml: no such file",
        ),
        (
            ["-r", "{pass}", "-s", "{dir}/nope.yaml"],
            4,
            "cannot load the snapshot: {dir}/nope.yaml: no such file",
        ),
        (["-r", "{pass}", "-s", "{dir}/bad-snapshot.yaml"], 3, "measurements must be a list"),
        (
            ["-r", "{pass}", "-s", "{dir}/bad-reading.yaml"],
            3,
            "a reading must be a string, number or boolean",
        ),
        (["-r", "{h100}", "-s", "{h100}"], 3, 'invalid kind "Snapshot", expected "recipeResult"'),
        (["-r", "{pass}", "-s", "ftp://x/s.yaml"], 3, "unsupported scheme 'ftp://'"),
        (["-r", "{pass}", "-s", "{dir}/broken.json"], 3, "invalid JSON in"),
        (["-r", "{pass}", "-s", "{h100}", "-t", "xml"], 3, "invalid format 'xml'"),
        (["-r", "-", "-s", "-"], 2, "cannot both read stdin"),
        (["-s", "{h100}"], 2, "Missing option '-r'"),
    ],
)
def test_bad_inputs(
    runner: CnsRunner,
    h100: str,
    recipes: dict[str, str],
    tmp_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    (tmp_path / "bad-snapshot.yaml").write_text("kind: Snapshot\nmeasurements: 3\n")
    (tmp_path / "bad-reading.yaml").write_text(
        "measurements:\n- type: OS\n  subtypes:\n  - data: {k: [1]}\n"
    )
    (tmp_path / "broken.json").write_text('{"measurements": [')
    values = {"dir": str(tmp_path), "h100": h100, "pass": recipes["pass"]}
    result = runner.invoke(["validate", *(a.format(**values) for a in args)])
    assert result.exit_code == code, result.stderr
    assert message.format(**values) in result.stderr
    assert "Traceback" not in result.stderr


def _pty_run(args: list[str], env: dict[str, str]) -> str:
    """Run cns with stdout on a pseudo-terminal (so it is a TTY) and return what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([CNS, *args], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks).decode()


def test_table_is_coloured_on_a_terminal_unless_no_color(
    h100: str, recipes: dict[str, str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = ["validate", "-r", recipes["partial"], "-s", h100, "-t", "table"]
    coloured = _pty_run(args, env)
    assert "\033[32mPASSED" in coloured and "\033[33mPARTIAL\033[0m" in coloured
    plain = _pty_run(args, {**env, "NO_COLOR": "1"})
    assert "\033[" not in plain and "PARTIAL: 1 passed, 0 failed, 1 skipped of 2" in plain


def test_real_process_exit_code_and_one_line_error(h100: str, recipes: dict[str, str]) -> None:
    proc = run_cns("validate", "-r", recipes["fail"], "-s", h100, "-t", "table")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0].split() == [
        "STATUS",
        "CONSTRAINT",
        "EXPECTED",
        "ACTUAL",
        "MESSAGE",
    ]
    assert proc.stderr.strip().splitlines() == [
        "Error: validation failed: 1 constraint(s) did not pass"
    ]


# ---- cns recipe --snapshot -------------------------------------------------------------


def test_recipe_from_the_h100_snapshot(runner: CnsRunner, h100: str) -> None:
    result = runner.invoke(["recipe", "--snapshot", h100, "-t", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["criteria"] == {
        "service": "eks",
        "accelerator": "h100",
        "intent": "any",
        "os": "ubuntu",
        # a snapshot cannot tell the platform
        "platform": "any",
    }
    assert doc["metadata"]["appliedOverlays"][:2] == ["base", "eks"]


def test_recipe_from_a_snapshot_reports_excluded_overlays(runner: CnsRunner, h100: str) -> None:
    result = runner.invoke(["recipe", "-s", h100, "--intent", "inference", "-t", "json"])
    assert result.exit_code == 0
    meta = json.loads(result.stdout)["metadata"]
    # the node runs EKS 1.30: every H100 inference overlay needs more (aicr's H100 EKS
    # floor is 1.32.4), eks-inference's 1.30 holds
    assert meta["appliedOverlays"] == ["base", "eks", "monitoring-hpa", "eks-inference"]
    assert meta["excludedOverlays"] == [
        "h100-eks-inference",
        "h100-inference",
        "h100-eks-ubuntu-inference",
    ]

    def warning(overlay: str, floor: str) -> dict[str, str]:
        return {
            "overlay": overlay,
            "constraint": "K8s.server.version",
            "expected": f">= {floor}",
            "actual": "v1.30.14-eks-3025e55",
            "reason": f"expected >= {floor}, got v1.30.14-eks-3025e55",
        }

    assert meta["constraintWarnings"] == [
        warning("h100-eks-inference", "1.32.4"),
        warning("h100-inference", "1.31"),
        warning("h100-eks-ubuntu-inference", "1.32.4"),
    ]


def test_recipe_from_a_snapshot_is_deterministic(runner: CnsRunner, h100: str) -> None:
    args = ["recipe", "-s", h100, "--intent", "inference", "-t", "json"]
    assert runner.invoke(args).stdout == runner.invoke(args).stdout


def test_flags_and_criteria_file_override_the_snapshot(
    runner: CnsRunner, h100: str, tmp_path: Path
) -> None:
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text("kind: recipeCriteria\nspec:\n  intent: training\n  os: any\n")
    result = runner.invoke(
        ["recipe", "-s", h100, "-c", criteria, "--accelerator", "a100", "-t", "json"]
    )
    assert result.exit_code == 0
    # the file pins intent (its 'any' does not erase what the snapshot found); the flag wins last
    assert json.loads(result.stdout)["criteria"] == {
        "service": "eks",
        "accelerator": "a100",
        "intent": "training",
        "os": "ubuntu",
        "platform": "any",
    }


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        ("{dir}/nope.yaml", 4, "cannot load the snapshot: {dir}/nope.yaml: no such file"),
        ("{dir}/recipe.yaml", 3, 'invalid kind "recipeResult", expected "Snapshot"'),
        ("gopher://x", 3, "unsupported scheme 'gopher://'"),
    ],
)
def test_recipe_bad_snapshot(
    runner: CnsRunner, tmp_path: Path, source: str, code: int, message: str
) -> None:
    (tmp_path / "recipe.yaml").write_text(dump_yaml(PASSING))
    result = runner.invoke(["recipe", "-s", source.format(dir=tmp_path)])
    assert result.exit_code == code, result.stderr
    assert message.format(dir=tmp_path) in result.stderr


# ---- start-up --------------------------------------------------------------------------

#: What ``cns validate`` of files must not import: its start-up is benchmarked against the
#: import of click and a YAML library (docs/benchmarks.md, "CLI wall time").
NOT_AT_START_UP = ("dataclasses", "logging", "ruamel", "flask", "kubernetes", "urllib3")


def test_validating_files_imports_only_what_it_needs(h100: str, recipes: dict[str, str]) -> None:
    """No module of the list above, and no cns module that defines a NamedTuple under
    ``from __future__ import annotations``: a NamedTuple compiles every string annotation
    when its class is created (0.5 ms of this command's start-up, over its modules)."""
    code = (
        "import atexit, json, sys, __future__, typing\n"
        "def report():\n"
        "    mods = {n: m for n, m in sys.modules.items() if m is not None}\n"
        "    late = [n for n, m in mods.items() if n.startswith('cns_core') and any(\n"
        "        isinstance(v, type) and issubclass(v, tuple) and hasattr(v, '_fields')\n"
        "        and v.__module__ == n for v in vars(m).values())\n"
        "        and getattr(m, 'annotations', None) is __future__.annotations]\n"
        "    print(json.dumps({'modules': sorted(mods), 'postponed': sorted(late)}), file=sys.stderr)\n"
        "atexit.register(report)\n"
        "from cns_core.cli import main\n"
        "sys.argv = ['cns', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "validate", "--recipe", recipes["pass"], "--snapshot", h100],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stderr.strip().splitlines()[-1])
    assert "cns_core.validate.report" in seen["modules"]  # the report was made here
    assert [m for m in seen["modules"] if m.split(".")[0] in NOT_AT_START_UP] == []
    assert seen["postponed"] == []
