"""The bundles the real-chart checks cover, what values they send to which chart, and
every object their own charts render (real ``helm template``).

Recipes: every leaf overlay of the embedded data (one that no other overlay names as
its ``base``), built from the leaf's own criteria, plus the generic recipe (every
criterion ``any``). Each with every deployer, with and without the placement flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from cns_core.criteria import Criteria
from cns_core.recipes import RecipeResult, RecipeStore, build_recipe, load_store
from tests.support.chart_reference import chart_folder, crd_schemas_for
from tests.support.helm import add_stub_subcharts, run_helm

from .k8s_schema import CrdSchemas, validation_errors

GENERIC = "generic"

#: The four node placement flags, as the CLI and API take them.
PLACEMENT: dict[str, list[str]] = {
    "system_node_selector": ["role=system"],
    "system_node_toleration": ["dedicated=system:NoSchedule"],
    "accelerated_node_selector": ["nvidia.com/gpu.present=true"],
    "accelerated_node_toleration": ["nvidia.com/gpu:NoSchedule"],
}
REPO = "https://github.com/example/gitops.git"
DEPLOYERS = ("helm", "argocd", "flux")
UMBRELLA_RELEASE = "cns-stack"


def leaf_overlays(store: RecipeStore) -> list[str]:
    """Overlays no other overlay inherits from, by name."""
    bases = {overlay.base for overlay in store.overlays.values()}
    return sorted(name for name in store.overlays if name not in bases)


def cases() -> list[str]:
    """Every leaf overlay of the embedded data, then ``generic`` (collection time)."""
    return [*leaf_overlays(load_store()), GENERIC]


def recipe_for(store: RecipeStore, case: str) -> RecipeResult:
    """The recipe of a leaf overlay's own criteria, or the generic one."""
    if case == GENERIC:
        return build_recipe(Criteria.parse({}), store, version="test")
    criteria = store.overlays[case].criteria
    assert criteria is not None, f"leaf overlay {case} has no criteria"
    raw = {k: v for k, v in criteria.to_dict().items() if v != "any"}
    return build_recipe(Criteria.parse(raw), store, version="test")


def bundle_options(deployer: str, placed: bool) -> BundleOptions:
    """Options of a covered bundle: the deployer (Argo CD and Flux with a --repo), and the
    four placement flags if ``placed``."""
    placement = PLACEMENT if placed else {}
    repo = "" if deployer == "helm" else REPO
    return BundleOptions.parse(deployer=deployer, repo=repo, **placement)


def variants() -> list[tuple[str, str, bool]]:
    """(case, deployer, placed) of every bundle the checks cover."""
    return [(c, d, p) for c in cases() for d in DEPLOYERS for p in (False, True)]


def variant_id(case: str, deployer: str, placed: bool) -> str:
    return f"{case}-{deployer}-{'placed' if placed else 'default'}"


def load_bundle(store: RecipeStore, case: str, deployer: str, placed: bool) -> dict[str, bytes]:
    """The files of one bundle."""
    bundle = generate_bundle(recipe_for(store, case), store, bundle_options(deployer, placed))
    return dict(bundle.files)


def bundle_chart_folders(store: RecipeStore, recipe: RecipeResult) -> list[Path]:
    """The reference folders of the charts a recipe pins (those present)."""
    out = []
    for ref in recipe.component_refs:
        entry = store.registry.get(ref.name)
        folder = chart_folder(entry.chart_name if entry else ref.name, ref.version)
        if folder is not None:
            out.append(folder)
    return out


# --- values sent to each chart -----------------------------------------------------


@dataclass(frozen=True)
class ChartValues:
    """The values one file of a bundle sends to one chart."""

    component: str
    chart: str
    version: str
    values: Mapping[str, Any]
    #: the bundle file they come from
    source: str
    #: the umbrella chart's Helm dependency condition for this key, if any
    condition: str = ""


def chart_values(files: Mapping[str, bytes], store: RecipeStore) -> list[ChartValues]:
    """Every (chart, values) pair a bundle writes: the umbrella values.yaml per dependency,
    ``components/<c>/values.yaml`` (deploy.sh), each Argo CD chart source's values, and
    each Flux HelmRelease's values (its valuesFrom ConfigMaps, generated from files)."""
    if "Chart.yaml" in files:
        return _helm_values(files, store)
    if "kustomization.yaml" in files:
        manifests_only = frozenset(c.name for c in store.registry.components if c.manifests_only)
        return _flux_values(files, manifests_only)
    return _argocd_values(files)


