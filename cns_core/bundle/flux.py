"""Flux deployer: chart sources, one HelmRelease per component, and a root kustomization.

Every object lives in ``flux-system``. Each distinct chart source is one
``HelmRepository`` (``type: oci`` for ``oci://`` sources); each component is a
``HelmRelease`` of its real chart name at its published version (``v`` kept), installed
into the component's namespace (``targetNamespace``, ``install.createNamespace``) as the
release ``<component>`` with Helm's storage in that namespace too, as ``deploy.sh`` does.

Values: each component's values are ``<component>/values.yaml``, the same data as the
Helm bundle's ``components/<component>/values.yaml``, turned into a ConfigMap by the
root ``kustomization.yaml``'s ``configMapGenerator`` and read with ``valuesFrom``. The
chart's release and its manifests' release read the one file, so they cannot drift
apart, and kustomize's content hash in the ConfigMap's name (rewritten into
``valuesFrom`` by ``kustomizeconfig.yaml``) makes every values change a new
HelmRelease spec, upgraded at once; Flux prunes the old ConfigMap.

Order: a HelmRelease ``dependsOn`` the components its recipe entry depends on (seen
through components the bundle leaves out), which is what the deployment order is
computed from; independent components install in parallel, and a failing one holds
back only what needs it. A component's recipe manifests (:mod:`.recipe_manifests`) are
the local chart ``<component>/manifests/`` in the GitOps repository (a
``GitRepository`` source named by ``--repo``), released as ``<component>-manifests``:
before the chart when they are ConfigMaps its workloads read, after it (``dependsOn``
the chart's release, so its CRDs and webhooks are ready) when they create custom
resources.

The helm-controller renders charts in the cluster, where ``lookup()`` works, so the
registry's ``offlineRender`` values (for Argo CD's ``helm template``) do not apply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import InvalidRequestError
from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from ..serialize import dump_yaml
from .describe import RELEASE, recipe_summary
from .helm import CUSTOM_RESOURCE_ATTEMPTS, DEPLOY_TIMEOUT
from .options import REPO_PLACEHOLDER
from .plan import BundleComponent
from .recipe_manifests import (
    MANIFESTS_DIR,
    component_manifests,
    manifest_chart,
    manifests_after_chart,
    manifests_release,
)
from .templating import render
from .values import values_document

FLUX_NAMESPACE = "flux-system"
#: The GitRepository of the GitOps repository and the Flux Kustomization that applies it.
STACK = RELEASE
GIT_BRANCH = "main"

HELM_API = "helm.toolkit.fluxcd.io/v2"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
KUSTOMIZE_CONFIG_API = "kustomize.config.k8s.io/v1beta1"

KUSTOMIZATION_FILE = "kustomization.yaml"
KUSTOMIZE_CONFIG_FILE = "kustomizeconfig.yaml"
FLUX_KUSTOMIZATION_FILE = "flux-kustomization.yaml"
GIT_SOURCE_FILE = "sources/git-repository.yaml"
HELM_SOURCES_FILE = "sources/helm-repositories.yaml"
RELEASE_FILE = "helmrelease.yaml"
VALUES_FILE = "values.yaml"

GIT_INTERVAL = "5m"
HELM_REPOSITORY_INTERVAL = "1h"
RELEASE_INTERVAL = "10m"
KUSTOMIZATION_INTERVAL = "10m"
KUSTOMIZATION_RETRY = "2m"
KUSTOMIZATION_TIMEOUT = "30m"
#: Install / upgrade attempts after a failure (each after an uninstall / a rollback).
RETRIES = 3
CRD_POLICY = "CreateReplace"
OCI_PREFIX = "oci://"

_SCP_RE = re.compile(r"(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>\S+)")
_NAME_MAX = 63

HEADERS = {
    KUSTOMIZATION_FILE: (
        "# Cloud Native Stack - Flux: every object of this bundle, for\n"
        "# `flux create kustomization --path ./` or `kubectl apply -k .`.\n"
        "# Each <component>/values.yaml becomes the ConfigMap <component>-values (name\n"
        "# suffixed with a hash of its content) that the component's HelmReleases read.\n"
    ),
    KUSTOMIZE_CONFIG_FILE: (
        "# Tells kustomize that HelmRelease spec.valuesFrom[].name names a ConfigMap, so the\n"
        "# hash-suffixed names of the generated values ConfigMaps are written there too.\n"
    ),
    FLUX_KUSTOMIZATION_FILE: (
        "# The Flux Kustomization that applies this bundle from the GitRepository in\n"
        f"# {GIT_SOURCE_FILE}: kubectl apply -f {GIT_SOURCE_FILE} -f {FLUX_KUSTOMIZATION_FILE}\n"
        "# (not part of kustomization.yaml: the tree does not create its own applier).\n"
    ),
}


class FluxRelease(NamedTuple):
    """One HelmRelease: a component's chart, or its manifests chart from the GitOps repo."""

    name: str
    component: BundleComponent
    #: the chart's name in its HelmRepository, or the manifests chart's path in Git
    chart: str
    #: the HelmRepository's name; ``""`` for the manifests chart (GitRepository)
    repository: str
    depends_on: tuple[str, ...]
    retries: int = RETRIES

    @property
    def from_git(self) -> bool:
        return not self.repository

    @property
    def version(self) -> str:
        return "" if self.from_git else self.component.ref.version


