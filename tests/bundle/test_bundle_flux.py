"""Flux output: objects against the real Flux CRDs, the root kustomization (and a real
kustomize build), dependsOn against the deployment order, values equal to the Helm
deployer's, chart sources, recipe manifests, --repo, determinism, CLI and API."""

from __future__ import annotations

import io
import json
import re
import subprocess
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from cns_core.bundle.flux import (
    FLUX_KUSTOMIZATION_FILE,
    KUSTOMIZATION_FILE,
    flux_git_url,
    helm_repository_names,
)
from cns_core.bundle.options import REPO_PLACEHOLDER
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult
from cns_core.serialize import dump_yaml
from cns_web import create_app
from tests.support.chart_reference import charts_dir, require_charts

from ..support.k8s_schema import load_crd_schemas, validation_errors
from ..support.tools import tool

REPO = "https://github.com/example/gitops.git"
PLACEMENT = {
    "system_node_selector": ["role=system"],
    "system_node_toleration": ["dedicated=system:NoSchedule"],
    "accelerated_node_selector": ["nvidia.com/gpu.present=true"],
    "accelerated_node_toleration": ["nvidia.com/gpu:NoSchedule"],
}
SETS = {"sets": ["gpuoperator:driver.version=580.105.08", 'skyhook-operator:tuning="1"']}
OPTION_SETS = {"default": {}, "placed": PLACEMENT, "set": SETS, "both": {**PLACEMENT, **SETS}}
#: The files of a Flux bundle that are not Kubernetes objects kustomize applies as is.
NOT_RESOURCES = {KUSTOMIZATION_FILE, "kustomizeconfig.yaml", FLUX_KUSTOMIZATION_FILE, "recipe.yaml"}


def _flux(store, recipe, **options):
    return generate_bundle(recipe, store, BundleOptions.parse(deployer="flux", **options))


def _helm(store, recipe, **options):
    return generate_bundle(recipe, store, BundleOptions.parse(**options))


def _docs(files, path: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(files[path]) if d]


def _kustomization(files) -> dict[str, Any]:
    return yaml.safe_load(files[KUSTOMIZATION_FILE])


def _objects(files) -> list[dict[str, Any]]:
    """Every object the root kustomization lists, in order (before kustomize's build)."""
    return [doc for path in _kustomization(files)["resources"] for doc in _docs(files, path)]


def _releases(files) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in _objects(files) if o["kind"] == "HelmRelease"}


def _generated_values(files) -> dict[str, str]:
    """``{ConfigMap name (before the hash): values file}`` of the configMapGenerator."""
    out = {}
    for entry in _kustomization(files)["configMapGenerator"]:
        ((key, _, path),) = [f.partition("=") for f in entry["files"]]
        assert key == "values.yaml"
        out[entry["name"]] = path
    return out


def _deploy_order(helm_files) -> list[tuple[str, str]]:
    """(release, namespace) of each step of the Helm bundle's deploy.sh, in order."""
    script = helm_files["deploy.sh"].decode()
    return re.findall(r'^echo "==> \[\d+/\d+\] (\S+) \(namespace (\S+)\)"$', script, re.M)


def _flux_crds():
    """The real Flux CRDs (shared reference data); the test is skipped without them."""
    folder = require_charts() / "flux" / "crds"
    if not folder.is_dir():
        pytest.skip(f"Flux CRDs not found at {folder}")
    return load_crd_schemas(sorted(folder.glob("*.yaml")))


# --- objects ---------------------------------------------------------------------


