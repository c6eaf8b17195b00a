"""Constraint paths, expressions, per-constraint statuses and the recipe-builder evaluator."""

from __future__ import annotations

from pathlib import Path

import pytest

from cns_core.cli.documents import read_document
from cns_core.criteria import Criteria
from cns_core.errors import InvalidRequestError
from cns_core.recipes import build_recipe
from cns_core.recipes.model import Constraint
from cns_core.snapshot import Measurement, MeasurementType, Snapshot, Subtype
from cns_core.snapshot.infer import criteria_from_snapshot
from cns_core.validate import (
    ConstraintPath,
    Expression,
    Status,
    check_constraint,
    constraint_evaluator,
    constraints_from_document,
)
from tests.support.snapshots import snapshot_params

SNAPSHOT = Snapshot(
    [
        Measurement(MeasurementType.K8S, [Subtype("server", {"version": "v1.33.5-eks-3025e55"})]),
        Measurement(
            MeasurementType.SYSTEMD,
            [Subtype("containerd.service", {"ActiveState": "active", "NRestarts": 0})],
        ),
        Measurement(
            MeasurementType.OS,
            [
                Subtype("release", {"ID": "ubuntu", "VERSION_ID": "24.04"}),
                Subtype("sysctl", {"/proc/sys/kernel/osrelease": "6.8.0-1028-aws"}),
            ],
        ),
        Measurement(
            MeasurementType.GPU, [Subtype("smi", {"gpu.model": "NVIDIA GB200", "gpu-count": 4})]
        ),
    ]
)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("K8s.server.version", (MeasurementType.K8S, "server", "version")),
        ("GPU.smi.gpu.model", (MeasurementType.GPU, "smi", "gpu.model")),
        (
            "OS.sysctl./proc/sys/kernel/osrelease",
            (MeasurementType.OS, "sysctl", "/proc/sys/kernel/osrelease"),
        ),
        (
            'SystemD."containerd.service".ActiveState',
            (MeasurementType.SYSTEMD, "containerd.service", "ActiveState"),
        ),
    ],
)
def test_paths(text: str, path: tuple[MeasurementType, str, str]) -> None:
    parsed = ConstraintPath.parse(text)
    assert (parsed.type, parsed.subtype, parsed.key) == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the path is empty"),
        ("K8s", "expected Type.subtype.key"),
        ("K8s.server", "expected Type.subtype.key"),
        ("K8s.server.", "expected Type.subtype.key"),
        ('SystemD."containerd.service"', "expected Type.subtype.key"),
        ('SystemD."containerd.service.ActiveState', "unterminated quote"),
        (
            "k8s.server.version",
            "invalid measurement type 'k8s': valid types are K8s, SystemD, OS, GPU",
        ),
    ],
)
def test_bad_paths(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        ConstraintPath.parse(text)


@pytest.mark.parametrize(
    ("expression", "actual", "expected"),
    [
        (">= 1.32.4", "v1.33.5-eks-3025e55", True),
        (">= 1.34", "v1.33.5-eks-3025e55", False),
        (">=1.33", "v1.33.5-eks-3025e55", True),
        ("<= 1.33", "1.33.9", True),
        ("< 2.0", "2.0.0", False),
        ("> 6.7", "6.8.0-1028-aws", True),
        (">= 6.8", "6.8.0-1028-aws", True),
        ("== 1.2", "1.2.3", False),
        ("== 1.33.5", "v1.33.5-eks-3025e55", True),
        ("!= 1.30", "1.33.0", True),
        ("== ubuntu", "ubuntu", True),
        ("!= rhel", "ubuntu", True),
        ("== 24.04", "24.4", True),  # both versions: numeric equality
        ("24.04", "24.4", False),  # bare value: exact string match
        ('"24.04"', "24.04", True),  # quotes around the value are not part of it
        ("ubuntu", " ubuntu ", True),  # the actual value is trimmed
        ("Ubuntu", "ubuntu", False),  # case-sensitive
    ],
)
def test_expressions(expression: str, actual: str, expected: bool) -> None:
    assert Expression.parse(expression).evaluate(actual) is expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "the expression is empty"),
        (">=", "a value is needed after '>='"),
        ("=> 1.30", "unknown operator '=>': valid operators are >=, <=, >, <, ==, !="),
        ("= 1.30", "unknown operator '='"),
        ("~ 1.30", "unknown operator '~'"),
        (">> 1.30", "unknown operator '>>'"),
        (">= abc", "invalid version 'abc'"),
        ("< 1.2.3.4", "more than 3 components"),
    ],
)
def test_bad_expressions(expression: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Expression.parse(expression)


def test_an_unparseable_actual_version_cannot_be_ordered() -> None:
    with pytest.raises(
        InvalidRequestError, match="the actual value is not a version: invalid version 'ubuntu'"
    ):
        Expression.parse(">= 1.0").evaluate("ubuntu")


@pytest.mark.parametrize(
    ("name", "value", "status", "actual", "message"),
    [
        ("K8s.server.version", ">= 1.32.4", Status.PASSED, "v1.33.5-eks-3025e55", ""),
        (
            "K8s.server.version",
            ">= 1.34",
            Status.FAILED,
            "v1.33.5-eks-3025e55",
            "expected >= 1.34, got v1.33.5-eks-3025e55",
        ),
        ("OS.release.ID", ">= 1", Status.FAILED, "ubuntu", "evaluation failed: cannot compare"),
        ('SystemD."containerd.service".NRestarts', "== 0", Status.PASSED, "0", ""),
        (
            "SystemD.containerd.service.ActiveState",
            "active",
            Status.SKIPPED,
            "",
            "quote subtype names that contain dots",
        ),
        (
            "OS.release.NAME",
            "Ubuntu",
            Status.SKIPPED,
            "",
            "value not found in snapshot: key 'NAME' not found",
        ),
        (
            "GPU.device.model",
            "x",
            Status.SKIPPED,
            "",
            "subtype 'device' not found in GPU (subtypes: smi)",
        ),
        (
            "Net.a.b",
            "x",
            Status.SKIPPED,
            "",
            "invalid constraint path 'Net.a.b': invalid measurement type",
        ),
        (
            "K8s.server.version",
            "=> 1.30",
            Status.SKIPPED,
            "",
            "invalid constraint expression '=> 1.30'",
        ),
    ],
)
def test_check_constraint(name: str, value: str, status: Status, actual: str, message: str) -> None:
    result = check_constraint(Constraint(name, value), SNAPSHOT)
    assert (result.status, result.actual) == (status, actual)
    assert message in result.message
    assert result.expected == value


def test_missing_measurement_type_is_skipped() -> None:
    result = check_constraint(Constraint("GPU.smi.gpu.model", "x"), Snapshot())
    assert result.status is Status.SKIPPED
    assert (
        result.message == "value not found in snapshot: measurement type GPU not found in snapshot"
    )


def test_evaluator_for_the_recipe_builder() -> None:
    evaluate = constraint_evaluator(SNAPSHOT)
    assert evaluate(Constraint("K8s.server.version", ">= 1.30")) == (
        True,
        "v1.33.5-eks-3025e55",
        "",
    )
    assert evaluate(Constraint("OS.release.ID", "rhel")) == (
        False,
        "ubuntu",
        "expected rhel, got ubuntu",
    )
    passed, actual, reason = evaluate(Constraint("OS.release.NAME", "x"))
    assert (passed, actual) == (False, None)
    assert reason.startswith("value not found in snapshot")


@pytest.mark.parametrize("path", snapshot_params("h100-eks-ubuntu.yaml"))
def test_recipe_from_the_h100_snapshot_excludes_failing_overlays(path: Path, store) -> None:
    snapshot = Snapshot.from_dict(read_document(str(path)))
    criteria = criteria_from_snapshot(snapshot).replace(intent="inference")
    result = build_recipe(criteria, store, evaluator=constraint_evaluator(snapshot))
    # h100-inference needs Kubernetes >= 1.31; this EKS node runs v1.30.14
    assert "h100-inference" in result.excluded_overlays
    assert "h100-inference" not in result.applied_overlays
    warning = next(w for w in result.constraint_warnings if w.overlay == "h100-inference")
    assert (warning.constraint, warning.expected, warning.actual) == (
        "K8s.server.version",
        ">= 1.31",
        "v1.30.14-eks-3025e55",
    )
    assert warning.reason == "expected >= 1.31, got v1.30.14-eks-3025e55"


@pytest.mark.parametrize("path", snapshot_params("gb200-eks-ubuntu.yaml"))
def test_recipe_from_the_gb200_snapshot_keeps_its_overlays(path: Path, store) -> None:
    snapshot = Snapshot.from_dict(read_document(str(path)))
    criteria = criteria_from_snapshot(snapshot).replace(intent="training")
    assert criteria == Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu")
    result = build_recipe(criteria, store, evaluator=constraint_evaluator(snapshot))
    assert result.excluded_overlays == ()
    assert "gb200-eks-ubuntu-training" in result.applied_overlays


@pytest.mark.parametrize(
    ("doc", "count"),
    [
        ({"kind": "recipeResult", "constraints": [{"name": "a", "value": "b"}]}, 1),
        ({"constraints": [{"name": "a", "value": 1.3}]}, 1),
        ({"kind": "recipeMetadata", "spec": {"constraints": [{"name": "a", "value": "b"}]}}, 1),
        ({"kind": "recipeResult"}, 0),
    ],
)
def test_constraints_from_documents(doc: dict, count: int) -> None:
    assert len(constraints_from_document(doc)) == count


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([1], "expected a recipe document"),
        ({"kind": "Snapshot"}, 'invalid kind "Snapshot", expected "recipeResult"'),
        ({"constraints": {"a": 1}}, "expected a list of {name, value}"),
        ({"constraints": [{"name": "a"}]}, "value must be a string"),
    ],
)
def test_bad_recipe_documents(doc: object, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        constraints_from_document(doc, source="r.yaml")
