"""ValidationResult documents for passing, failing and partial cases, frozen as golden files.

Regenerate after a deliberate change with ``CNS_UPDATE_GOLDEN=1 pytest tests/validate``,
then review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cns_core.cli.documents import read_document
from cns_core.cli.tables import render_validation_table
from cns_core.recipes.model import Constraint
from cns_core.serialize import dump_json, dump_yaml
from cns_core.snapshot import Snapshot
from cns_core.validate import format_duration, validate_snapshot
from tests.support.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 1, 2, 18, 30, 0, tzinfo=dt.UTC)
PASSING = [
    ("K8s.server.version", ">= 1.30"),
    ("OS.release.ID", "ubuntu"),
    ("OS.release.VERSION_ID", ">= 24.04"),
    ("OS.sysctl./proc/sys/kernel/osrelease", ">= 6.8"),
    ('SystemD."containerd.service".ActiveState', "active"),
    ("GPU.smi.gpu.model", "NVIDIA H100 80GB HBM3"),
    ("GPU.smi.gpu-count", ">= 8"),
]
CASES = {
    "pass": PASSING,
    "fail": [*PASSING, ("K8s.server.version", ">= 1.32.4"), ("GPU.smi.driver", "== 580.82.07")],
    "partial": [
        *PASSING,
        ("OS.release.NAME_X", "Ubuntu"),
        ("K8s.server.version", "=> 1.30"),
        ("SystemD.containerd.service.ActiveState", "active"),
    ],
}


def _report(snapshot_dir: Path, case: str) -> dict:
    snapshot = Snapshot.from_dict(read_document(str(snapshot_dir / "h100-eks-ubuntu.yaml")))
    ticks = iter([100.0, 100.0012345])
    report = validate_snapshot(
        [Constraint(n, v) for n, v in CASES[case]],
        snapshot,
        recipe_source=f"recipe-{case}.yaml",
        snapshot_source="h100-eks-ubuntu.yaml",
        version="1.0.0-test",
        now=lambda: NOW,
        timer=lambda: next(ticks),
    )
    return report.to_dict()


def _check_golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


@pytest.mark.parametrize(
    ("case", "status"), [("pass", "pass"), ("fail", "fail"), ("partial", "partial")]
)
def test_golden_reports(snapshot_dir: Path, case: str, status: str) -> None:
    doc = _report(snapshot_dir, case)
    assert doc["summary"]["status"] == status
    _check_golden(f"{case}.json", dump_json(doc))
    _check_golden(f"{case}.yaml", dump_yaml(doc))
    _check_golden(f"{case}.txt", render_validation_table(doc))


def test_reports_are_deterministic(snapshot_dir: Path) -> None:
    assert dump_json(_report(snapshot_dir, "fail")) == dump_json(_report(snapshot_dir, "fail"))


def test_summary_counts(snapshot_dir: Path) -> None:
    summary = _report(snapshot_dir, "partial")["summary"]
    assert summary == {
        "passed": 7,
        "failed": 0,
        "skipped": 3,
        "total": 10,
        "status": "partial",
        "duration": "1.234ms",
    }


def test_no_constraints_is_a_pass(snapshot_dir: Path) -> None:
    report = validate_snapshot([], Snapshot(), now=lambda: NOW)
    assert report.status == "pass"
    assert report.to_dict()["results"] == []
    assert "PASS: 0 passed" in render_validation_table(report.to_dict())


def test_table_colour() -> None:
    doc = validate_snapshot([Constraint("K8s.a.b", "x")], Snapshot(), now=lambda: NOW).to_dict()
    plain, coloured = render_validation_table(doc), render_validation_table(doc, colour=True)
    assert "\033[" not in plain
    assert "\033[33mSKIPPED\033[0m" in coloured
    assert "\033[33mPARTIAL\033[0m" in coloured


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0ns"),
        (850e-9, "850ns"),
        (12.5e-6, "12.5µs"),
        (0.0032, "3.2ms"),
        (1.25, "1.25s"),
        (90, "90s"),
    ],
)
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