def _load(files: Mapping[str, bytes], path: str) -> Any:
    return yaml.safe_load(files[path])


def _helm_values(files: Mapping[str, bytes], store: RecipeStore) -> list[ChartValues]:
    chart = _load(files, "Chart.yaml")
    deps = {d.get("alias") or d["name"]: d for d in chart.get("dependencies") or []}
    out = []
    umbrella = _load(files, "values.yaml") or {}
    for key, values in umbrella.items():
        dep = deps.get(key)
        if dep is None:
            # a component of manifests only: its umbrella templates (if any) are guarded
            # by <component>.enabled
            guarded = any(p.startswith(f"templates/{key}/") for p in files)
            out.append(
                ChartValues(key, "", "", values or {}, "values.yaml", "guard" if guarded else "")
            )
            continue
        out.append(
            ChartValues(
                key,
                dep["name"],
                str(dep["version"]),
                values or {},
                "values.yaml",
                dep.get("condition", ""),
            )
        )
    for path in sorted(files):
        match = re.fullmatch(r"components/([^/]+)/values\.yaml", path)
        if not match:
            continue
        name = match[1]
        dep = deps.get(name)
        if dep is not None:
            chart_name, version = dep["name"], str(dep["version"])
        else:
            entry = store.registry.get(name)
            ref = next((r for r in _recipe_refs(files) if r.get("name") == name), {})
            chart_name, version = (entry.chart_name if entry else name), str(ref.get("version", ""))
        out.append(ChartValues(name, chart_name, version, _load(files, path) or {}, path))
    return out