def flux_files(
    recipe: RecipeResult,
    store: RecipeStore,
    components: list[BundleComponent],
    repo: str,
    version: str,
    warnings: list[str],
) -> dict[str, bytes]:
    """The sources, <component>/helmrelease.yaml, values.yaml and manifests/, the root
    kustomization.yaml, flux-kustomization.yaml and README.md.

    Dependencies the deployment order contradicts are left out, with a warning.
    """
    git_url = flux_git_url(repo or REPO_PLACEHOLDER)
    repositories = helm_repository_names(components)
    depends = release_dependencies(recipe, components, warnings)
    # a component of manifests only is waited for through its one release
    release_of = {
        c.name: manifests_release(c.name) if c.manifests_only else c.name for c in components
    }
    files: dict[str, bytes] = {}
    releases: list[FluxRelease] = []
    manifests: dict[str, list[str]] = {}
    for component in components:
        templates = component_manifests(store, component)
        source = "" if component.manifests_only else repositories[chart_source(component)]
        waits_for = tuple(release_of[name] for name in depends[component.name])
        own = component_releases(component, templates, source, waits_for)
        releases += own
        root = component.name
        files[f"{root}/{RELEASE_FILE}"] = "---\n".join(
            dump_yaml(helm_release(r)) for r in own
        ).encode()
        files[f"{root}/{VALUES_FILE}"] = (
            _values_header(component, own) + values_document(component)
        ).encode()
        files.update(
            manifest_chart(
                component,
                templates,
                version,
                root=f"{root}/{MANIFESTS_DIR}",
                values_file=f"{root}/{VALUES_FILE}",
            )
        )
        manifests[component.name] = list(templates)
    files[GIT_SOURCE_FILE] = dump_yaml(git_repository(git_url)).encode()
    files[HELM_SOURCES_FILE] = "---\n".join(
        dump_yaml(helm_repository(name, url)) for url, name in repositories.items()
    ).encode()
    files[KUSTOMIZE_CONFIG_FILE] = (
        HEADERS[KUSTOMIZE_CONFIG_FILE] + dump_yaml(KUSTOMIZE_CONFIG)
    ).encode()
    files[KUSTOMIZATION_FILE] = (
        HEADERS[KUSTOMIZATION_FILE] + dump_yaml(kustomization(components))
    ).encode()
    files[FLUX_KUSTOMIZATION_FILE] = (
        HEADERS[FLUX_KUSTOMIZATION_FILE] + dump_yaml(flux_kustomization())
    ).encode()
    files["README.md"] = render(
        "flux-README.md.j2",
        layout=_layout(components, manifests, git_url, bool(warnings)),
        components=components,
        releases=releases,
        repositories=repositories,
        repo=repo,
        git_url=git_url,
        git_branch=GIT_BRANCH,
        stack=STACK,
        namespace=FLUX_NAMESPACE,
        manifests=manifests,
        manifests_dir=MANIFESTS_DIR,
        files={
            "kustomization": KUSTOMIZATION_FILE,
            "flux_kustomization": FLUX_KUSTOMIZATION_FILE,
            "git_source": GIT_SOURCE_FILE,
            "helm_sources": HELM_SOURCES_FILE,
            "values_file": VALUES_FILE,
        },
        intervals={"git": GIT_INTERVAL, "kustomization": KUSTOMIZATION_INTERVAL},
        timeout=DEPLOY_TIMEOUT,
        kustomization_timeout=KUSTOMIZATION_TIMEOUT,
        retries=RETRIES,
        custom_resource_retries=CUSTOM_RESOURCE_ATTEMPTS,
        warnings=warnings,
        **recipe_summary(recipe, version),
    ).encode()
    return files


