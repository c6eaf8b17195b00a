"""Where and how commands write: ``-o FILE`` takes its format from the extension,
``-o json`` gets a hint, ``cns bundle -o -`` streams the zip, a closed pipe ends quietly."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import zipfile
from pathlib import Path

import pytest

from cns_core.cli.exit_codes import EXIT_BROKEN_PIPE
from cns_core.serialize import load_yaml
from tests.support.cli import CNS, CnsRunner
from tests.support.paths import EXAMPLE_SNAPSHOTS, EXAMPLES

H100 = str(EXAMPLE_SNAPSHOTS / "h100-eks-ubuntu.yaml")
RECIPE_YAML = str(EXAMPLES / "recipes" / "gb200-eks-ubuntu-training.yaml")
#: Each command with ``-o`` and ``--format``, with the arguments that make it succeed.
COMMANDS = {
    "recipe": ["recipe", "--service", "eks"],
    "validate": ["validate", "-r", RECIPE_YAML, "-s", H100, "--no-fail-on-error"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("name", "fmt", "parse"),
    [
        ("out.json", None, json.loads),
        ("out.JSON", None, json.loads),
        ("out.yaml", None, load_yaml),
        ("out.yml", None, load_yaml),
        ("out.json", "json", json.loads),
        ("out.conf", None, load_yaml),  # no known extension: the default format
        ("out.conf", "json", json.loads),
    ],
)
def test_output_file_gets_the_format_its_extension_names(
    runner: CnsRunner, tmp_path: Path, command: str, name: str, fmt: str | None, parse
) -> None:
    out = tmp_path / name
    args = [*COMMANDS[command], "-o", str(out), *(["-t", fmt] if fmt else [])]
    result = runner.invoke(args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert isinstance(parse(out.read_text()), dict)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("out.yaml", "json", "-o {out} names a yaml file but --format is json"),
        ("out.json", "yaml", "-o {out} names a json file but --format is yaml"),
        ("out.json", "table", "-o {out} names a json file but --format is table"),
    ],
)
def test_extension_contradicting_format_is_a_usage_error(
    runner: CnsRunner, tmp_path: Path, command: str, name: str, fmt: str, message: str
) -> None:
    out = tmp_path / name
    result = runner.invoke([*COMMANDS[command], "-o", str(out), "--format", fmt])
    assert result.exit_code == 2
    assert message.format(out=out) in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("value", "hint"), [("json", "json"), ("yaml", "yaml"), ("YAML", "yaml"), ("yml", "yaml")]
)
def test_a_format_name_as_output_gets_a_hint(
    runner: CnsRunner, tmp_path: Path, command: str, value: str, hint: str
) -> None:
    result = runner.invoke([*COMMANDS[command], "-o", value], cwd=tmp_path)
    assert result.exit_code == 2
    assert f"did you mean --format {hint}?" in result.stderr
    assert f"-o ./{value}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_table_goes_to_any_other_file_name(runner: CnsRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = runner.invoke([*COMMANDS["validate"], "-o", str(out), "-t", "table"])
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith("STATUS")


def test_recipe_written_as_json_bundles(runner: CnsRunner, tmp_path: Path) -> None:
    """The issue's sequence: ``cns recipe ... -o r.json`` then ``cns bundle -r r.json``."""
    recipe = tmp_path / "r.json"
    assert runner.invoke(["recipe", "--service", "eks", "-o", str(recipe)]).exit_code == 0
    assert json.loads(recipe.read_text())["kind"] == "recipeResult"
    result = runner.invoke(["bundle", "-r", str(recipe), "-o", str(tmp_path / "bundle")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "bundle" / "Chart.yaml").is_file()


def test_inputs_are_read_by_content_whatever_their_name(runner: CnsRunner, tmp_path: Path) -> None:
    yaml_named_json = tmp_path / "recipe.json"
    yaml_named_json.write_text(Path(RECIPE_YAML).read_text())
    result = runner.invoke(["bundle", "-r", str(yaml_named_json), "-o", str(tmp_path / "b.zip")])
    assert result.exit_code == 0, result.stderr
    json_named_txt = tmp_path / "snapshot.txt"
    gb200 = EXAMPLE_SNAPSHOTS / "gb200-eks-ubuntu.yaml"
    json_named_txt.write_text(json.dumps(load_yaml(gb200.read_text())))
    result = runner.invoke(["validate", "-r", str(yaml_named_json), "-s", str(json_named_txt)])
    assert result.exit_code == 0, result.stderr


def test_bundle_to_stdout_is_the_same_zip_as_to_a_file(runner: CnsRunner, tmp_path: Path) -> None:
    to_file = runner.invoke(["bundle", "-r", RECIPE_YAML, "-o", str(tmp_path / "b.zip")])
    assert to_file.exit_code == 0, to_file.stderr
    streamed = runner.invoke(["bundle", "-r", RECIPE_YAML, "-o", "-"], cwd=tmp_path)
    assert streamed.exit_code == 0, streamed.stderr
    assert streamed.stdout_bytes == (tmp_path / "b.zip").read_bytes()
    assert not (tmp_path / "-").exists()
    names = zipfile.ZipFile(io.BytesIO(streamed.stdout_bytes)).namelist()
    assert "Chart.yaml" in names and "checksums.txt" in names
    assert "Helm umbrella chart written to stdout as a zip" in streamed.stderr


def test_bundle_refuses_to_write_a_zip_to_a_terminal(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [CNS, "bundle", "-r", RECIPE_YAML, "-o", "-"],
        stdout=follower,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    os.close(follower)
    os.close(leader)
    assert proc.returncode == 2
    assert "stdout, which is a terminal" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def _closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run cns with stdout on a pipe whose reader has already gone (``| true``, ``| head``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [CNS, *args], stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=60
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ["recipe", "--service", "eks"],
        ["recipe", "--service", "eks", "-t", "json"],
        ["validate", "-r", RECIPE_YAML, "-s", H100, "-t", "table"],
        ["bundle", "-r", RECIPE_YAML, "-o", "-"],
        ["bundle", "-r", RECIPE_YAML, "-o", "b.zip"],  # the report on stdout
        ["version"],
        ["--help"],
        ["recipe", "--help"],
    ],
    ids=lambda args: " ".join(a for a in args if "/" not in a),
)
def test_closed_stdout_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    proc = _closed_stdout(args, tmp_path)
    assert proc.stderr == ""
    assert proc.returncode == EXIT_BROKEN_PIPE


def test_pipe_into_head_prints_nothing_on_stderr(tmp_path: Path) -> None:
    """A real shell pipeline: whether or not cns was still writing, no message."""
    proc = subprocess.run(
        ["bash", "-c", f"{CNS} snapshot --systemd-service x.service -t json | head -c 10"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "KUBECONFIG": str(tmp_path / "none")},
    )
    assert proc.returncode == 0
    assert len(proc.stdout) == 10
    assert "BrokenPipe" not in proc.stderr and "Error" not in proc.stderr
