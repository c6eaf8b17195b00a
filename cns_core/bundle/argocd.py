"""Argo CD deployer: one multi-source Application per component plus an app of apps.

Each Application takes the chart from its repository (by its real chart name and
its published version, ``v`` kept) and its values from the GitOps repository the
bundle is pushed to (``--repo``). Sync waves follow the deployment order.

Custom resources whose CRDs another component installs (cert-manager's and the
GPU operator's ServiceMonitors need kube-prometheus-stack's monitoring.coreos.com
CRDs) are handled with ``SkipDryRunOnMissingResource=true`` and a retry with
backoff, so the sync converges once the CRDs exist, whatever the wave order.

A component's recipe manifests (see :mod:`.manifests`) become a small local chart,
``<component>/manifests/``, added as a third source of the component's own
Application: it renders with the same ``<component>/values.yaml`` as the chart, into the
same namespace, and syncs together with it (Argo CD applies ConfigMaps before the
workloads and CRDs before custom resources within one sync).
"""

from __future__ import annotations

import re
from typing import Any

from ..nested_maps import deep_merge
from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from ..serialize import dump_yaml
from .describe import recipe_summary
from .options import REPO_PLACEHOLDER
from .plan import BundleComponent
from .recipe_manifests import MANIFESTS_DIR, component_manifests, manifest_chart
from .templating import render

ARGOCD_NAMESPACE = "argocd"
APP_OF_APPS = "nvidia-stack"
GITOPS_REVISION = "HEAD"
IN_CLUSTER = "https://kubernetes.default.svc"
REPOSITORIES_FILE = "repositories.yaml"
OCI_PREFIX = "oci://"
FINALIZER = "resources-finalizer.argocd.argoproj.io"

SYNC_OPTIONS = ["CreateNamespace=true", "ServerSideApply=true", "SkipDryRunOnMissingResource=true"]
RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


def argocd_files(
    recipe: RecipeResult,
    store: RecipeStore,
    components: list[BundleComponent],
    repo: str,
    version: str,
    warnings: list[str],
) -> dict[str, bytes]:
    """app-of-apps.yaml, <component>/application.yaml, values.yaml and manifests/, README.md.

    What the user must do before the first sync is appended to ``warnings``.
    """
    repo_url = repo or REPO_PLACEHOLDER
    files: dict[str, bytes] = {}
    manifests: dict[str, list[str]] = {}
    for component in components:
        templates = component_manifests(store, component)
        files[f"{component.name}/application.yaml"] = dump_yaml(
            _application(component, repo_url, bool(templates))
        ).encode()
        files[f"{component.name}/values.yaml"] = _values(component).encode()
        files.update(
            manifest_chart(
                component,
                templates,
                version,
                root=f"{component.name}/{MANIFESTS_DIR}",
                values_file=f"{component.name}/values.yaml",
            )
        )
        if component.offline_render.note:
            warnings.append(
                f"{component.name}: "
                + component.offline_render.note.format(namespace=component.namespace)
            )
        manifests[component.name] = list(templates)
    oci = _oci_repositories(components)
    if oci:
        files[REPOSITORIES_FILE] = "---\n".join(dump_yaml(s) for s in oci).encode()
    files["app-of-apps.yaml"] = dump_yaml(_app_of_apps(repo_url, bool(oci))).encode()
    files["README.md"] = render(
        "argocd-README.md.j2",
        components=components,
        repo=repo,
        repo_url=repo_url,
        app_of_apps=APP_OF_APPS,
        oci_repositories=[s["stringData"]["url"] for s in oci],
        manifests=manifests,
        manifests_dir=MANIFESTS_DIR,
        chart_source=chart_source,
        warnings=warnings,
        **recipe_summary(recipe, version),
    ).encode()
    return files


def chart_source(component: BundleComponent) -> tuple[str, str]:
    """(repoURL, chart) as Argo CD wants them; an OCI registry loses its ``oci://`` scheme."""
    return component.ref.source.removeprefix(OCI_PREFIX).rstrip("/"), component.chart


def _application(component: BundleComponent, repo_url: str, with_manifests: bool) -> dict[str, Any]:
    repo_chart, chart = chart_source(component)
    sources: list[dict[str, Any]] = []
    if not component.manifests_only:
        sources.append(
            {
                "repoURL": repo_chart,
                "chart": chart,
                "targetRevision": component.ref.version,
                "helm": _helm(component),
            }
        )
    if with_manifests:
        sources.append(
            {
                "repoURL": repo_url,
                "path": f"{component.name}/{MANIFESTS_DIR}",
                "targetRevision": GITOPS_REVISION,
                "helm": _helm(component),
            }
        )
    sources.append({"repoURL": repo_url, "targetRevision": GITOPS_REVISION, "ref": "values"})
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": component.name,
            "namespace": ARGOCD_NAMESPACE,
            "annotations": {"argocd.argoproj.io/sync-wave": str(component.wave)},
            "finalizers": [FINALIZER],
        },
        "spec": {
            "project": "default",
            "sources": sources,
            "destination": {"server": IN_CLUSTER, "namespace": component.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": list(SYNC_OPTIONS),
                "retry": RETRY,
            },
        },
    }


def _helm(component: BundleComponent) -> dict[str, Any]:
    """Helm settings of a source: the component's release name and its values file."""
    return {
        "releaseName": component.name,
        "valueFiles": [f"$values/{component.name}/values.yaml"],
    }


def _values(component: BundleComponent) -> str:
    """The component's values, with those for offline rendering (``helm template``) merged in."""
    header = (
        f"# Generated by Cloud Native Stack: values for {component.name} ({component.described})\n"
    )
    values = deep_merge(component.values, component.offline_render.values)
    return header + (dump_yaml(values) if values else "{}\n")


def _oci_repositories(components: list[BundleComponent]) -> list[dict[str, Any]]:
    """Argo CD repository Secrets for OCI chart registries (Helm OCI needs enableOCI)."""
    urls = sorted({chart_source(c)[0] for c in components if c.ref.source.startswith(OCI_PREFIX)})
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "cns-repo-" + re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-"),
                "namespace": ARGOCD_NAMESPACE,
                "labels": {"argocd.argoproj.io/secret-type": "repository"},
                "annotations": {"argocd.argoproj.io/sync-wave": "-1"},
            },
            "stringData": {"name": url, "type": "helm", "url": url, "enableOCI": "true"},
        }
        for url in urls
    ]


def _app_of_apps(repo_url: str, with_repositories: bool) -> dict[str, Any]:
    include = (
        f"{{*/application.yaml,{REPOSITORIES_FILE}}}"
        if with_repositories
        else ("*/application.yaml")
    )
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": APP_OF_APPS,
            "namespace": ARGOCD_NAMESPACE,
            "finalizers": [FINALIZER],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": repo_url,
                "targetRevision": GITOPS_REVISION,
                "path": ".",
                "directory": {"recurse": True, "include": include},
            },
            "destination": {"server": IN_CLUSTER, "namespace": ARGOCD_NAMESPACE},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }
