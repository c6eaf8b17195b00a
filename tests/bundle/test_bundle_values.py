"""The values pipeline: base file, variant file, recipe overrides, --set, placement."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.generate import forget_reused
from cns_core.bundle.plan import plan_bundle
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult, load_store, reset_store_cache
from cns_core.serialize import load_yaml


def _component_values(store, recipe, name, **options):
    planned = plan_bundle(recipe, store, BundleOptions.parse(**options)).components
    return next(c.values for c in planned if c.name == name)


def test_layers_merge_in_order(store, gb200):
    ref = gb200.component("gpu-operator")
    base = load_yaml(store.file("components/gpu-operator/values.yaml"))
    variant = load_yaml(store.file(ref.values_file))
    values = _component_values(store, gb200, "gpu-operator")
    assert ref.values_file != "components/gpu-operator/values.yaml"
    # base keys survive, the variant adds its own, the recipe overrides win over both
    assert values["operator"] == base["operator"]
    assert values["hostPaths"] == variant["hostPaths"]
    assert values["driver"]["version"] == ref.overrides["driver"]["version"]
    assert values["driver"]["kernelModuleType"] == base["driver"]["kernelModuleType"] == "open"


def test_store_and_recipe_are_never_mutated(store, gb200):
    files_before = dict(store.files)
    recipe_before = copy.deepcopy(gb200.to_dict())
    for _ in range(2):
        generate_bundle(
            gb200,
            store,
            BundleOptions.parse(
                sets=["gpu-operator:driver.version=1", "gpu-operator:operator.resources=x"],
                system_node_selector=["role=system"],
                accelerated_node_toleration=["nvidia.com/gpu:NoSchedule"],
            ),
        )
    assert dict(store.files) == files_before
    assert gb200.to_dict() == recipe_before
    values = _component_values(store, gb200, "gpu-operator")
    assert values["driver"]["version"] == "580.82.07"
    assert "nodeSelector" not in values["operator"]


def test_component_without_values_file_gets_its_base_values(store, gb200):
    doc = gb200.to_dict()
    for ref in doc["componentRefs"]:
        ref.pop("valuesFile", None)
    values = _component_values(store, RecipeResult.from_dict(doc), "cert-manager")
    assert values == load_yaml(store.file("components/cert-manager/values.yaml"))


def test_missing_values_file_is_an_error_naming_it(store, gb200):
    doc = gb200.to_dict()
    doc["componentRefs"][0]["valuesFile"] = "components/cert-manager/values-nope.yaml"
    with pytest.raises(InvalidRequestError, match="values-nope.yaml"):
        generate_bundle(RecipeResult.from_dict(doc), store, BundleOptions())


def _external(tmp_path: Path, values_text: str):
    data = tmp_path / "data"
    (data / "components" / "cert-manager").mkdir(parents=True)
    (data / "registry.yaml").write_text("kind: ComponentRegistry\ncomponents: []\n")
    (data / "components" / "cert-manager" / "values.yaml").write_text(values_text)
    reset_store_cache()
    return load_store(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\n", "invalid YAML in components/cert-manager/values.yaml"),
        ("- just\n- a list\n", "invalid values file components/cert-manager/values.yaml"),
        ("a: &x 1\nb: *x\n", "aliases are not allowed"),
    ],
)
def test_broken_values_file_is_an_error_naming_the_file(tmp_path, gb200, text, message):
    store = _external(tmp_path, text)
    with pytest.raises(InvalidRequestError, match=message):
        generate_bundle(gb200, store, BundleOptions())


def test_empty_values_file_is_empty_values(tmp_path, gb200):
    store = _external(tmp_path, "# nothing here\n")
    values = _component_values(store, gb200, "cert-manager")
    assert values == {}


def test_values_yaml_enabled_comes_first_and_keys_are_sorted(store, gb200):
    bundle = generate_bundle(gb200, store, BundleOptions())
    values = yaml.safe_load(bundle.files["values.yaml"])
    assert list(values) == list(gb200.deployment_order)
    for name, block in values.items():
        keys = list(block)
        if store.registry.get(name).manifests_only and "enabled" not in keys:
            # no chart and no template in the umbrella chart: nothing reads `enabled`
            assert not any(p.startswith(f"templates/{name}/") for p in bundle.files), name
        else:
            assert keys[0] == "enabled", name
            keys = keys[1:]
        assert keys == sorted(keys), name


# ---- planned values, shared between bundles ----------------------------------------------


def _planned(store, recipe, **options):
    return {
        c.name: c.planned
        for c in plan_bundle(recipe, store, BundleOptions.parse(**options)).components
    }


@pytest.mark.parametrize("deployer", ["helm", "argocd", "flux"])
def test_bundles_sharing_planned_values_have_the_bytes_of_bundles_built_alone(
    store, gb200, deployer
):
    """Bundles that differ in one component's --set share every other component's values
    and texts, and each has the bytes it has when built first (every memo empty)."""
    options = [
        BundleOptions.parse(deployer=deployer, sets=[f"gpu-operator:bench.id={i}"])
        for i in range(3)
    ] + [
        BundleOptions.parse(deployer=deployer, accelerated_node_toleration=["a:NoSchedule"]),
        BundleOptions.parse(deployer=deployer, bundlers=["gpu-operator,cert-manager"]),
        BundleOptions.parse(deployer=deployer, system_node_selector=["role=system"]),
    ]
    alone = []
    for option in options:
        forget_reused()
        alone.append(generate_bundle(gb200, store, option).files)
    forget_reused()
    together = [generate_bundle(gb200, store, option).files for option in options * 2]
    assert together == alone * 2


def test_only_the_components_a_set_touches_are_planned_again(store, gb200):
    first = _planned(store, gb200, sets=["gpu-operator:bench.id=1"])
    second = _planned(store, gb200, sets=["gpu-operator:bench.id=2"])
    assert first["gpu-operator"] is not second["gpu-operator"]
    assert second["gpu-operator"].values["bench"] == {"id": 2}
    assert [n for n in first if n != "gpu-operator" and first[n] is not second[n]] == []
    # plans are told apart by repr: 1 and true (equal in Python) are two plans
    typed = [_planned(store, gb200, sets=[f"gpu-operator:bench.id={v}"]) for v in ("1", "true")]
    assert [p["gpu-operator"].values["bench"]["id"] for p in typed] == [1, True]
    assert [type(p["gpu-operator"].values["bench"]["id"]) for p in typed] == [int, bool]
    # a placement is part of every component's plan
    placed = _planned(store, gb200, accelerated_node_toleration=["a:NoSchedule"])
    again = _planned(store, gb200, accelerated_node_toleration=["a:NoSchedule"])
    plain = _planned(store, gb200)
    assert all(placed[n] is again[n] for n in placed)
    assert placed["gpu-operator"] is not plain["gpu-operator"]
    assert placed["gpu-operator"].values != plain["gpu-operator"].values


def test_planned_values_are_per_store(gb200):
    """A store loaded again (another data directory, a reload) plans its own values."""
    reset_store_cache()
    one = load_store()
    reset_store_cache()
    other = load_store()
    assert one is not other
    assert _planned(one, gb200)["gpu-operator"] is not _planned(other, gb200)["gpu-operator"]
    assert _planned(one, gb200)["gpu-operator"] is _planned(one, gb200)["gpu-operator"]
    reset_store_cache()


def test_writing_bundles_leaves_the_shared_values_unchanged(store, gb200):
    planned = _planned(store, gb200)
    before = {n: copy.deepcopy((p.values, p.sorted)) for n, p in planned.items()}
    for deployer in ("helm", "argocd", "flux"):
        generate_bundle(gb200, store, BundleOptions.parse(deployer=deployer))
    assert {n: (p.values, p.sorted) for n, p in _planned(store, gb200).items()} == before
    assert all(_planned(store, gb200)[n] is p for n, p in planned.items())


def test_recipes_are_told_apart_by_content_and_big_ones_are_not_kept(store, gb200):
    """recipe.yaml is remembered by the recipe's digest: an equal recipe (another object,
    as a body parsed again is) shares it, a recipe with a big override is not kept."""
    from cns_core.bundle import generate

    forget_reused()
    first = generate_bundle(gb200, store, BundleOptions()).files["recipe.yaml"]
    copy_of = gb200._replace()  # another object, the same content
    assert copy_of is not gb200
    assert generate_bundle(copy_of, store, BundleOptions()).files["recipe.yaml"] is first
    doc = gb200.to_dict()
    doc["componentRefs"][0]["overrides"] = {"pad": "x" * 400_000}
    big = RecipeResult.from_dict(doc)
    held = generate._RECIPE_FILES.weight
    assert len(generate_bundle(big, store, BundleOptions()).files["recipe.yaml"]) > 400_000
    assert generate._RECIPE_FILES.weight == held  # returned, not kept
