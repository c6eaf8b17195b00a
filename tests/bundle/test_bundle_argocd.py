"""Argo CD output: Applications (schema-level), app of apps, repo URL, waves, OCI charts,
and the recipe manifests' charts rendered by a real `helm template`."""

from __future__ import annotations

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from cns_core.bundle.options import REPO_PLACEHOLDER
from cns_core.bundle.recipe_manifests import _scoped
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult
from tests.support.chart_bundles import bundle_options, check_rendered_objects, recipe_for
from tests.support.chart_bundles import cases as leaf_cases
from tests.support.chart_reference import require_charts
from tests.support.helm import add_stub_subcharts, helm_template, run_helm

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
        sources = app["spec"]["sources"]
        chart_source, values_source = sources[0], sources[-1]
        ref = gb200.component(name)
        entry = store.registry.get(name)
        assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(wave)
        if entry.manifests_only:  # no chart: its manifests chart, then the values
            assert [s.get("path") for s in sources] == [f"{name}/manifests", None]
            assert values_source == {"repoURL": REPO, "targetRevision": "HEAD", "ref": "values"}
            continue
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
    assert not any("--repo" in note for note in bundle.warnings)
    assert all(REPO_PLACEHOLDER.encode() not in data for data in bundle.files.values())
    parent = yaml.safe_load(bundle.files["app-of-apps.yaml"])
    assert parent["spec"]["source"]["repoURL"] == REPO