def flux_git_url(repo: str) -> str:
    """The ``--repo`` URL as a GitRepository takes it (``http``, ``https`` or ``ssh``):
    scp-like ``git@host:org/repo.git`` becomes ``ssh://git@host/org/repo.git``."""
    match = _SCP_RE.fullmatch(repo)
    if match and "://" not in repo:
        return f"ssh://{match['user']}@{match['host']}/{match['path'].lstrip('/')}"
    if not repo.startswith(("http://", "https://", "ssh://")):
        raise InvalidRequestError(
            f"invalid repo {repo!r} for Flux: a GitRepository takes http://, https:// or "
            "ssh:// URLs (or git@host:path)"
        )
    return repo


def chart_source(component: BundleComponent) -> str:
    """The component's chart repository URL (no trailing slash)."""
    return component.ref.source.rstrip("/")


def helm_repository_names(components: list[BundleComponent]) -> dict[str, str]:
    """``{chart repository URL: HelmRepository name}``, sorted by URL.

    A name is the URL without its scheme, lowercase, every other character run a ``-``
    (``https://helm.ngc.nvidia.com/nvidia`` → ``helm-ngc-nvidia-com-nvidia``); URLs that
    would share a name, and names past 63 characters, end in 8 hex digits of the URL's
    sha256 instead.
    """
    urls = sorted({chart_source(c) for c in components if not c.manifests_only})
    slugs = {url: _slug(url.split("://", 1)[-1]) for url in urls}
    names = {}
    for url, slug in slugs.items():
        shared = sum(1 for other in slugs.values() if other == slug) > 1
        if shared or len(slug) > _NAME_MAX:
            digest = hashlib.sha256(url.encode()).hexdigest()[:8]
            slug = f"{slug[: _NAME_MAX - 9].rstrip('-')}-{digest}"
        names[url] = slug
    return names


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "charts"


def release_dependencies(
    recipe: RecipeResult, components: list[BundleComponent], warnings: list[str]
) -> dict[str, tuple[str, ...]]:
    """Per component, the bundle's components it waits for, in deployment order.

    Those are its recipe dependencies; one the bundle leaves out (``--bundlers``) is
    replaced by that component's own dependencies. A dependency the deployment order
    puts after the component is left out with a warning (waiting would deadlock).
    """
    refs = {ref.name: ref for ref in recipe.component_refs}
    position = {c.name: i for i, c in enumerate(components)}
    out: dict[str, tuple[str, ...]] = {}
    for component in components:
        found: list[str] = []
        seen: set[str] = set()
        pending = list(component.ref.dependency_refs)
        while pending:
            name = pending.pop(0)
            if name in seen or name == component.name:
                continue
            seen.add(name)
            if name in position:
                found.append(name)
            elif name in refs:
                pending += refs[name].dependency_refs
        for name in sorted(found, key=position.__getitem__):
            if position[name] > position[component.name]:
                warnings.append(
                    f"{component.name} depends on {name}, which the deployment order puts "
                    f"after it: its HelmRelease does not wait for {name}"
                )
        out[component.name] = tuple(
            sorted(
                (n for n in found if position[n] < position[component.name]),
                key=position.__getitem__,
            )
        )
    return out


