"""diff_recipes: what differs between two recipes, typed, for the UI and a later ``cns diff``."""

from __future__ import annotations

import functools
import json

from cns_core.bundle.values import resolved_values
from cns_core.criteria import Criteria
from cns_core.recipes import ComponentRef, RecipeResult, build_recipe
from cns_core.recipes.diff import MISSING, DiffKind, ValueChange, diff_recipes, value_changes

H100 = Criteria(service="eks", accelerator="h100", intent="inference", os="ubuntu")
GB200 = Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu")


def test_a_recipe_equals_itself(store):
    recipe = build_recipe(H100, store)
    diff = diff_recipes(recipe, recipe)
    assert diff.identical
    assert {c.kind for c in diff.components} == {DiffKind.UNCHANGED}
    # H100 EKS Ubuntu inference: the base five, prometheus-adapter, network-operator, the
    # EBS CSI driver, EFA and NVIDIA's tuning (skyhook-customizations)
    assert diff.summary() == {"added": 0, "removed": 0, "changed": 0, "unchanged": 10}
    assert diff.to_dict()["constraints"] == []


def test_h100_inference_against_gb200_training(store):
    a, b = build_recipe(H100, store), build_recipe(GB200, store)
    diff = diff_recipes(a, b)
    assert not diff.identical
    kinds = {c.name: c.kind for c in diff.components}
    assert kinds["nvidia-dra-driver-gpu"] is DiffKind.ADDED
    assert kinds["network-operator"] is DiffKind.REMOVED
    assert kinds["prometheus-adapter"] is DiffKind.REMOVED
    assert kinds["cert-manager"] is DiffKind.UNCHANGED
    gpu = next(c for c in diff.components if c.name == "gpu-operator")
    assert gpu.kind is DiffKind.CHANGED
    version = gpu.field("version")
    assert version is not None and (version.before, version.after) == ("v25.10.1", "v25.3.3")
    values = {v.path: v for v in gpu.values}
    assert values["driver.version"].after == "580.82.07"
    assert values["cdi.enabled"] == ValueChange("cdi.enabled", MISSING, True)
    assert values["cdi.enabled"].kind is DiffKind.ADDED
    # the tuning: NVIDIA's packages (H100 EKS) against the Ubuntu profile (GB200)
    tuning = next(c for c in diff.components if c.name == "skyhook-customizations")
    assert tuning.kind is DiffKind.CHANGED
    assert {v.path: (v.before, v.after) for v in tuning.values}["profile"] == ("nvidia", "ubuntu")
    # both carry aicr's EKS floor and the Ubuntu 24.04 constraints now
    constraints = {c.name: c for c in diff.constraints}
    assert constraints["K8s.server.version"].kind is DiffKind.UNCHANGED
    assert {c.kind for c in diff.constraints} == {DiffKind.UNCHANGED}
    assert diff.overlays_added == (
        "eks-training",
        "gb200-eks-training",
        "gb200-eks-ubuntu-training",
    )
    assert "h100-inference" in diff.overlays_removed
    assert diff.order_changed
    doc = json.loads(json.dumps(diff.to_dict()))  # JSON-ready, MISSING sides left out
    dra = next(c for c in doc["components"] if c["name"] == "nvidia-dra-driver-gpu")
    assert dra == {"name": "nvidia-dra-driver-gpu", "kind": "added", "afterVersion": "25.8.1"}
    cdi = next(
        v for c in doc["components"] for v in c.get("values", []) if v["path"] == "cdi.enabled"
    )
    assert cdi == {"path": "cdi.enabled", "kind": "added", "after": True}


def test_resolved_values_can_be_compared_instead_of_overrides(store):
    a, b = build_recipe(H100, store), build_recipe(GB200, store)
    overrides_only = diff_recipes(a, b)
    resolved = diff_recipes(a, b, values=functools.partial(resolved_values, store))
    gpu = {v.path for v in {c.name: c for c in resolved.components}["gpu-operator"].values}
    plain = {v.path for v in {c.name: c for c in overrides_only.components}["gpu-operator"].values}
    # the values files differ too; an override that only restates the values file is no change
    assert "hostPaths.driverInstallDir" in gpu - plain
    assert "gdrcopy.enabled" in plain - gpu
    assert "driver.version" in gpu & plain


def test_value_changes_leaf_by_leaf():
    before = {"a": {"b": 1, "c": [1, 2]}, "gone": {"x": 1}, "flip": {"k": 1}, "dot.key": 1}
    after = {"a": {"b": 2, "c": [1, 2], "d": None}, "new": {}, "flip": 3, "dot.key": 2}
    changes = list(value_changes(before, after))
    assert changes == [
        ValueChange("a.b", 1, 2),
        ValueChange("a.d", MISSING, None),
        ValueChange("dot\\.key", 1, 2),
        ValueChange("flip", {"k": 1}, 3),
        ValueChange("gone.x", 1, MISSING),
        ValueChange("new", MISSING, {}),
    ]
    assert [c.kind for c in changes] == [
        DiffKind.CHANGED,
        DiffKind.ADDED,
        DiffKind.CHANGED,
        DiffKind.CHANGED,
        DiffKind.REMOVED,
        DiffKind.ADDED,
    ]


def test_fields_compared_and_constraints_added_or_removed():
    def recipe(ref: ComponentRef, constraints: tuple = ()) -> RecipeResult:
        return RecipeResult(Criteria(), (ref,), (ref.name,), constraints=constraints)

    from cns_core.recipes import Constraint

    a = recipe(ComponentRef("x", source="https://a", dependency_refs=()), (Constraint("K", "1"),))
    b = recipe(ComponentRef("x", source="https://b", manifest_files=("m.yaml",)), ())
    diff = diff_recipes(a, b)
    (component,) = diff.components
    assert [(f.field, f.before, f.after) for f in component.fields] == [
        ("source", "https://a", "https://b"),
        ("manifestFiles", [], ["m.yaml"]),
    ]
    (constraint,) = diff.constraints
    assert constraint.kind is DiffKind.REMOVED and constraint.after is MISSING
    assert diff.constraints_of("removed") == (constraint,)