def test_no_repo_means_placeholder_and_a_warning(store, gb200):
    bundle = _argocd(store, gb200)
    assert [n for n in bundle.warnings if "--repo" in n] == [
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


@pytest.mark.parametrize("deployer", ["HELM", " argocd ", "Flux"])
def test_deployer_case_and_space_insensitive(deployer):
    assert BundleOptions.parse(deployer=deployer).deployer.value == deployer.strip().lower()


def test_bad_deployer_lists_valid_ones():
    with pytest.raises(InvalidRequestError, match="valid deployers are helm, argocd, flux"):
        BundleOptions.parse(deployer="fleet")


def _objects_by_kind_and_name(docs: list[dict]) -> dict[tuple[str, str], dict]:
    """Objects keyed by (kind, name), without what differs between the two charts."""
    out = {}
    for doc in docs:
        meta = doc["metadata"]
        meta.pop("namespace", None)
        meta.get("labels", {}).pop("helm.sh/chart", None)
        out[(doc["kind"], meta["name"])] = doc
    return out


def test_components_with_manifests_get_a_manifests_source(store, gb200):
    bundle = _argocd(store, gb200, repo=REPO)
    with_manifests = set()
    for name in gb200.deployment_order:
        sources = yaml.safe_load(bundle.files[f"{name}/application.yaml"])["spec"]["sources"]
        chart_files = [p for p in bundle.files if p.startswith(f"{name}/manifests/")]
        if not gb200.component(name).manifest_files:
            assert len(sources) == 2 and not chart_files, name
            continue
        with_manifests.add(name)
        # a component of manifests only has no chart source before its manifests'
        manifests_source = sources[0 if store.registry.get(name).manifests_only else 1]
        assert manifests_source == {
            "repoURL": REPO,
            "path": f"{name}/manifests",
            "targetRevision": "HEAD",
            "helm": {"releaseName": name, "valueFiles": [f"$values/{name}/values.yaml"]},
        }
        chart = yaml.safe_load(bundle.files[f"{name}/manifests/Chart.yaml"])
        assert chart["apiVersion"] == "v2" and chart["name"] == f"{name}-manifests"
        assert sorted(chart_files) == sorted(
            [f"{name}/manifests/Chart.yaml"]
            + [
                f"{name}/manifests/templates/{p.rsplit('/', 1)[1]}"
                for p in gb200.component(name).manifest_files
            ]
        )
    assert with_manifests == {"gpu-operator", "skyhook-customizations"}
    assert not any("manifest" in note for note in bundle.warnings)
    listed = {
        line.split("  ", 1)[1] for line in bundle.files["checksums.txt"].decode().splitlines()
    }
    assert listed == set(bundle.files) - {"checksums.txt"}


def test_missing_manifest_is_an_error_for_argocd_too(store, gb200):
    doc = gb200.to_dict()
    ref = next(r for r in doc["componentRefs"] if r["name"] == "gpu-operator")
    ref["manifestFiles"] = ["components/gpu-operator/manifests/nope.yaml"]
    with pytest.raises(
        InvalidRequestError, match=r"manifest .*nope\.yaml.* not in the recipe data"
    ):
        _argocd(store, RecipeResult.from_dict(doc), repo=REPO)


@pytest.mark.parametrize("deployer", ["argocd", "flux"])
@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_manifest_charts_render_like_the_umbrella_chart(
    request, helm, tmp_path, store, case, deployer
):
    """helm template each <c>/manifests chart with <c>/values.yaml (Argo CD and Flux
    bundles alike): same objects as the Helm bundle renders (umbrella chart plus its
    custom-resource releases), in the component's namespace, with --set values applied."""
    recipe = request.getfixturevalue(case)
    sets = ["gpuoperator:driver.kernelModuleConfig.name=kmp-custom"]
    gitops = generate_bundle(
        recipe, store, BundleOptions.parse(deployer=deployer, repo=REPO, sets=sets)
    )
    write_tree(gitops.files, tmp_path / deployer)
    umbrella = generate_bundle(recipe, store, BundleOptions.parse(sets=sets))
    write_tree(umbrella.files, tmp_path / "helm")
    add_stub_subcharts(tmp_path / "helm")

    rendered: list[dict] = []
    for name in recipe.deployment_order:
        chart = tmp_path / deployer / name / "manifests"
        if not chart.exists():
            continue
        values = str(tmp_path / deployer / name / "values.yaml")
        lint = run_helm(helm, "lint", str(chart), "--strict", "-f", values)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        namespace = store.registry.get(name).namespace
        release = name if deployer == "argocd" else f"{name}-manifests"
        docs = helm_template(helm, release, chart, namespace, "-f", values)
        assert docs, name
        for doc in docs:
            if doc["kind"] not in ("Skyhook", "NicClusterPolicy"):  # cluster-scoped
                assert doc["metadata"]["namespace"] == namespace, (name, doc["metadata"])
        rendered += docs

    objects = _objects_by_kind_and_name(rendered)
    assert ("Skyhook", "tuning") in objects
    assert ("ConfigMap", "dcgm-exporter") in objects
    if case == "gb200":
        assert objects[("ConfigMap", "kmp-custom")]["data"] == {
            "nvidia.conf": "NVreg_GrdmaPciTopoCheckOverride=1\n"
        }
    from_umbrella = [
        d
        for d in helm_template(helm, "cns-stack", tmp_path / "helm", "cns-stack")
        if not d["metadata"]["name"].startswith("received-")
    ]
    for name in recipe.deployment_order:  # the custom resources the umbrella leaves out
        late = tmp_path / "helm" / "components" / name
        if (late / "manifests").exists() and name in ("skyhook-customizations", "network-operator"):
            values = str(late / "values.yaml")
            from_umbrella += helm_template(helm, name, late / "manifests", "x", "-f", values)
    from_umbrella = list(_objects_by_kind_and_name(from_umbrella).values())
    assert objects == _objects_by_kind_and_name(from_umbrella)


def test_manifest_scope_gives_root_objects_and_dollar(helm, tmp_path):
    """The wrapper's context: .Values.<component>, .Release, .Chart, and $ alike."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x-manifests\nversion: 1.0.0\n")
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scoped\n"
        "  namespace: {{ .Release.Namespace }}\ndata:\n"
        '{{- range $k := list "a" }}\n'
        '  {{ $k }}: {{ (index $.Values "my-comp").a | quote }}\n'
        "{{- end }}\n"
        "  chart: {{ .Chart.Name }}\n  release: {{ $.Release.Name }}\n"
    )
    (chart / "templates" / "m.yaml").write_text(_scoped(manifest, "my-comp", "m.yaml"))
    (tmp_path / "values.yaml").write_text("a: from-values\n")
    (doc,) = helm_template(helm, "rel", chart, "ns1", "-f", str(tmp_path / "values.yaml"))
    assert doc["metadata"] == {"name": "scoped", "namespace": "ns1"}
    assert doc["data"] == {"a": "from-values", "chart": "x-manifests", "release": "rel"}


# --- every leaf overlay's manifest charts render valid objects (GitHub issue 10, item 6) ---


@pytest.mark.parametrize("case", leaf_cases())
def test_every_leaf_manifest_chart_renders_valid_kubernetes_objects(helm, tmp_path, store, case):
    """helm template each <c>/manifests chart with <c>/values.yaml: every object is
    valid, built-in kinds strictly (kubernetes-validate), custom resources against the
    CRD of their pinned chart (shared reference data)."""
    require_charts()
    recipe = recipe_for(store, case)
    bundle = generate_bundle(recipe, store, bundle_options("argocd", placed=True))
    rendered = check_rendered_objects(helm, store, recipe, bundle.files, tmp_path / "argocd")
    assert rendered, f"{case}: no manifests chart rendered anything"
