"""Upstream recipe files keep working: their data-file names resolve, they bundle unchanged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.nested_maps import deep_merge
from cns_core.recipes import RecipeResult
from cns_core.serialize import load_yaml
from cns_web import create_app

UPSTREAM_GKE_COS = Path(__file__).parent / "data" / "upstream-gke-cos-recipe.yaml"

#: Every values and manifest file name upstream's recipes reference
#: (upstream-behavior.md §1-2, recipe-catalog.md §2-3).
UPSTREAM_FILES = [
    "components/cert-manager/values.yaml",
    "components/gpu-operator/values.yaml",
    "components/gpu-operator/values-eks-training.yaml",
    "components/gpu-operator/values-gke-cos.yaml",
    "components/gpu-operator/manifests/dcgm-exporter.yaml",
    "components/gpu-operator/manifests/kernel-module-params.yaml",
    "components/network-operator/values.yaml",
    "components/nvidia-dra-driver-gpu/values.yaml",
    "components/nvsentinel/values.yaml",
    "components/prometheus/values.yaml",
    "components/prometheus-adapter/values.yaml",
    "components/skyhook-operator/values.yaml",
    # kept for upstream recipes (cns's own use skyhook-customizations; see the test below)
    "components/skyhook-operator/manifests/customization-ubuntu.yaml",
]


@pytest.mark.parametrize("path", UPSTREAM_FILES)
def test_every_upstream_file_name_resolves(store, path):
    assert store.file(path), path


def test_gke_cos_values_keep_every_gke_setting(store):
    """values-gke-cos.yaml repeats values-gke.yaml (one valuesFile per recipe): no drift."""
    gke = load_yaml(store.file("components/gpu-operator/values-gke.yaml"))
    cos = load_yaml(store.file("components/gpu-operator/values-gke-cos.yaml"))
    assert deep_merge(cos, gke) == cos
    assert set(cos) - set(gke) == {"devicePlugin"}


def _upstream_recipe() -> RecipeResult:
    return RecipeResult.from_dict(yaml.safe_load(UPSTREAM_GKE_COS.read_text()))


def test_upstream_gke_cos_recipe_bundles_with_the_cos_values(store):
    bundle = generate_bundle(_upstream_recipe(), store, BundleOptions())
    gpu = yaml.safe_load(bundle.files["values.yaml"])["gpu-operator"]
    assert gpu["driver"]["enabled"] is False
    assert gpu["hostPaths"]["driverInstallDir"] == "/home/kubernetes/bin/nvidia"
    assert {"name": "DEVICE_LIST_STRATEGY", "value": "cdi-cri,cdi-annotations,volume-mounts"} in (
        gpu["devicePlugin"]["env"]
    )
    chart = yaml.safe_load(bundle.files["Chart.yaml"])
    assert [d.get("alias", d["name"]) for d in chart["dependencies"]][:2] == [
        "cert-manager",
        "gpu-operator",
    ]


def test_upstream_gke_cos_recipe_bundles_with_the_cli(runner, tmp_path):
    out = tmp_path / "bundle"
    result = runner.invoke(["bundle", "-r", str(UPSTREAM_GKE_COS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "components" / "gpu-operator" / "values.yaml").is_file()


def test_upstream_gke_cos_recipe_bundles_with_the_api(store):
    client = create_app({"CNS_RATE_LIMIT_ENABLED": "false"}).test_client()
    resp = client.post(
        "/v1/bundle?deployer=argocd&repo=https://github.com/acme/gitops.git",
        data=UPSTREAM_GKE_COS.read_bytes(),
        content_type="application/yaml",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        values = yaml.safe_load(archive.read("gpu-operator/values.yaml"))
    assert values["driver"]["enabled"] is False


def test_upstream_ubuntu_customization_tunes_exactly_like_skyhook_customizations(
    helm, tmp_path, store
):
    """skyhook-operator's customization-ubuntu.yaml is kept for upstream recipes; cns's
    recipes use skyhook-customizations' profile ubuntu. Both Skyhooks tune the same."""
    from tests.support.helm import helm_template

    def render(template: str, values: dict) -> dict:
        chart = tmp_path / template.replace("/", "_")
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 1.0.0\n")
        (chart / "templates" / "t.yaml").write_text(store.file(template))
        (chart / "values.yaml").write_text(yaml.safe_dump(values))
        (doc,) = helm_template(helm, "t", chart, "skyhook")
        return doc

    upstream = render(
        "components/skyhook-operator/manifests/customization-ubuntu.yaml",
        {"skyhook-operator": {"customization": "ubuntu"}},
    )
    ours = render(
        "components/skyhook-customizations/manifests/tuning.yaml",
        {
            "skyhook-customizations": load_yaml(
                store.file("components/skyhook-customizations/values.yaml")
            )
            | {"profile": "ubuntu"}
        },
    )
    assert upstream["kind"] == ours["kind"] == "Skyhook"
    assert upstream["spec"] == ours["spec"]
