"""Every object a Flux bundle generates validates against the real Flux CRDs
(flux/crds/: helm-controller v1.6.0, source-controller v1.9.0, kustomize-controller
v1.9.0), unknown fields included, for every leaf recipe with and without the placement
flags: the objects the root kustomization lists, the Flux Kustomization that applies
them, and the values ConfigMaps its configMapGenerator makes (as built-in kinds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.chart_bundles import cases, load_bundle

from ..support.k8s_schema import load_crd_schemas, validation_errors

FLUX_CRDS = "flux/crds"


def _crds(charts: Path):
    folder = charts / FLUX_CRDS
    if not folder.is_dir():
        pytest.skip(f"Flux CRDs not found at {folder}")
    return load_crd_schemas(sorted(folder.glob("*.yaml")))


@pytest.mark.parametrize("placed", [False, True], ids=["default", "placed"])
@pytest.mark.parametrize("case", cases())
def test_every_flux_object_validates_against_the_real_crds(charts, store, case, placed):
    crds = _crds(charts)
    files = load_bundle(store, case, "flux", placed)
    root = yaml.safe_load(files["kustomization.yaml"])
    objects = [d for path in root["resources"] for d in yaml.safe_load_all(files[path]) if d]
    objects.append(yaml.safe_load(files["flux-kustomization.yaml"]))
    for entry in root["configMapGenerator"]:  # as kustomize generates them (less the hash)
        data = {k: files[v].decode() for k, v in (f.split("=", 1) for f in entry["files"])}
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": entry["name"], "namespace": entry["namespace"]},
                "data": data,
            }
        )
    kinds = {o["kind"] for o in objects}
    assert {"HelmRelease", "HelmRepository", "GitRepository", "Kustomization"} <= kinds
    errors = validation_errors(objects, crds)
    assert not errors, f"{case}: invalid Flux objects:\n" + "\n".join(errors)
