"""``cns diff``: two recipes (resolved values included) or two snapshots; drift checks in CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cns_core.bundle.values import resolved_values
from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe
from cns_core.recipes.diff import MISSING, DiffKind, diff_recipes, value_changes
from cns_core.serialize import dump_yaml, load_yaml
from cns_core.snapshot import Snapshot
from cns_core.snapshot.diff import diff_snapshots
from tests.support.cli import CnsRunner
from tests.support.paths import EXAMPLE_SNAPSHOTS

H100_SNAP = EXAMPLE_SNAPSHOTS / "h100-eks-ubuntu.yaml"
GB200_SNAP = EXAMPLE_SNAPSHOTS / "gb200-eks-ubuntu.yaml"


@pytest.fixture
def recipes(runner: CnsRunner, tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert (
        runner.invoke(
            [
                "recipe",
                "--service",
                "eks",
                "--accelerator",
                "h100",
                "--intent",
                "inference",
                "--os",
                "ubuntu",
                "-o",
                str(a),
            ]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            [
                "recipe",
                "--service",
                "eks",
                "--accelerator",
                "gb200",
                "--intent",
                "training",
                "--os",
                "ubuntu",
                "-o",
                str(b),
            ]
        ).exit_code
        == 0
    )
    return str(a), str(b)


def test_identical_recipes(runner, recipes):
    a, _ = recipes
    result = runner.invoke(["diff", a, a, "--fail-on-diff"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("A and B are identical")
    doc = json.loads(runner.invoke(["diff", a, a, "-t", "json"]).stdout)
    assert doc["identical"] is True and doc["constraints"] == []
    assert {c["kind"] for c in doc["components"]} == {"unchanged"}


def test_recipe_diff_json_names_components_versions_values_constraints(runner, recipes):
    a, b = recipes
    result = runner.invoke(["diff", a, b, "--format", "json"])
    assert result.exit_code == 0  # differences alone are not a failure
    doc = json.loads(result.stdout)
    assert doc["kind"] == "RecipeDiff" and doc["identical"] is False
    assert doc["a"]["source"] == a and doc["b"]["criteria"]["accelerator"] == "gb200"
    assert "gb200-eks-training" in doc["overlays"]["added"]
    assert "h100-inference" in doc["overlays"]["removed"]
    components = {c["name"]: c for c in doc["components"]}
    assert components["nvidia-dra-driver-gpu"] == {
        "name": "nvidia-dra-driver-gpu",
        "kind": "added",
        "afterVersion": "25.8.1",
    }
    assert components["network-operator"]["kind"] == "removed"
    assert components["cert-manager"]["kind"] == "unchanged"
    gpu = components["gpu-operator"]
    assert {"field": "version", "before": "v25.10.1", "after": "v25.3.3"} in gpu["fields"]
    values = {v["path"]: v for v in gpu["values"]}
    # resolved values: the base values file's driver.version, overridden by the GB200 overlay
    assert values["driver.version"] == {
        "path": "driver.version",
        "kind": "changed",
        "before": "580.105.08",
        "after": "580.82.07",
    }
    assert values["cdi.enabled"] == {"path": "cdi.enabled", "kind": "added", "after": True}
    before, after = (load_yaml(Path(p).read_text()) for p in (a, b))
    expected = {c["name"]: c["value"] for c in before["constraints"]}
    changed = {c["name"]: c["value"] for c in after["constraints"]}
    assert [c["name"] for c in doc["constraints"]] == sorted(
        n for n in {*expected, *changed} if expected.get(n) != changed.get(n)
    )
    assert doc["deploymentOrder"] == {
        "changed": True,
        "before": before["deploymentOrder"],
        "after": after["deploymentOrder"],
    }


def test_constraint_changes(runner, tmp_path):
    generic, gb200 = tmp_path / "eks.yaml", tmp_path / "gb200.yaml"
    runner.invoke(["recipe", "--service", "eks", "-o", str(generic)])
    runner.invoke(
        [
            "recipe",
            "--service",
            "eks",
            "--accelerator",
            "gb200",
            "--intent",
            "training",
            "-o",
            str(gb200),
        ]
    )
    doc = json.loads(runner.invoke(["diff", str(generic), str(gb200), "-t", "json"]).stdout)
    constraints = {c["name"]: c for c in doc["constraints"]}
    version = constraints["K8s.server.version"]
    assert version["kind"] == "changed" and version["after"] == ">= 1.32.4"
    assert version["before"] == load_yaml(generic.read_text())["constraints"][0]["value"]


def test_recipe_diff_table_one_row_per_difference(runner, recipes):
    a, b = recipes
    out = runner.invoke(["diff", a, b]).stdout
    blocks = out.rstrip("\n").split("\n\n")
    assert blocks[0].splitlines()[0].startswith(f"A: {a} (service=eks accelerator=h100")
    header, *rows = blocks[1].splitlines()
    assert header.split() == ["CHANGE", "WHERE", "WHAT", "A", "B"]
    assert ["CHANGED", "gpu-operator", "values.driver.version", "580.105.08", "580.82.07"] in [
        r.split() for r in rows
    ]
    assert ["ADDED", "nvidia-dra-driver-gpu", "component", "-", "25.8.1"] in [
        r.split() for r in rows
    ]
    assert blocks[2].startswith(
        f"A and B differ: {len(rows)} difference(s); components: 1 added, 2 removed"
    )


def test_fail_on_diff_exits_1_after_the_report(runner, recipes, tmp_path):
    a, b = recipes
    out = tmp_path / "drift.json"
    result = runner.invoke(["diff", a, b, "--fail-on-diff", "-o", str(out)])
    assert result.exit_code == 1
    assert f"{a} and {b} differ" in result.stderr
    assert json.loads(out.read_text())["identical"] is False  # the report was written first


def test_stdin_is_one_side(runner, recipes):
    a, _ = recipes
    same = runner.invoke(
        [
            "recipe",
            "--service",
            "eks",
            "--accelerator",
            "h100",
            "--intent",
            "inference",
            "--os",
            "ubuntu",
        ]
    ).stdout
    assert runner.invoke(["diff", a, "-", "--fail-on-diff"], input=same).exit_code == 0
    assert runner.invoke(["diff", "-", "-"]).exit_code == 2


def test_a_value_changed_only_in_the_values_file_is_found(store):
    """Two recipes with equal overrides but different values files differ in resolved values."""
    recipe = build_recipe(Criteria(service="eks", intent="training"), store)
    other = recipe._replace(
        component_refs=tuple(
            ref._replace(values_file="components/gpu-operator/values.yaml")
            if ref.name == "gpu-operator"
            else ref
            for ref in recipe.component_refs
        )
    )
    plain = diff_recipes(recipe, other)  # overrides only
    resolved = diff_recipes(recipe, other, values=lambda ref: resolved_values(store, ref))
    gpu_plain = next(c for c in plain.components if c.name == "gpu-operator")
    gpu = next(c for c in resolved.components if c.name == "gpu-operator")
    assert gpu_plain.values == () and [f.field for f in gpu_plain.fields] == ["valuesFile"]
    assert gpu.values, "the values file's settings differ once resolved"
    assert resolved.summary() == {
        "added": 0,
        "removed": 0,
        "changed": 1,
        "unchanged": len(recipe.component_refs) - 1,
    }


def test_value_changes_are_leaf_by_leaf_and_typed():
    before = {"a": {"b": 1, "c": [1], "f": 1.0}, "x.y": "1"}
    after = {"a": {"b": True, "c": [1, 2], "f": 1}, "x.y": "1", "n": {}}
    assert [(c.path, c.kind, c.before, c.after) for c in value_changes(before, after)] == [
        ("a.b", DiffKind.CHANGED, 1, True),  # 1 and true differ to a chart
        ("a.c", DiffKind.CHANGED, [1], [1, 2]),  # a list is one leaf
        ("a.f", DiffKind.CHANGED, 1.0, 1),
        ("n", DiffKind.ADDED, MISSING, {}),
    ]


def test_snapshot_diff_lists_readings_not_metadata():
    a, b = (
        Snapshot.from_dict(load_yaml(H100_SNAP.read_text())),
        Snapshot.from_dict(load_yaml(GB200_SNAP.read_text())),
    )
    diff = diff_snapshots(a, b)
    found = {(r.type.value, r.subtype, r.key): r for r in diff.readings}
    assert found[("K8s", "image", "gpu-operator")].before == "v25.3.0"
    assert found[("K8s", "image", "nvidia-dra-driver-gpu")].kind is DiffKind.ADDED
    assert found[("K8s", "image", "dcgm-exporter")].kind is DiffKind.REMOVED
    retimed = Snapshot.from_dict(
        {
            **load_yaml(H100_SNAP.read_text()),
            "metadata": {"source-node": "x", "timestamp": "2030-01-01T00:00:00Z"},
        }
    )
    assert diff_snapshots(a, retimed).identical


def test_snapshot_diff_cli(runner, tmp_path):
    result = runner.invoke(["diff", str(H100_SNAP), str(GB200_SNAP), "-t", "yaml"])
    assert result.exit_code == 0, result.output
    doc = load_yaml(result.stdout)
    assert doc["kind"] == "SnapshotDiff"
    assert doc["a"]["sourceNode"] == "ip-10-0-158-18.ec2.internal"
    assert {
        "type": "K8s",
        "subtype": "image",
        "key": "gpu-operator",
        "kind": "changed",
        "before": "v25.3.0",
        "after": "v25.3.3",
    } in doc["readings"]
    table = runner.invoke(["diff", str(H100_SNAP), str(GB200_SNAP)]).stdout
    assert ["CHANGED", "K8s.image", "gpu-operator", "v25.3.0", "v25.3.3"] in [
        line.split() for line in table.splitlines()
    ]
    same = tmp_path / "same.yaml"
    same.write_text(dump_yaml(load_yaml(H100_SNAP.read_text())))
    assert runner.invoke(["diff", str(H100_SNAP), str(same), "--fail-on-diff"]).exit_code == 0


@pytest.mark.parametrize(
    ("which", "code", "message"),
    [
        ("mixed", 3, "is a recipe and B"),
        ("neither", 3, "is neither a recipe (kind: recipeResult) nor a snapshot"),
        ("missing", 4, "cannot load B: /nonexistent.yaml: no such file"),
    ],
)
def test_bad_pairs(runner, recipes, tmp_path, which, code, message):
    a, _ = recipes
    other = {"mixed": str(H100_SNAP), "missing": "/nonexistent.yaml"}.get(which)
    if other is None:
        other = str(tmp_path / "x.yaml")
        Path(other).write_text("kind: Something\n")
    result = runner.invoke(["diff", a, other])
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_a_recipe_in_aicr_names_is_identical_to_ours(runner, recipes, tmp_path):
    """kube-prometheus-stack is the registry's alias of prometheus: the same recipe."""
    a, _ = recipes
    doc = load_yaml(Path(a).read_text())
    for ref in doc["componentRefs"]:
        if ref["name"] == "prometheus":
            ref["name"] = "kube-prometheus-stack"
        ref["dependencyRefs"] = [
            "kube-prometheus-stack" if d == "prometheus" else d
            for d in ref.get("dependencyRefs", [])
        ]
    doc["deploymentOrder"] = [
        "kube-prometheus-stack" if n == "prometheus" else n for n in doc["deploymentOrder"]
    ]
    aicr = tmp_path / "aicr.yaml"
    aicr.write_text(dump_yaml(doc))
    result = runner.invoke(["diff", a, str(aicr), "--fail-on-diff"])
    assert result.exit_code == 0, result.output
