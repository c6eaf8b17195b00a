"""Argo CD output: Applications (schema-level), app of apps, repo URL, waves, OCI charts."""

from __future__ import annotations

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.options import REPO_PLACEHOLDER
from cns_core.errors import InvalidRequestError

REPO = "https://github.com/example/gitops.git"


def _argocd(store, recipe, **options):
    return generate_bundle(recipe, store, BundleOptions.parse(deployer="argocd", **options))


def _check_application(app: dict) -> None:
    """The fields Argo CD requires of an Application, with their types."""
    assert app["apiVersion"] == "argoproj.io/v1alpha1"
    assert app["kind"] == "Application"
    assert isinstance(app["metadata"]["name"], str)
    assert app["metadata"]["namespace"] == "argocd"
    spec = app["spec"]
    assert spec["project"] == "default"
    assert ("source" in spec) != ("sources" in spec)
    for source in spec.get("sources", [spec.get("source")]):
        assert isinstance(source["repoURL"], str) and source["repoURL"]
        assert isinstance(source["targetRevision"], str)
        assert not source["repoURL"].startswith("oci://")
    assert spec["destination"]["server"] == "https://kubernetes.default.svc"
    assert isinstance(spec["destination"]["namespace"], str)


def test_every_application_is_well_formed(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    apps = {p: yaml.safe_load(d) for p, d in bundle.files.items() if p.endswith("application.yaml")}
    assert len(apps) == len(gb200.deployment_order)
    for app in apps.values():
        _check_application(app)
    _check_application(yaml.safe_load(bundle.files["app-of-apps.yaml"]))


def test_chart_source_uses_real_chart_name_and_published_version(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    for wave, name in enumerate(gb200.deployment_order):
        app = yaml.safe_load(bundle.files[f"{name}/application.yaml"])
        chart_source, values_source = app["spec"]["sources"]
        ref = gb200.component(name)
        entry = store.registry.get(name)
        assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(wave)
        assert chart_source["chart"] == entry.chart_name
        assert chart_source["targetRevision"] == ref.version
        assert chart_source["helm"]["valueFiles"] == [f"$values/{name}/values.yaml"]
        assert values_source == {"repoURL": REPO, "targetRevision": "HEAD", "ref": "values"}
        assert app["spec"]["destination"]["namespace"] == entry.namespace
        assert "SkipDryRunOnMissingResource=true" in app["spec"]["syncPolicy"]["syncOptions"]
        values = yaml.safe_load(bundle.files[f"{name}/values.yaml"]) or {}
        assert "enabled" not in values
    prometheus = yaml.safe_load(bundle.files["prometheus/application.yaml"])
    assert prometheus["spec"]["sources"][0]["chart"] == "kube-prometheus-stack"
    cert = yaml.safe_load(bundle.files["cert-manager/application.yaml"])
    assert cert["spec"]["sources"][0]["targetRevision"] == "v1.17.2"
    dra = yaml.safe_load(bundle.files["nvidia-dra-driver-gpu/application.yaml"])
    assert dra["spec"]["sources"][0]["targetRevision"] == "25.8.1"


def test_oci_chart_and_its_repository_secret(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    app = yaml.safe_load(bundle.files["nvsentinel/application.yaml"])
    assert app["spec"]["sources"][0]["repoURL"] == "ghcr.io/nvidia"
    assert app["spec"]["sources"][0]["chart"] == "nvsentinel"
    (secret,) = list(yaml.safe_load_all(bundle.files["repositories.yaml"]))
    assert secret["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    assert secret["stringData"] == {
        "name": "ghcr.io/nvidia",
        "type": "helm",
        "url": "ghcr.io/nvidia",
        "enableOCI": "true",
    }
    parent = yaml.safe_load(bundle.files["app-of-apps.yaml"])
    include = parent["spec"]["source"]["directory"]["include"]
    assert include == "{*/application.yaml,repositories.yaml}"


def test_without_oci_no_repositories_file(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO, bundlers=["gpu-operator"])
    assert "repositories.yaml" not in bundle.files
    parent = yaml.safe_load(bundle.files["app-of-apps.yaml"])
    assert parent["spec"]["source"]["directory"]["include"] == "*/application.yaml"


def test_repo_given_is_used_everywhere_without_warning(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    assert not any("--repo" in note for note in bundle.notes)
    assert all(REPO_PLACEHOLDER.encode() not in data for data in bundle.files.values())
    parent = yaml.safe_load(bundle.files["app-of-apps.yaml"])
    assert parent["spec"]["source"]["repoURL"] == REPO


def test_no_repo_means_placeholder_and_a_warning(store, gb200):
    bundle = _argocd(store, gb200)
    assert [n for n in bundle.notes if "--repo" in n] == [
        f"no --repo given: the Applications point at {REPO_PLACEHOLDER}; rerun with --repo URL "
        "(or edit app-of-apps.yaml and */application.yaml) before applying"
    ]
    parent = yaml.safe_load(bundle.files["app-of-apps.yaml"])
    assert parent["spec"]["source"]["repoURL"] == REPO_PLACEHOLDER
    assert b"No GitOps repository was given" in bundle.files["README.md"]


def test_argocd_bundle_has_recipe_and_no_chart_files(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    assert "recipe.yaml" in bundle.files
    assert "Chart.yaml" not in bundle.files
    assert not any(p.startswith("templates/") for p in bundle.files)


@pytest.mark.parametrize(
    "repo", ["ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git", REPO]
)
def test_repo_url_forms_accepted(repo):
    assert BundleOptions.parse(repo=repo).repo == repo


@pytest.mark.parametrize("repo", ["not a url", "ftp://x/y", "https://", "{{ .RepoURL }}"])
def test_bad_repo_url_is_an_error(repo):
    with pytest.raises(InvalidRequestError, match="invalid repo"):
        BundleOptions.parse(repo=repo)


@pytest.mark.parametrize("deployer", ["HELM", " argocd "])
def test_deployer_case_and_space_insensitive(deployer):
    assert BundleOptions.parse(deployer=deployer).deployer.value == deployer.strip().lower()


def test_bad_deployer_lists_valid_ones():
    with pytest.raises(InvalidRequestError, match="valid deployers are helm, argocd"):
        BundleOptions.parse(deployer="flux")


def test_manifests_not_deployed_by_argocd_are_reported(store, gb200):
    notes = _argocd(store, gb200, repo=REPO).notes
    assert any("gpu-operator, skyhook-operator" in n for n in notes)
    quiet = _argocd(store, gb200, repo=REPO, bundlers=["cert-manager"]).notes
    assert quiet == ()
