"""The Helm umbrella chart: Chart.yaml facts, and real `helm lint` / `helm template`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from cns_core.bundle.describe import chart_version
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult
from tests.support.chart_bundles import bundle_options, check_rendered_objects, is_stub, recipe_for
from tests.support.chart_bundles import cases as leaf_cases
from tests.support.chart_reference import require_charts
from tests.support.helm import add_stub_subcharts, helm_template, run_helm


def _chart(bundle):
    return yaml.safe_load(bundle.files["Chart.yaml"])


def test_chart_yaml_dependencies_in_order_with_real_chart_names(store, gb200):
    chart = _chart(generate_bundle(gb200, store, BundleOptions()))
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "cns-eks-gb200"
    assert chart["appVersion"] == "test"
    deps = chart["dependencies"]
    # every component with a chart, in deployment order (skyhook-customizations is
    # recipe manifests only: no dependency)
    with_chart = [n for n in gb200.deployment_order if not store.registry.get(n).manifests_only]
    assert "skyhook-customizations" in gb200.deployment_order
    assert [d.get("alias", d["name"]) for d in deps] == with_chart
    by_alias = {d.get("alias", d["name"]): d for d in deps}
    assert by_alias["prometheus"]["name"] == "kube-prometheus-stack"
    assert "alias" not in by_alias["gpu-operator"]
    for name, dep in by_alias.items():
        ref = gb200.component(name)
        assert dep["version"] == ref.version
        assert dep["repository"] == ref.source
        assert dep["condition"] == f"{name}.enabled"
    assert by_alias["nvsentinel"]["repository"] == "oci://ghcr.io/nvidia"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", "0.1.0"),
        ("v1.2.3", "1.2.3"),
        ("1.2.3-rc.1", "1.2.3-rc.1"),
        ("0.2.0.dev1", "0.2.0"),
        ("dev", "0.0.0"),
        ("2", "2.0.0"),
    ],
)
def test_chart_version_is_always_semver(version, expected):
    assert chart_version(version) == expected


def test_generic_recipe_chart_name(store, gb200):
    doc = gb200.to_dict()
    doc["criteria"] = {}
    chart = _chart(generate_bundle(RecipeResult.from_dict(doc), store, BundleOptions()))
    assert chart["name"] == "cns-stack"


def test_bundlers_selects_components(store, gb200):
    bundle = generate_bundle(
        gb200, store, BundleOptions.parse(bundlers=["gpuoperator,kube-prometheus-stack"])
    )
    chart = _chart(bundle)
    assert [d.get("alias", d["name"]) for d in chart["dependencies"]] == [
        "prometheus",
        "gpu-operator",
    ]
    assert list(yaml.safe_load(bundle.files["values.yaml"])) == ["prometheus", "gpu-operator"]
    assert not any(p.startswith("templates/skyhook-operator/") for p in bundle.files)


def test_unknown_bundler_is_an_error(store, gb200):
    with pytest.raises(InvalidRequestError, match="unknown bundler 'gpu'"):
        generate_bundle(gb200, store, BundleOptions.parse(bundlers=["gpu-operator", "gpu"]))


def _rendered(helm: str, chart_dir: Path, *extra: str) -> list[dict]:
    return helm_template(helm, "cns-stack", chart_dir, "cns-stack", *extra)


@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_helm_lint_and_template_deliver_every_components_values(
    request, helm, tmp_path, store, case
):
    recipe = request.getfixturevalue(case)
    bundle = generate_bundle(
        recipe,
        store,
        BundleOptions.parse(
            sets=["gpu-operator:driver.version=580.105.08"],
            accelerated_node_toleration=["nvidia.com/gpu:NoSchedule"],
        ),
    )
    chart_dir = tmp_path / "chart"
    write_tree(bundle.files, chart_dir)
    add_stub_subcharts(chart_dir)

    lint = run_helm(helm, "lint", str(chart_dir), "--strict")
    assert lint.returncode == 0, lint.stdout + lint.stderr

    docs = _rendered(helm, chart_dir)
    received = {
        d["metadata"]["name"].removeprefix("received-"): yaml.safe_load(d["data"]["values.yaml"])
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("received-")
    }
    umbrella_values = yaml.safe_load(bundle.files["values.yaml"])
    assert set(received) == {
        n for n in recipe.deployment_order if not store.registry.get(n).manifests_only
    }
    for name, values in received.items():
        sent = umbrella_values[name]
        # every key the umbrella sends arrives in the subchart (helm adds `global`)
        assert {k: values[k] for k in sent} == sent, name
    assert received["gpu-operator"]["driver"]["version"] == "580.105.08"
    assert received["gpu-operator"]["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert "fullnameOverride" in received["prometheus"]


def test_helm_template_renders_manifests_and_enabled_false_drops_them(helm, tmp_path, store, gb200):
    bundle = generate_bundle(gb200, store, BundleOptions())
    chart_dir = tmp_path / "chart"
    write_tree(bundle.files, chart_dir)
    add_stub_subcharts(chart_dir)

    names = {(d["kind"], d["metadata"]["name"]) for d in _rendered(helm, chart_dir)}
    assert ("ConfigMap", "dcgm-exporter") in names
    assert ("ConfigMap", "kernel-module-params") in names
    # a custom resource whose CRD the skyhook chart templates is never in its release
    assert ("Skyhook", "tuning") not in names
    late = helm_template(
        helm,
        "skyhook-customizations-manifests",
        chart_dir / "components" / "skyhook-customizations" / "manifests",
        "skyhook",
        "-f",
        str(chart_dir / "components" / "skyhook-customizations" / "values.yaml"),
    )
    assert [(d["kind"], d["metadata"]["name"]) for d in late] == [("Skyhook", "tuning")]
    assert late[0]["metadata"]["labels"]["skyhook.nvidia.com/profile"] == "ubuntu"
    # nothing reads skyhook-customizations.enabled in the umbrella chart: not written
    assert "enabled" not in yaml.safe_load(bundle.files["values.yaml"])["skyhook-customizations"]

    off = _rendered(
        helm,
        chart_dir,
        "--set",
        "gpu-operator.enabled=false",
        "--set",
        "cert-manager.enabled=false",
    )
    names_off = {(d["kind"], d["metadata"]["name"]) for d in off}
    assert ("ConfigMap", "dcgm-exporter") not in names_off
    assert ("ConfigMap", "kernel-module-params") not in names_off
    assert ("ConfigMap", "received-gpu-operator") not in names_off
    assert ("ConfigMap", "received-cert-manager") not in names_off
    assert ("ConfigMap", "received-skyhook-operator") in names_off


# --- every leaf overlay's bundle renders valid objects (GitHub issue 10, item 6) ---


@pytest.mark.parametrize("case", leaf_cases())
def test_every_leaf_bundle_renders_valid_kubernetes_objects(helm, tmp_path, store, case):
    """helm template the umbrella chart (stub subcharts) and every other chart of the
    bundle (e.g. components/<c>/manifests/): every object our templates render is
    valid, built-in kinds strictly (kubernetes-validate), custom resources (Skyhook,
    NicClusterPolicy, ...) against the CRD of their pinned chart (shared reference data)."""
    require_charts()
    recipe = recipe_for(store, case)
    bundle = generate_bundle(recipe, store, bundle_options("helm", placed=True))
    rendered = check_rendered_objects(helm, store, recipe, bundle.files, tmp_path / "chart")
    assert [r for r in rendered if not is_stub(r)], f"{case}: our templates rendered nothing"
