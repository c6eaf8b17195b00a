"""Every Argo CD Application a bundle generates validates against the real Application
CRD of Argo CD v3.5.1 (argo-cd-v3.5.1/crds/application-crd.yaml), unknown fields
included (GitHub issue 10, item 4). The other objects the app of apps applies (the
OCI repository Secrets) are validated too, as built-in kinds."""

from __future__ import annotations

import fnmatch

import pytest
import yaml

from tests.support.chart_bundles import cases, load_bundle

from ..support.k8s_schema import load_crd_schemas, validation_errors

ARGOCD_CRDS = "argo-cd-v3.5.1/crds/application-crd.yaml"


@pytest.mark.parametrize("placed", [False, True], ids=["default", "placed"])
@pytest.mark.parametrize("case", cases())
def test_every_application_validates_against_the_real_crd(charts, store, case, placed):
    files = load_bundle(store, case, "argocd", placed)
    crds = load_crd_schemas([charts / ARGOCD_CRDS])
    parent = yaml.safe_load(files["app-of-apps.yaml"])
    include = parent["spec"]["source"]["directory"]["include"]
    patterns = include.strip("{}").split(",")
    applied = [p for p in files if any(fnmatch.fnmatchcase(p, pat) for pat in patterns)]
    assert any(p.endswith("/application.yaml") for p in applied), include
    objects = [parent] + [
        doc for path in sorted(applied) for doc in yaml.safe_load_all(files[path]) if doc
    ]
    assert all(
        o["kind"] != "Application" or o["apiVersion"] == "argoproj.io/v1alpha1" for o in objects
    )
    errors = validation_errors(objects, crds)
    assert not errors, f"{case}: invalid Argo CD objects:\n" + "\n".join(errors)