def component_releases(
    component: BundleComponent,
    templates: dict[str, str],
    repository: str,
    depends_on: tuple[str, ...],
) -> list[FluxRelease]:
    """The component's HelmReleases in the order they install: the chart alone, or with
    its manifests chart before it (ConfigMaps) or after it (custom resources). A
    component of manifests only is its manifests chart alone."""
    chart = FluxRelease(component.name, component, component.chart, repository, depends_on)
    if not templates:
        return [chart]
    name = manifests_release(component.name)
    path = f"./{component.name}/{MANIFESTS_DIR}"
    if component.manifests_only:
        retries = CUSTOM_RESOURCE_ATTEMPTS if manifests_after_chart(templates) else RETRIES
        return [FluxRelease(name, component, path, "", depends_on, retries=retries)]
    if manifests_after_chart(templates):
        late = FluxRelease(
            name, component, path, "", (component.name,), retries=CUSTOM_RESOURCE_ATTEMPTS
        )
        return [chart, late]
    early = FluxRelease(name, component, path, "", depends_on)
    return [early, chart._replace(depends_on=(*depends_on, name))]


def values_config_map(component: str) -> str:
    """The name (before kustomize's hash suffix) of a component's values ConfigMap."""
    return f"{component}-values"


def helm_release(release: FluxRelease) -> dict[str, Any]:
    """The HelmRelease object of one release."""
    component = release.component
    if release.from_git:
        chart: dict[str, Any] = {
            "chart": release.chart,
            "sourceRef": {"kind": "GitRepository", "name": STACK},
            # a new chart for every commit, not only when Chart.yaml's version changes
            "reconcileStrategy": "Revision",
        }
    else:
        chart = {
            "chart": release.chart,
            "version": release.version,
            "sourceRef": {"kind": "HelmRepository", "name": release.repository},
        }
    spec: dict[str, Any] = {
        "releaseName": release.name,
        "targetNamespace": component.namespace,
        "storageNamespace": component.namespace,
        "chart": {"spec": chart},
    }
    if release.depends_on:
        spec["dependsOn"] = [{"name": name} for name in release.depends_on]
    spec |= {
        "interval": RELEASE_INTERVAL,
        "timeout": DEPLOY_TIMEOUT,
        "install": {
            "crds": CRD_POLICY,
            "createNamespace": True,
            "remediation": {"retries": release.retries},
        },
        "upgrade": {
            "crds": CRD_POLICY,
            "cleanupOnFail": True,
            "remediation": {
                "retries": release.retries,
                "remediateLastFailure": True,
                "strategy": "rollback",
            },
        },
        "valuesFrom": [
            {
                "kind": "ConfigMap",
                "name": values_config_map(component.name),
                "valuesKey": VALUES_FILE,
            }
        ],
    }
    return {
        "apiVersion": HELM_API,
        "kind": "HelmRelease",
        "metadata": _metadata(release.name),
        "spec": spec,
    }


def helm_repository(name: str, url: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"url": url, "interval": HELM_REPOSITORY_INTERVAL}
    if url.startswith(OCI_PREFIX):
        spec["type"] = "oci"
    return {
        "apiVersion": SOURCE_API,
        "kind": "HelmRepository",
        "metadata": _metadata(name),
        "spec": spec,
    }


def git_repository(url: str) -> dict[str, Any]:
    return {
        "apiVersion": SOURCE_API,
        "kind": "GitRepository",
        "metadata": _metadata(STACK),
        "spec": {"url": url, "ref": {"branch": GIT_BRANCH}, "interval": GIT_INTERVAL},
    }


