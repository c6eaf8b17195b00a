"""Components named by a registry alias bundle as the registry's component: aicr calls
`prometheus` kube-prometheus-stack, in componentRefs, dependencyRefs and deploymentOrder,
and its data paths; --set and bundlers take the alias too."""

from __future__ import annotations

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult
from cns_core.recipes.aliases import canonical_name, canonical_recipe


def _aicr_style(recipe: RecipeResult) -> RecipeResult:
    """The recipe as aicr would spell it: kube-prometheus-stack everywhere."""
    doc = recipe.to_dict()
    for ref in doc["componentRefs"]:
        if ref["name"] == "prometheus":
            ref["name"] = "kube-prometheus-stack"
            ref["valuesFile"] = "components/kube-prometheus-stack/values.yaml"
        ref["dependencyRefs"] = [
            "kube-prometheus-stack" if d == "prometheus" else d
            for d in ref.get("dependencyRefs", [])
        ]
    doc["deploymentOrder"] = [
        "kube-prometheus-stack" if n == "prometheus" else n for n in doc["deploymentOrder"]
    ]
    return RecipeResult.from_dict(doc)


def test_alias_names_resolve_to_the_component(store):
    assert canonical_name("kube-prometheus-stack", store.registry) == "prometheus"
    assert canonical_name("kubeprometheusstack", store.registry) == "prometheus"
    assert canonical_name("prometheus", store.registry) == "prometheus"
    assert canonical_name("something-else", store.registry) == "something-else"


def test_an_aicr_style_recipe_bundles_like_ours(store, gb200):
    aicr = _aicr_style(gb200)
    assert "kube-prometheus-stack" in aicr.deployment_order
    assert canonical_recipe(aicr, store.registry, store.files) == gb200
    ours = generate_bundle(gb200, store, BundleOptions())
    theirs = generate_bundle(aicr, store, BundleOptions())
    assert theirs.files == ours.files  # recipe.yaml included: it carries our names


def test_alias_in_set_and_bundlers(store, gb200):
    bundle = generate_bundle(
        gb200,
        store,
        BundleOptions.parse(
            bundlers=["kube-prometheus-stack", "cert-manager"],
            sets=["kube-prometheus-stack:grafana.enabled=false"],
        ),
    )
    values = yaml.safe_load(bundle.files["values.yaml"])
    assert set(values) == {"prometheus", "cert-manager"}
    assert values["prometheus"]["grafana"]["enabled"] is False


def test_a_component_named_twice_is_an_error(store, gb200):
    doc = gb200.to_dict()
    twin = dict(next(r for r in doc["componentRefs"] if r["name"] == "prometheus"))
    twin["name"] = "kube-prometheus-stack"
    doc["componentRefs"].append(twin)
    with pytest.raises(InvalidRequestError, match="'prometheus' twice"):
        generate_bundle(RecipeResult.from_dict(doc), store, BundleOptions())


def test_manifests_only_component_needs_its_manifests(store, gb200):
    doc = gb200.to_dict()
    ref = next(r for r in doc["componentRefs"] if r["name"] == "skyhook-customizations")
    del ref["manifestFiles"]
    with pytest.raises(InvalidRequestError, match="recipe manifests only"):
        generate_bundle(RecipeResult.from_dict(doc), store, BundleOptions())


def test_an_aicr_style_manifests_only_ref_with_type_helm_bundles(store, gb200):
    """aicr writes `type: Helm` and no source for its manifest-only components."""
    doc = gb200.to_dict()
    ref = next(r for r in doc["componentRefs"] if r["name"] == "skyhook-customizations")
    ref["type"] = "Helm"
    bundle = generate_bundle(RecipeResult.from_dict(doc), store, BundleOptions())
    assert "components/skyhook-customizations/manifests/templates/tuning.yaml" in bundle.files


def test_a_prerequisite_is_a_bundle_warning(store):
    from cns_core.criteria import Criteria
    from cns_core.recipes import build_recipe

    recipe = build_recipe(Criteria.parse({"platform": "dynamo"}), store, version="test")
    for deployer in ("helm", "argocd"):
        bundle = generate_bundle(
            recipe, store, BundleOptions.parse(deployer=deployer, repo="https://x.example/r.git")
        )
        (note,) = [w for w in bundle.warnings if w.startswith("kgateway-crds: ")]
        assert "gateway-api/releases/download/v1.2.1/standard-install.yaml" in note
        assert note in bundle.files["warnings.txt"].decode()
        assert note in bundle.files["README.md"].decode()
