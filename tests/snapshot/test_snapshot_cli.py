"""``cns snapshot`` end to end on this machine, with fake systemctl / nvidia-smi on PATH."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from snapshot_fakes import fake_nvidia_smi

from cns_core.cli.documents import read_document
from cns_core.cli.snapshot import bool_option, parse_duration
from cns_core.snapshot import MeasurementType, Snapshot
from tests.support.cli import CnsRunner


@pytest.fixture
def host(fake_systemctl: Path, fake_bin: Callable[[str, str], Path], no_kube: None) -> None:
    fake_nvidia_smi(fake_bin, "nvidia-smi-h100.xml")


def test_snapshot_json_to_stdout(host: None, runner: CnsRunner) -> None:
    result = runner.invoke(["snapshot", "-t", "json"])
    assert result.exit_code == 0, result.stderr
    snapshot = Snapshot.from_dict(json.loads(result.stdout))
    assert [m.type.value for m in snapshot.measurements] == ["SystemD", "OS", "GPU"]
    assert snapshot.find(MeasurementType.GPU, "smi", "gpu-count") == 8
    assert snapshot.find(MeasurementType.SYSTEMD, "containerd.service", "SubState") == "running"
    assert "K8s measurement skipped" in result.stderr


def test_snapshot_to_a_yaml_file(host: None, runner: CnsRunner, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    result = runner.invoke(["snapshot", "-o", out])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert Snapshot.from_dict(read_document(str(out))).find(MeasurementType.GPU, "gpu-3", "model")


@pytest.mark.parametrize(("name", "fmt"), [("snap.json", "json"), ("snap.yml", "yaml")])
def test_snapshot_file_format_follows_the_extension(
    host: None, runner: CnsRunner, tmp_path: Path, name: str, fmt: str
) -> None:
    out = tmp_path / name
    result = runner.invoke(["snapshot", "-o", out])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("{") == (fmt == "json")
    assert Snapshot.from_dict(read_document(str(out))).find(MeasurementType.GPU, "smi", "gpu-count")


def test_snapshot_output_named_like_a_format_gets_a_hint(
    host: None, runner: CnsRunner, tmp_path: Path
) -> None:
    result = runner.invoke(["snapshot", "-o", "json"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "did you mean --format json?" in result.stderr
    assert not (tmp_path / "json").exists()
    result = runner.invoke(["snapshot", "-o", "s.yaml", "-t", "json"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "names a yaml file but --format is json" in result.stderr


def test_snapshot_table(host: None, runner: CnsRunner) -> None:
    result = runner.invoke(["snapshot", "-t", "table", "--systemd-service", "kubelet.service"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("source-node: ")
    header = next(line for line in lines if line.startswith("TYPE"))
    assert header.split() == ["TYPE", "SUBTYPE", "KEY", "VALUE"]
    assert any(line.split()[:3] == ["GPU", "smi", "gpu-count"] for line in lines)
    assert any(line.split()[:2] == ["SystemD", "kubelet.service"] for line in lines)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-t", "xml"], 3, "invalid format 'xml': valid formats are json, yaml, table"),
        (["--require-k8s"], 4, "failed to collect kubernetes resources"),
        (["--timeout", "5x"], 2, "invalid duration '5x'"),
        (["--cleanup=maybe"], 2, "'maybe' is not a valid boolean"),
        (
            ["--deploy-agent", "--node-selector", "novalue"],
            3,
            "invalid node-selector 'novalue': expected key=value",
        ),
        (
            ["--deploy-agent", "--toleration", "k=v:Sometimes"],
            3,
            "effect 'Sometimes' is not one of",
        ),
        (["-o", "ftp://host/x.yaml"], 3, "unsupported scheme 'ftp://'"),
    ],
)
def test_bad_input(host: None, runner: CnsRunner, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(["snapshot", *args])
    assert result.exit_code == code, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("0", 0),
        ("250ms", 0.25),
        ("2m3.5s", 123.5),
        ("10us", 1e-5),
        ("7µs", 7e-6),
        ("3ns", 3e-9),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "-5m", "5x", "m", "1h 30m", "1.2.3s", "5M"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], True),
        (["--cleanup"], True),
        (["--cleanup=false"], False),
        (["--cleanup", "0"], False),
        (["--cleanup=true"], True),
        (["--no-cleanup"], False),
    ],
)
def test_bool_options_accept_go_style_values(
    runner: CnsRunner, args: list[str], expected: bool
) -> None:
    @click.command()
    @bool_option("cleanup", True, "help")
    def command(cleanup: bool, no_cleanup: bool) -> None:
        click.echo(cleanup and not no_cleanup)

    assert runner.invoke(args, command=command).output == f"{expected}\n"