def flux_kustomization() -> dict[str, Any]:
    return {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "metadata": _metadata(STACK),
        "spec": {
            "sourceRef": {"kind": "GitRepository", "name": STACK},
            "path": "./",
            "prune": True,
            "wait": True,
            "interval": KUSTOMIZATION_INTERVAL,
            "retryInterval": KUSTOMIZATION_RETRY,
            "timeout": KUSTOMIZATION_TIMEOUT,
        },
    }


#: kustomize's name references: generated ConfigMap names reach HelmRelease valuesFrom.
KUSTOMIZE_CONFIG: Mapping[str, Any] = {
    "nameReference": [
        {
            "kind": "ConfigMap",
            "version": "v1",
            "fieldSpecs": [
                {
                    "group": "helm.toolkit.fluxcd.io",
                    "kind": "HelmRelease",
                    "path": "spec/valuesFrom/name",
                }
            ],
        }
    ]
}


def kustomization(components: list[BundleComponent]) -> dict[str, Any]:
    """The root kustomization.yaml: every object file, one values ConfigMap per component."""
    return {
        "apiVersion": KUSTOMIZE_CONFIG_API,
        "kind": "Kustomization",
        "resources": [
            GIT_SOURCE_FILE,
            HELM_SOURCES_FILE,
            *(f"{c.name}/{RELEASE_FILE}" for c in components),
        ],
        "configMapGenerator": [
            {
                "name": values_config_map(c.name),
                "namespace": FLUX_NAMESPACE,
                "files": [f"{VALUES_FILE}={c.name}/{VALUES_FILE}"],
            }
            for c in components
        ],
        "configurations": [KUSTOMIZE_CONFIG_FILE],
    }


def _metadata(name: str) -> dict[str, str]:
    return {"name": name, "namespace": FLUX_NAMESPACE}


def _values_header(component: BundleComponent, releases: list[FluxRelease]) -> str:
    readers = " and ".join(r.name for r in releases)
    noun = "HelmReleases" if len(releases) > 1 else "HelmRelease"
    return (
        f"# Cloud Native Stack: values of {component.name} ({component.described}): the "
        f"ConfigMap {values_config_map(component.name)}, read by the {noun} {readers}\n"
    )


def _layout(
    components: list[BundleComponent],
    manifests: dict[str, list[str]],
    git_url: str,
    with_warnings: bool,
) -> str:
    """Every file and what it is, one per line, for the README."""
    rows = [
        (KUSTOMIZATION_FILE, "every object file below, and a values ConfigMap per component"),
        (
            KUSTOMIZE_CONFIG_FILE,
            "lets kustomize write the ConfigMaps' hashed names into valuesFrom",
        ),
        (FLUX_KUSTOMIZATION_FILE, f"the Flux Kustomization {STACK} that applies this tree"),
        (GIT_SOURCE_FILE, f"GitRepository {STACK}: {git_url} (branch {GIT_BRANCH})"),
        (HELM_SOURCES_FILE, "one HelmRepository per chart repository"),
    ]
    for c in components:
        names = [] if c.manifests_only else [c.name]
        names += [manifests_release(c.name)] if manifests[c.name] else []
        rows.append((f"{c.name}/{RELEASE_FILE}", "HelmRelease " + " and ".join(names)))
        rows.append(
            (f"{c.name}/{VALUES_FILE}", f"its values (ConfigMap {values_config_map(c.name)})")
        )
        if manifests[c.name]:
            root = f"{c.name}/{MANIFESTS_DIR}"
            rows.append((f"{root}/Chart.yaml", f"the chart {manifests_release(c.name)}"))
            rows += [(f"{root}/templates/{name}", "") for name in manifests[c.name]]
    rows.append(("recipe.yaml", "the recipe this bundle was generated from"))
    if with_warnings:
        rows.append(("warnings.txt", "the warnings below"))
    rows.append(("checksums.txt", "SHA-256 of every other file"))
    width = max(len(path) for path, what in rows if what) + 2
    return "\n".join(f"{path:<{width}}{what}".rstrip() for path, what in rows)