@pytest.mark.parametrize("options", sorted(OPTION_SETS))
@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_every_object_validates_against_the_real_flux_crds(request, store, case, options):
    """helm-controller v1.6.0, source-controller v1.9.0, kustomize-controller v1.9.0:
    every object, unknown fields included; the CEL rule HelmRelease adds (chart xor
    chartRef) too."""
    crds = _flux_crds()
    recipe = request.getfixturevalue(case)
    files = _flux(store, recipe, repo=REPO, **OPTION_SETS[options]).files
    objects = [*_objects(files), *_docs(files, FLUX_KUSTOMIZATION_FILE)]
    assert {o["apiVersion"] for o in objects} == {
        "helm.toolkit.fluxcd.io/v2",
        "source.toolkit.fluxcd.io/v1",
        "kustomize.toolkit.fluxcd.io/v1",
    }
    errors = validation_errors(objects, crds)
    assert not errors, "invalid Flux objects:\n" + "\n".join(errors)
    for release in _releases(files).values():
        assert ("chart" in release["spec"]) != ("chartRef" in release["spec"])
        assert len(release["spec"]["releaseName"]) <= 53


def test_kustomization_lists_every_object_file(store, gb200):
    files = _flux(store, gb200, repo=REPO).files
    root = _kustomization(files)
    assert root["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert root["kind"] == "Kustomization"
    assert root["configurations"] == ["kustomizeconfig.yaml"]
    resources = root["resources"]
    assert len(resources) == len(set(resources))
    values = _generated_values(files)
    expected = {
        p
        for p in files
        if p.endswith(".yaml")
        and p not in NOT_RESOURCES
        and "/manifests/" not in p
        and PurePosixPath(p).name != "values.yaml"
    }
    assert set(resources) == expected
    assert sorted(values.values()) == sorted(p for p in files if p.endswith("/values.yaml"))
    assert set(values) == {f"{name}-values" for name in gb200.deployment_order}


@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_kustomize_build_gives_the_objects_and_hashed_values_config_maps(
    request, store, tmp_path, case
):
    """A real kustomize build (kubectl kustomize): the listed objects plus one ConfigMap
    per component holding its values.yaml, whose hash-suffixed name valuesFrom names."""
    kubectl = tool("kubectl", hint="sh tools/get-helm.sh fetches it (kustomize is built in)")
    recipe = request.getfixturevalue(case)
    files = _flux(store, recipe, repo=REPO, **PLACEMENT).files
    write_tree(files, tmp_path / "bundle")
    run = subprocess.run(
        [kubectl, "kustomize", str(tmp_path / "bundle")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    built = [d for d in yaml.safe_load_all(run.stdout) if d]
    maps = {o["metadata"]["name"]: o for o in built if o["kind"] == "ConfigMap"}
    others = [o for o in built if o["kind"] != "ConfigMap"]
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    listed = _objects(files)
    assert sorted(map(key, others)) == sorted(map(key, listed))
    generated = _generated_values(files)
    assert len(maps) == len(generated)
    for release in (o for o in others if o["kind"] == "HelmRelease"):
        (ref,) = release["spec"]["valuesFrom"]
        config_map = maps[ref["name"]]
        assert config_map["metadata"]["namespace"] == "flux-system"
        base = ref["name"].rsplit("-", 1)[0]
        values = files[generated[base]].decode()
        assert config_map["data"] == {"values.yaml": values}
        unhashed = next(o for o in listed if key(o) == key(release))
        unhashed["spec"]["valuesFrom"][0]["name"] = ref["name"]
        assert release == unhashed
    if (charts_dir() / "flux" / "crds").is_dir():
        errors = validation_errors(built, _flux_crds())
        assert not errors, "\n".join(errors)


# --- order -----------------------------------------------------------------------


def _transitive(recipe: RecipeResult, name: str, kept: set[str]) -> set[str]:
    """The recipe dependencies of ``name`` among ``kept``, seen through the others."""
    refs = {r.name: r for r in recipe.component_refs}
    out, pending, seen = set(), list(refs[name].dependency_refs), set()
    while pending:
        dep = pending.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if dep in kept:
            out.add(dep)
        else:
            pending += refs[dep].dependency_refs
    return out


@pytest.mark.parametrize(
    "bundlers", [[], ["gpu-operator,prometheus"], ["nvidia-dra-driver-gpu", "skyhook"]]
)
@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_depends_on_follows_the_deployment_order(request, store, case, bundlers):
    """Releases are deploy.sh's releases; each waits only for releases deploy.sh installs
    before it, and a chart's release for every recipe dependency in the bundle (through
    the components --bundlers leaves out)."""
    recipe = request.getfixturevalue(case)
    if "skyhook" in bundlers and case == "h100":
        bundlers = ["network-operator", "skyhook"]
    flux = _flux(store, recipe, repo=REPO, bundlers=bundlers)
    steps = _deploy_order(_helm(store, recipe, bundlers=bundlers).files)
    releases = _releases(flux.files)
    assert sorted(releases) == sorted(name for name, _ in steps)
    position = {name: i for i, (name, _) in enumerate(steps)}
    kept = {name for name in position if not name.endswith("-manifests")}
    for name, release in releases.items():
        spec = release["spec"]
        waits = [d["name"] for d in spec.get("dependsOn", [])]
        assert all(position[w] < position[name] for w in waits), (name, waits)
        assert waits == sorted(waits, key=position.__getitem__)
        assert all(set(d) == {"name"} for d in spec.get("dependsOn", []))
        if name in kept:
            assert _transitive(recipe, name, kept) <= set(waits), (name, waits)
    assert not flux.warnings
    if bundlers == ["gpu-operator,prometheus"]:  # cert-manager left out: wait for prometheus
        waits = [d["name"] for d in releases["gpu-operator"]["spec"]["dependsOn"]]
        assert waits == ["prometheus", "gpu-operator-manifests"]


def test_a_dependency_the_order_contradicts_is_left_out_with_a_warning(store, gb200):
    doc = gb200.to_dict()
    doc["deploymentOrder"] = [
        "cert-manager",
        *[n for n in gb200.deployment_order if n != "cert-manager"],
    ]
    bundle = _flux(store, RecipeResult.from_dict(doc), repo=REPO)
    assert "dependsOn" not in _releases(bundle.files)["cert-manager"]["spec"]
    assert bundle.warnings == (
        "cert-manager depends on prometheus, which the deployment order puts after it: "
        "its HelmRelease does not wait for prometheus",
    )


# --- values ----------------------------------------------------------------------


@pytest.mark.parametrize("options", sorted(OPTION_SETS))
@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_values_equal_the_helm_deployers(request, store, case, options):
    """<c>/values.yaml loads to exactly the Helm bundle's components/<c>/values.yaml, and
    every release of the component (chart and manifests) reads that file's ConfigMap."""
    recipe = request.getfixturevalue(case)
    flux = _flux(store, recipe, repo=REPO, **OPTION_SETS[options]).files
    helm = _helm(store, recipe, **OPTION_SETS[options]).files
    generated = _generated_values(flux)
    for name in recipe.deployment_order:
        ours = yaml.safe_load(flux[f"{name}/values.yaml"])
        assert ours == yaml.safe_load(helm[f"components/{name}/values.yaml"]), name
        assert json.dumps(ours, sort_keys=True) == json.dumps(
            yaml.safe_load(helm[f"components/{name}/values.yaml"]), sort_keys=True
        )
    for release in _releases(flux).values():
        component = release["metadata"]["name"].removesuffix("-manifests")
        assert release["spec"]["valuesFrom"] == [
            {"kind": "ConfigMap", "name": f"{component}-values", "valuesKey": "values.yaml"}
        ]
        assert generated[f"{component}-values"] == f"{component}/values.yaml"
        assert "values" not in release["spec"]
    if options in ("set", "both"):
        values = yaml.safe_load(flux["gpu-operator/values.yaml"])
        assert values["driver"]["version"] == "580.105.08"


def test_offline_render_values_do_not_apply(store, gb200):
    """The helm-controller renders in the cluster (lookup works): no Grafana Secret."""
    flux = _flux(store, gb200, repo=REPO)
    argocd = generate_bundle(gb200, store, BundleOptions.parse(deployer="argocd", repo=REPO))
    grafana = lambda files: (yaml.safe_load(files["prometheus/values.yaml"]) or {}).get(  # noqa: E731
        "grafana", {}
    )
    assert "existingSecret" in grafana(argocd.files)["admin"]
    assert "existingSecret" not in grafana(flux.files).get("admin", {})
    assert not any("grafana-admin" in w for w in flux.warnings)


# --- sources and releases ----------------------------------------------------------


@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_one_helm_repository_per_chart_source_and_charts_as_published(request, store, case):
    recipe = request.getfixturevalue(case)
    files = _flux(store, recipe, repo=REPO).files
    repositories = {
        o["metadata"]["name"]: o["spec"] for o in _docs(files, "sources/helm-repositories.yaml")
    }
    # components of recipe manifests only have no chart repository (and no release of
    # their own name: see test_recipe_manifests_are_charts_from_the_git_repository)
    with_chart = [r for r in recipe.component_refs if not store.registry.get(r.name).manifests_only]
    sources = {r.source.rstrip("/") for r in with_chart}
    assert sorted(spec["url"] for spec in repositories.values()) == sorted(sources)
    for spec in repositories.values():
        assert spec.get("type") == ("oci" if spec["url"].startswith("oci://") else None)
    releases = _releases(files)
    for ref in with_chart:
        chart = releases[ref.name]["spec"]["chart"]["spec"]
        assert chart["chart"] == store.registry.get(ref.name).chart_name
        assert chart["version"] == ref.version  # verbatim: v25.3.3, v1.17.2, 81.2.2
        assert chart["sourceRef"]["kind"] == "HelmRepository"
        assert repositories[chart["sourceRef"]["name"]]["url"] == ref.source.rstrip("/")
    assert releases["prometheus"]["spec"]["chart"]["spec"]["chart"] == "kube-prometheus-stack"
    assert releases["cert-manager"]["spec"]["chart"]["spec"]["version"] == "v1.17.2"
    nvsentinel = releases["nvsentinel"]["spec"]["chart"]["spec"]
    assert repositories[nvsentinel["sourceRef"]["name"]] == {
        "url": "oci://ghcr.io/nvidia",
        "interval": "1h",
        "type": "oci",
    }


def test_helm_repository_names_are_readable_unique_and_short():
    def component(source: str):
        return type(
            "C", (), {"ref": type("R", (), {"source": source})(), "manifests_only": False}
        )()

    urls = [
        "https://helm.ngc.nvidia.com/nvidia/",
        "oci://helm.ngc.nvidia.com/nvidia",
        "https://charts.jetstack.io",
        "https://example.com/" + "x" * 80,
    ]
    names = helm_repository_names([component(u) for u in urls])  # type: ignore[misc]
    assert names["https://charts.jetstack.io"] == "charts-jetstack-io"
    assert len(set(names.values())) == 4
    https, oci = (
        names["https://helm.ngc.nvidia.com/nvidia"],
        names["oci://helm.ngc.nvidia.com/nvidia"],
    )
    assert https.startswith("helm-ngc-nvidia-com-nvidia-") and oci.startswith(
        "helm-ngc-nvidia-com-nvidia-"
    )
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", n) for n in names.values())
    assert names == helm_repository_names([component(u) for u in reversed(urls)])  # type: ignore[misc]


def test_every_release_installs_into_its_namespace_with_remediation(store, h100):
    files = _flux(store, h100, repo=REPO).files
    steps = dict(_deploy_order(_helm(store, h100).files))
    for name, release in _releases(files).items():
        spec = release["spec"]
        assert release["metadata"]["namespace"] == "flux-system"
        assert spec["releaseName"] == name
        assert spec["targetNamespace"] == spec["storageNamespace"] == steps[name]
        assert spec["install"]["createNamespace"] is True
        assert spec["install"]["crds"] == spec["upgrade"]["crds"] == "CreateReplace"
        custom_resources = ("skyhook-customizations-manifests", "network-operator-manifests")
        retries = 5 if name in custom_resources else 3
        assert spec["install"]["remediation"] == {"retries": retries}
        assert spec["upgrade"]["remediation"]["retries"] == retries
        assert spec["upgrade"]["remediation"]["strategy"] == "rollback"
        assert spec["timeout"] == "10m" and spec["interval"] == "10m"


@pytest.mark.parametrize("case", ["gb200", "h100"])
def test_recipe_manifests_are_charts_from_the_git_repository(request, store, case):
    """ConfigMaps before the chart (the chart waits for them), custom resources after it
    (they wait for the chart); the chart path is the bundle's manifests chart."""
    recipe = request.getfixturevalue(case)
    files = _flux(store, recipe, repo=REPO).files
    releases = _releases(files)
    (git,) = _docs(files, "sources/git-repository.yaml")
    assert git["spec"] == {"url": REPO, "ref": {"branch": "main"}, "interval": "5m"}
    with_manifests = {n for n in recipe.deployment_order if recipe.component(n).manifest_files}
    assert {n.removesuffix("-manifests") for n in releases if n.endswith("-manifests")} == (
        with_manifests
    )
    for name in with_manifests:
        spec = releases[f"{name}-manifests"]["spec"]
        chart = spec["chart"]["spec"]
        assert chart == {
            "chart": f"./{name}/manifests",
            "sourceRef": {"kind": "GitRepository", "name": git["metadata"]["name"]},
            "reconcileStrategy": "Revision",
        }
        assert f"{name}/manifests/Chart.yaml" in files
        if store.registry.get(name).manifests_only:
            # no chart: the manifests release is the component; it waits for the
            # component's dependencies, and whatever depends on the component waits for it
            assert name not in releases
            assert [d["name"] for d in spec["dependsOn"]] == list(
                recipe.component(name).dependency_refs
            )
            waiting = [
                n
                for n, r in releases.items()
                if f"{name}-manifests" in [d["name"] for d in r["spec"].get("dependsOn", [])]
            ]
            assert waiting == [
                n for n in recipe.deployment_order if name in recipe.component(n).dependency_refs
            ]
            continue
        assert spec["targetNamespace"] == releases[name]["spec"]["targetNamespace"]
        chart_waits = [d["name"] for d in releases[name]["spec"].get("dependsOn", [])]
        manifest_waits = [d["name"] for d in spec.get("dependsOn", [])]
        if name in ("skyhook-operator", "network-operator"):  # custom resources
            assert manifest_waits == [name]
            assert f"{name}-manifests" not in chart_waits
        else:  # gpu-operator: the kernel-module-params and dcgm-exporter ConfigMaps
            assert chart_waits[-1] == f"{name}-manifests"
            assert manifest_waits == chart_waits[:-1]


# --- repo --------------------------------------------------------------------------


def test_no_repo_means_placeholder_and_a_warning(store, gb200):
    bundle = _flux(store, gb200)
    assert [w for w in bundle.warnings if "--repo" in w] == [
        f"no --repo given: the GitRepository points at {REPO_PLACEHOLDER}; rerun with "
        "--repo URL (or edit sources/git-repository.yaml) before applying"
    ]
    (git,) = _docs(bundle.files, "sources/git-repository.yaml")
    assert git["spec"]["url"] == REPO_PLACEHOLDER
    readme = bundle.files["README.md"].decode()
    assert "No GitOps repository was given" in readme
    assert bundle.warnings[0] in readme
    assert bundle.files["warnings.txt"].decode().splitlines() == list(bundle.warnings)


def test_repo_given_is_used_without_warning(store, gb200):
    bundle = _flux(store, gb200, repo=REPO)
    assert not bundle.warnings
    assert "warnings.txt" not in bundle.files
    assert all(REPO_PLACEHOLDER.encode() not in data for data in bundle.files.values())


@pytest.mark.parametrize(
    ("repo", "url"),
    [
        (REPO, REPO),
        ("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"),
        ("git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git"),
        ("http://git.local/org/repo", "http://git.local/org/repo"),
    ],
)
def test_repo_url_as_a_git_repository_takes_it(repo, url):
    assert flux_git_url(repo) == url


def test_git_protocol_repo_is_an_error_for_flux(store, gb200):
    with pytest.raises(InvalidRequestError, match="takes http://, https:// or ssh://"):
        _flux(store, gb200, repo="git://git.local/org/repo.git")


# --- README, determinism ------------------------------------------------------------


def test_readme_lists_releases_steps_and_warnings(store, gb200):
    bundle = _flux(store, gb200, repo=REPO, **PLACEMENT)
    readme = bundle.files["README.md"].decode()
    for name in _releases(bundle.files):
        assert f"| {name} |" in readme
    for text in (
        "flux create source git cns-stack",
        "flux create kustomization cns-stack",
        "kubectl apply -f sources/git-repository.yaml -f flux-kustomization.yaml",
        "kubectl apply -k .",
        "flux bootstrap",
        "flux get helmreleases -A",
        "sha256sum -c checksums.txt",
    ):
        assert text in readme, text
    assert bundle.warnings and all(w in readme for w in bundle.warnings)
    assert "{{" not in readme


def test_same_recipe_and_options_same_bytes(store, h100):
    first = _flux(store, h100, repo=REPO, **PLACEMENT, **SETS)
    second = _flux(store, h100, repo=REPO, **PLACEMENT, **SETS)
    assert first.files == second.files
    assert first.zip == second.zip


# --- CLI and API -------------------------------------------------------------------


def test_cli_flux_writes_the_tree(runner, tmp_path, gb200):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(dump_yaml(gb200.to_dict()))
    out = tmp_path / "gitops"
    result = runner.invoke(
        ["bundle", "-r", str(recipe), "-o", str(out), "-d", "flux", "--repo", REPO]
    )
    assert result.exit_code == 0, result.output
    assert f"Flux HelmReleases written to {out}" in result.stdout
    assert "  kustomization.yaml\n" in result.stdout
    assert (
        f"2. kubectl apply -f {out}/sources/git-repository.yaml -f {out}/flux-kustomization.yaml"
        in (result.stdout)
    )
    assert (out / "gpu-operator" / "helmrelease.yaml").is_file()
    assert "warning:" not in result.output
    bare = runner.invoke(["bundle", "-r", str(recipe), "-o", str(tmp_path / "z.zip"), "-d", "FLUX"])
    assert bare.exit_code == 0, bare.output
    assert "warning: no --repo given: the GitRepository points at" in bare.stderr
    with zipfile.ZipFile(tmp_path / "z.zip") as archive:
        assert "warnings.txt" in archive.namelist()


def test_api_deployer_flux(store, gb200):
    client = create_app({"CNS_RATE_LIMIT_ENABLED": "false"}).test_client()
    resp = client.post(
        f"/v1/bundle?deployer=flux&repo={REPO}&accelerated-node-selector=pool%3Dgpu",
        data=json.dumps(gb200.to_dict()),
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.data
    expected = _flux(store, gb200, repo=REPO, accelerated_node_selector=["pool=gpu"])
    assert resp.data == expected.zip
    assert resp.headers["X-Bundle-Warnings"].startswith(
        "gpu-operator: --accelerated-node-selector does not reach"
    )
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        assert "kustomization.yaml" in archive.namelist()
        assert archive.read("warnings.txt").decode().splitlines() == list(expected.warnings)
    spec = client.get("/openapi.json").json
    (param,) = [
        p for p in spec["paths"]["/v1/bundle"]["post"]["parameters"] if p["name"] == "deployer"
    ]
    assert param["schema"]["enum"] == ["helm", "argocd", "flux"]


@pytest.mark.slow
def test_api_flux_end_to_end_under_gunicorn(live_server, store, h100):
    body = json.dumps(h100.to_dict()).encode()
    request = urllib.request.Request(
        f"{live_server}/v1/bundle?deployer=flux&repo={REPO}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        data = resp.read()
    assert data == _flux(store, h100, repo=REPO).zip


def test_flux_tree_written_to_a_directory_is_the_bundle(tmp_path, store, h100):
    bundle = _flux(store, h100, repo=REPO)
    write_tree(bundle.files, tmp_path / "b")
    written = {
        p.relative_to(tmp_path / "b").as_posix()
        for p in Path(tmp_path / "b").rglob("*")
        if p.is_file()
    }
    assert written == set(bundle.files)
