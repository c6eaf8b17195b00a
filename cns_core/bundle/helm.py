"""Helm deployer: an umbrella chart whose dependencies are the recipe's charts."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from ..criteria import ANY
from ..lru import IdentityMemo, LRUCache
from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from ..serialize import dump_yaml, joined_entries
from .describe import RELEASE, chart_version, recipe_digest, recipe_summary
from .plan import BundleComponent
from .recipe_manifests import (
    MANIFESTS_DIR,
    component_manifests,
    creates_custom_resource,
    manifest_chart,
    manifests_after_chart,
    manifests_release,
)
from .templating import render
from .values import values_document

COMPONENTS_DIR = "components"
DEPLOY_TIMEOUT = "10m"
#: Attempts for a release of custom resources: the operator's webhook may not serve yet.
CUSTOM_RESOURCE_ATTEMPTS = 5

#: What `helm package` / `helm install .` leave out of the umbrella chart.
HELMIGNORE = """\
# Not part of the umbrella chart: deploy.sh's per-component files and the bundle's own.
components/
deploy.sh
undeploy.sh
recipe.yaml
checksums.txt
warnings.txt
.git/
"""

CHART_HEADER = """\
# Cloud Native Stack - Helm umbrella chart
#
# Dependencies are listed in the recipe's deployment order. Helm installs them all in
# one release (CRDs first, then resources ordered by kind). Run
# `helm dependency update` to download them before installing.
"""

VALUES_HEADER = """\
# Cloud Native Stack - Helm umbrella chart values
# Recipe version: {recipe_version}
# Bundler version: {cns_version}
#
# Each top-level key is a component: the dependency of that name (or alias) in
# Chart.yaml, so everything under it reaches that chart.
# Set <component>.enabled=false to leave a component out, e.g. when the cluster
# already runs cert-manager:  helm install ... --set cert-manager.enabled=false
"""


def chart_name(recipe: RecipeResult) -> str:
    """``cns-<service>-<accelerator>`` from the pinned criteria, else ``cns-stack``."""
    parts = [v for v in (recipe.criteria.service, recipe.criteria.accelerator) if v != ANY]
    return "-".join(["cns", *parts]) if parts else RELEASE


def helm_files(
    recipe: RecipeResult,
    store: RecipeStore,
    components: list[BundleComponent],
    version: str,
    warnings: list[str],
) -> dict[str, bytes]:
    """The umbrella chart, the per-component files of deploy.sh, the scripts and README.md.

    ``version`` is the cns version. ``warnings`` is what the README must tell the user.
    """
    manifests = {c.name: component_manifests(store, c) for c in components}
    steps = _deploy_steps(components, manifests)
    files = {
        ".helmignore": HELMIGNORE.encode(),
        "Chart.yaml": _chart_yaml(recipe, components, version).encode(),
        "values.yaml": _values_yaml(recipe, components, version, manifests).encode(),
        "deploy.sh": _script("deploy.sh.j2", tuple(steps), version),
        "undeploy.sh": _script("undeploy.sh.j2", tuple(steps[::-1]), version),
        "README.md": _READMES.get_or_build(
            (store,),
            (recipe_digest(recipe), version, tuple(warnings), tuple(c.name for c in components)),
            lambda: _readme(recipe, components, steps, version, warnings),
        ),
    }
    for component in components:
        files.update(_component_files(component, manifests[component.name], version))
        for name, text in manifests[component.name].items():
            if not creates_custom_resource(text):
                path = f"templates/{component.name}/{name}"
                files[path] = _guarded(text, component.name).encode()
    return files


#: README.md by what it tells: the store (immutable, by identity), the recipe (by its
#: digest), the cns version, the warnings and the components selected (their charts and
#: the deploy steps follow from those); a --set value changes none of it.
_READMES_BYTES = 512 * 1024
_READMES = IdentityMemo[bytes](
    LRUCache(32, max_weight=_READMES_BYTES, weight=lambda entry: len(entry[1]))
)


def _readme(
    recipe: RecipeResult,
    components: list[BundleComponent],
    steps: list[DeployStep],
    version: str,
    warnings: list[str],
) -> bytes:
    return render(
        "helm-README.md.j2",
        chart=chart_name(recipe),
        release=RELEASE,
        components=components,
        steps=steps,
        late=[s for s in steps if s.after_chart],
        components_dir=COMPONENTS_DIR,
        warnings=warnings,
        **recipe_summary(recipe, version),
    ).encode()


@functools.lru_cache(maxsize=64)
def _script(template: str, steps: tuple[DeployStep, ...], version: str) -> bytes:
    """deploy.sh or undeploy.sh for these releases, rendered once per distinct list (the
    scripts name values files, never values: bundles that differ in values share them)."""
    return render(template, steps=steps, timeout=DEPLOY_TIMEOUT, cns_version=version).encode()


class DeployStep(NamedTuple):
    """One Helm release that deploy.sh installs (and undeploy.sh removes)."""

    release: str
    chart: str
    repo: str
    version: str
    namespace: str
    values: str
    attempts: int = 1
    after_chart: bool = False

    @property
    def local(self) -> bool:
        """Whether the chart is a directory of the bundle (a manifests chart)."""
        return not self.repo and not self.chart.startswith("oci://")


def _deploy_steps(
    components: list[BundleComponent], manifests: dict[str, dict[str, str]]
) -> list[DeployStep]:
    """Releases in deployment order: each chart, its manifests before it (ConfigMaps its
    workloads read) or, when they create custom resources, after it."""
    steps: list[DeployStep] = []
    for component in components:
        values = f"{COMPONENTS_DIR}/{component.name}/values.yaml"
        chart, repo = _chart_reference(component)
        chart_step = DeployStep(
            component.name, chart, repo, component.ref.version, component.namespace, values
        )
        templates = manifests[component.name]
        if not templates:
            steps.append(chart_step)
            continue
        late = manifests_after_chart(templates)
        manifest_step = DeployStep(
            release=manifests_release(component.name),
            chart=f"{COMPONENTS_DIR}/{component.name}/{MANIFESTS_DIR}",
            repo="",
            version="",
            namespace=component.namespace,
            values=values,
            attempts=CUSTOM_RESOURCE_ATTEMPTS if late else 1,
            after_chart=late,
        )
        if component.manifests_only:
            # no chart of its own: the manifests are the component (custom resources
            # still retried while their operator's webhook starts)
            steps.append(manifest_step)
            continue
        steps += [chart_step, manifest_step] if late else [manifest_step, chart_step]
    return steps


def _chart_reference(component: BundleComponent) -> tuple[str, str]:
    """(chart, --repo) for ``helm upgrade --install``: OCI charts are one reference."""
    source = component.ref.source.rstrip("/")
    if source.startswith("oci://"):
        return f"{source}/{component.chart}", ""
    return component.chart, source


def _component_files(
    component: BundleComponent, templates: dict[str, str], version: str
) -> dict[str, bytes]:
    """components/<name>/values.yaml (flat values of the chart) and its manifests chart."""
    root = f"{COMPONENTS_DIR}/{component.name}"
    header = (
        f"# Cloud Native Stack: values of {component.name} ({component.described}) for "
        f"deploy.sh; the same as under {component.name}: in values.yaml\n"
    )
    files = {f"{root}/values.yaml": (header + values_document(component)).encode()}
    files.update(
        manifest_chart(
            component,
            templates,
            version,
            root=f"{root}/{MANIFESTS_DIR}",
            values_file=f"{root}/values.yaml",
        )
    )
    return files


def _chart_yaml(recipe: RecipeResult, components: list[BundleComponent], version: str) -> str:
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": chart_name(recipe),
        "description": "NVIDIA Cloud Native Stack - GPU-accelerated Kubernetes deployment",
        "type": "application",
        "version": chart_version(version),
    }
    if recipe.version:
        chart["appVersion"] = recipe.version
    chart["dependencies"] = [_dependency(c) for c in components if not c.manifests_only]
    return CHART_HEADER + dump_yaml(chart)


def _dependency(component: BundleComponent) -> dict[str, str]:
    dep = {"name": component.chart}
    if component.alias:
        dep["alias"] = component.alias
    dep["version"] = component.ref.version
    dep["repository"] = component.ref.source
    dep["condition"] = f"{component.name}.enabled"
    return dep


def _values_yaml(
    recipe: RecipeResult,
    components: list[BundleComponent],
    version: str,
    manifests: dict[str, dict[str, str]],
) -> str:
    """Each component's values under its name, with ``enabled: true``: the condition of
    its dependency and the guard of its templates. A component of manifests only that
    has no templates in the umbrella chart (its manifests create custom resources: a
    release of their own) gets no ``enabled``, which nothing would read."""

    def enabled(c: BundleComponent) -> bool:
        in_chart = any(not creates_custom_resource(t) for t in manifests[c.name].values())
        return not c.manifests_only or in_chart

    switches = [(c, enabled(c)) for c in components]
    body = joined_entries([c.planned.entry(c.name, enabled=on) for c, on in switches])
    if body is None:
        body = dump_yaml({c.name: c.planned.nested(enabled=on) for c, on in switches})
    header = VALUES_HEADER.format(recipe_version=recipe.version or "unknown", cns_version=version)
    return header + body


def _guarded(text: str, component: str) -> str:
    """Wrap a manifest so that ``<component>.enabled=false`` leaves it out too."""
    return (
        f'{{{{- if (index .Values "{component}" | default dict).enabled }}}}\n'
        f"{text}{{{{- end }}}}\n"
    )