def _recipe_refs(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    recipe = _load(files, "recipe.yaml") if "recipe.yaml" in files else {}
    return list((recipe or {}).get("componentRefs") or [])


def _argocd_values(files: Mapping[str, bytes]) -> list[ChartValues]:
    out = []
    for path in sorted(files):
        if not path.endswith("/application.yaml"):
            continue
        app = _load(files, path)
        spec = app.get("spec") or {}
        sources = spec.get("sources") or [spec.get("source") or {}]
        refs = {s["ref"]: s for s in sources if s.get("ref")}
        if not any(source.get("chart") for source in sources):
            # a component of manifests only: its values go to its manifests chart
            out += _manifests_only_values(files, app, sources, refs)
        for source in sources:
            if not source.get("chart"):
                continue
            helm = source.get("helm") or {}
            for value_file in helm.get("valueFiles") or []:
                ref, _, rel = value_file.partition("/")
                if ref.startswith("$") and ref[1:] in refs and rel in files:
                    values = _load(files, rel) or {}
                    source_file = rel
                else:
                    values, source_file = {}, f"{path} (unresolvable valueFiles {value_file})"
                out.append(
                    ChartValues(
                        app["metadata"]["name"],
                        source["chart"],
                        str(source.get("targetRevision", "")),
                        values,
                        source_file,
                    )
                )
            inline = helm.get("valuesObject") or yaml.safe_load(helm.get("values") or "{}")
            if inline:
                out.append(
                    ChartValues(
                        app["metadata"]["name"],
                        source["chart"],
                        str(source.get("targetRevision", "")),
                        inline,
                        f"{path} (helm.valuesObject/values)",
                    )
                )
    return out


def _flux_values(files: Mapping[str, bytes], manifests_only: frozenset[str]) -> list[ChartValues]:
    root = _load(files, "kustomization.yaml")
    generated = {
        entry["name"]: dict(f.split("=", 1) for f in entry["files"])
        for entry in root.get("configMapGenerator") or []
    }
    out = []
    for path in root["resources"]:
        for release in yaml.safe_load_all(files[path]):
            if not release or release.get("kind") != "HelmRelease":
                continue
            spec = release["spec"]
            chart = spec["chart"]["spec"]
            name = release["metadata"]["name"]
            component = name.removesuffix("-manifests")
            if chart["sourceRef"]["kind"] != "HelmRepository":
                # a manifests chart of ours, from the GitRepository: checked here only for
                # a component of manifests only (else its values are its chart's)
                if manifests_only and component in manifests_only:
                    for ref in spec.get("valuesFrom") or []:
                        rel = generated.get(ref["name"], {}).get(ref.get("valuesKey", ""), "")
                        if rel in files:
                            out.append(ChartValues(component, "", "", _load(files, rel) or {}, rel))
                continue
            for ref in spec.get("valuesFrom") or []:
                key = ref.get("valuesKey", "values.yaml")
                rel = generated.get(ref["name"], {}).get(key, "")
                if ref["kind"] == "ConfigMap" and rel in files:
                    values, source = _load(files, rel) or {}, rel
                else:
                    values, source = {}, f"{path} (unresolvable valuesFrom {ref['name']})"
                out.append(ChartValues(name, chart["chart"], str(chart["version"]), values, source))
            if spec.get("values"):
                out.append(
                    ChartValues(
                        name,
                        chart["chart"],
                        str(chart["version"]),
                        spec["values"],
                        f"{path} (values)",
                    )
                )
    return out


def _manifests_only_values(
    files: Mapping[str, bytes],
    app: Mapping[str, Any],
    sources: list[dict[str, Any]],
    refs: Mapping[str, Any],
) -> list[ChartValues]:
    out = []
    for source in sources:
        for value_file in (source.get("helm") or {}).get("valueFiles") or []:
            ref, _, rel = value_file.partition("/")
            if ref.startswith("$") and ref[1:] in refs and rel in files:
                values = _load(files, rel) or {}
                out.append(ChartValues(app["metadata"]["name"], "", "", values, rel))
    return out


def leaf_paths(
    values: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every leaf: a scalar, a list or an empty map."""
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaf_paths(value, path)
        else:
            yield path, value


# --- rendering our own charts ------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """One object ``helm template`` rendered, and where from."""

    chart_dir: str
    source: str
    obj: dict[str, Any]


def own_charts(files: Mapping[str, bytes]) -> list[str]:
    """Directories (bundle-relative, ``.`` for the root) of every chart the bundle ships."""
    dirs = [str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == "Chart.yaml"]
    return sorted(dirs, key=lambda d: (d != ".", d))


def render_own_charts(
    helm: str, files: Mapping[str, bytes], dest: Path, store: RecipeStore
) -> list[Rendered]:
    """``helm template`` every chart of the bundle: the umbrella chart (with stub
    subcharts, whose objects are left out) and any other chart in it (rendered with the
    ``values.yaml`` next to its directory, into its component's namespace)."""
    write_tree(files, dest)
    jobs: list[tuple[str, Path, str, str, tuple[str, ...]]] = []
    for rel in own_charts(files):
        chart_dir = dest / rel
        if rel == ".":
            add_stub_subcharts(chart_dir)
            jobs.append((rel, chart_dir, UMBRELLA_RELEASE, UMBRELLA_RELEASE, ()))
            continue
        component = PurePosixPath(rel).parent.name
        entry = store.registry.get(component)
        namespace = (entry.namespace if entry else "") or component
        values = chart_dir.parent / "values.yaml"
        extra = ("-f", str(values)) if values.is_file() else ()
        jobs.append((rel, chart_dir, component, namespace, extra))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: _template(helm, *job), jobs))
    return [item for result in results for item in result]


def _template(
    helm: str, rel: str, chart_dir: Path, release: str, namespace: str, extra: tuple[str, ...]
) -> list[Rendered]:
    run = run_helm(helm, "template", release, str(chart_dir), "-n", namespace, *extra)
    assert run.returncode == 0, f"helm template {rel}: {run.stderr}"
    out = []
    for chunk in re.split(r"^---[ \t]*$", run.stdout, flags=re.MULTILINE):
        match = re.search(r"^# Source: (.+)$", chunk, flags=re.MULTILINE)
        source = match[1].strip() if match else "?"
        for doc in yaml.safe_load_all(chunk):
            if doc:
                out.append(Rendered(rel, source, doc))
    return out


def is_stub(item: Rendered) -> bool:
    """An object of the tests' stub subcharts (under the umbrella's charts/)."""
    return item.chart_dir == "." and "/charts/" in item.source


def invalid_objects(rendered: list[Rendered], crds: CrdSchemas) -> list[str]:
    """The validation error of every object our templates rendered (stubs left out)."""
    errors = []
    for item in rendered:
        if is_stub(item):
            continue
        errors += [f"{item.source}: {e}" for e in validation_errors([item.obj], crds)]
    return errors


def check_rendered_objects(
    helm: str,
    store: RecipeStore,
    recipe: RecipeResult,
    bundle_files: Mapping[str, bytes],
    dest: Path,
) -> list[Rendered]:
    """Render every chart of a bundle and assert every object our templates render is a
    valid Kubernetes object: built-in kinds strictly, custom resources against the CRD
    of the pinned chart (shared reference data). Returns what was rendered."""
    rendered = render_own_charts(helm, bundle_files, dest, store)
    crds = crd_schemas_for(bundle_chart_folders(store, recipe))
    errors = invalid_objects(rendered, crds)
    assert not errors, "invalid objects:\n" + "\n".join(errors)
    return rendered
