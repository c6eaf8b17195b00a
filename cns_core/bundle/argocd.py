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

import json
import re
from typing import Any

from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from . import yamlout
from .common import chart_version, recipe_summary
from .manifests import component_manifests
from .options import REPO_PLACEHOLDER
from .plan import BundleComponent
from .templating import render

ARGOCD_NAMESPACE = "argocd"
APP_OF_APPS = "nvidia-stack"
GITOPS_REVISION = "HEAD"
IN_CLUSTER = "https://kubernetes.default.svc"
REPOSITORIES_FILE = "repositories.yaml"
OCI_PREFIX = "oci://"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
MANIFESTS_DIR = "manifests"

SYNC_OPTIONS = ["CreateNamespace=true", "ServerSideApply=true", "SkipDryRunOnMissingResource=true"]
RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}

MANIFEST_CHART_HEADER = """\
# Cloud Native Stack - recipe manifests of {component}
#
# Rendered by the {component} Application with $values/{component}/values.yaml (the
# values of the {chart} chart), into its namespace. Each template sees those values
# as .Values.{component}, as in the Helm umbrella chart.
"""

#: The render context of a recipe manifest: the root objects, with the component's
#: (flat) chart values moved under ``.Values.<component>``.
_SCOPE = (
    'dict "Values" (dict {component} .Values) "Release" .Release "Chart" .Chart '
    '"Capabilities" .Capabilities "Template" .Template "Files" .Files'
)


def argocd_files(
    recipe: RecipeResult,
    store: RecipeStore,
    components: list[BundleComponent],
    repo: str,
    version: str,
) -> dict[str, bytes]:
    """app-of-apps.yaml, <component>/application.yaml, values.yaml and manifests/, README.md."""
    repo_url = repo or REPO_PLACEHOLDER
    files: dict[str, bytes] = {}
    manifests: dict[str, list[str]] = {}
    for component in components:
        templates = component_manifests(store, component)
        files[f"{component.name}/application.yaml"] = yamlout.dump(
            _application(component, repo_url, bool(templates))
        ).encode()
        files[f"{component.name}/values.yaml"] = _values(component).encode()
        files.update(_manifest_chart(component, templates, version))
        manifests[component.name] = list(templates)
    oci = _oci_repositories(components)
    if oci:
        files[REPOSITORIES_FILE] = "---\n".join(yamlout.dump(s) for s in oci).encode()
    files["app-of-apps.yaml"] = yamlout.dump(_app_of_apps(repo_url, bool(oci))).encode()
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
        **recipe_summary(recipe, version),
    ).encode()
    return files


def chart_source(component: BundleComponent) -> tuple[str, str]:
    """(repoURL, chart) as Argo CD wants them; an OCI registry loses its ``oci://`` scheme."""
    return component.ref.source.removeprefix(OCI_PREFIX).rstrip("/"), component.chart


def _application(component: BundleComponent, repo_url: str, with_manifests: bool) -> dict[str, Any]:
    repo_chart, chart = chart_source(component)
    sources: list[dict[str, Any]] = [
        {
            "repoURL": repo_chart,
            "chart": chart,
            "targetRevision": component.ref.version,
            "helm": _helm(component),
        }
    ]
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
    header = (
        f"# Generated by Cloud Native Stack: values for {component.name} "
        f"(chart {component.chart} {component.ref.version})\n"
    )
    return header + (yamlout.dump(component.values) if component.values else "{}\n")


def _manifest_chart(
    component: BundleComponent, templates: dict[str, str], version: str
) -> dict[str, bytes]:
    """``<component>/manifests/``: Chart.yaml and the scoped templates (nothing if none)."""
    if not templates:
        return {}
    root = f"{component.name}/{MANIFESTS_DIR}"
    chart = {
        "apiVersion": "v2",
        "name": f"{component.name}-{MANIFESTS_DIR}",
        "description": f"Recipe manifests of {component.name} (Cloud Native Stack)",
        "type": "application",
        "version": chart_version(version),
    }
    header = MANIFEST_CHART_HEADER.format(component=component.name, chart=component.chart)
    files = {f"{root}/Chart.yaml": (header + yamlout.dump(chart)).encode()}
    for name, text in templates.items():
        files[f"{root}/templates/{name}"] = _scoped(text, component.name, name).encode()
    return files


def _scoped(text: str, component: str, name: str) -> str:
    """Wrap a manifest so it renders as in the umbrella chart from the flat chart values.

    The manifest becomes a named template, included with a context whose ``.Values``
    is ``{<component>: <the chart values>}``; ``$`` inside it is that context too.
    """
    template = json.dumps(f"cns.manifest.{name}")
    scope = _SCOPE.format(component=json.dumps(component))
    return (
        f"{{{{- define {template} }}}}\n{text}{{{{- end }}}}\n"
        f"{{{{- include {template} ({scope}) }}}}\n"
    )


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
