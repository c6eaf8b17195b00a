"""A component's recipe manifests: Helm templates shipped in the recipe data.

The templates read the component's values as ``index .Values "<component>"`` and
deploy to ``.Release.Namespace``. The umbrella chart renders them under
``templates/<component>/``; every deployer can also ship them as a small chart of
their own (:func:`manifest_chart`) that renders from the component's flat values.

A manifest that creates a *custom resource* (its ``apiVersion`` group is not a
built-in Kubernetes API group) needs its CRD, and often the operator's webhook,
before it can be applied. Charts such as Skyhook's create their CRD as a template,
so such a manifest must never share a release with its component's chart: the
umbrella chart leaves it out, and it is installed afterwards from its own chart.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from typing import Any

from ..errors import InvalidRequestError
from ..recipes.store import NOT_REFERENCED, RecipeStore
from ..serialize import dump_yaml
from .describe import chart_version
from .plan import BundleComponent

MANIFESTS_DIR = "manifests"

#: API groups served by Kubernetes itself ("" is the core group, ``apiVersion: v1``).
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apps",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
    }
)
_API_VERSION_RE = re.compile(r"^\s*apiVersion:\s*[\"']?([^\s\"'#]+)", re.MULTILINE)

MANIFEST_CHART_HEADER = """\
# Cloud Native Stack - recipe manifests of {component}
#
# Rendered with the values of {chart} ({values}), into the component's
# namespace. Each template sees those values as .Values.{component}, as in the Helm
# umbrella chart.
"""

#: The render context of a recipe manifest: the root objects, with the component's
#: (flat) chart values moved under ``.Values.<component>``.
_SCOPE = (
    'dict "Values" (dict {component} .Values) "Release" .Release "Chart" .Chart '
    '"Capabilities" .Capabilities "Template" .Template "Files" .Files'
)


def component_manifests(store: RecipeStore, component: BundleComponent) -> dict[str, str]:
    """The component's manifests by file name, in recipe order, each ending with a newline.

    A manifest missing from the recipe data, or two with the same file name, is an error.
    """
    out: dict[str, str] = {}
    for path in component.ref.manifest_files:
        text = store.file(path)
        if text is None:
            raise InvalidRequestError(
                f"component {component.name}: manifest {path!r} {NOT_REFERENCED}"
            )
        name = posixpath.basename(path)
        if name in out:
            raise InvalidRequestError(
                f"component {component.name}: two manifests share the file name "
                f"{name!r}; rename one"
            )
        out[name] = text if text.endswith("\n") else text + "\n"
    return out


@functools.lru_cache(maxsize=1024)
def creates_custom_resource(text: str) -> bool:
    """Whether a manifest template names an ``apiVersion`` outside the built-in groups
    (remembered per text: every bundle asks it of the same manifests, several times)."""
    groups = {v.rpartition("/")[0] for v in _API_VERSION_RE.findall(text)}
    return not groups <= BUILTIN_GROUPS


def manifests_after_chart(templates: dict[str, str]) -> bool:
    """Whether a component's manifests go after its chart (they create custom resources)
    rather than before it (ConfigMaps its workloads read)."""
    return any(creates_custom_resource(t) for t in templates.values())


def manifests_release(component: str) -> str:
    """The name of the release that installs a component's manifests chart."""
    return f"{component}-{MANIFESTS_DIR}"


def manifest_chart(
    component: BundleComponent,
    templates: dict[str, str],
    version: str,
    *,
    root: str,
    values_file: str,
) -> dict[str, bytes]:
    """``<root>/Chart.yaml`` and ``<root>/templates/<file>``: the manifests as their own chart.

    ``values_file`` names (for the header) the file it is rendered with. Nothing is
    returned when there are no templates.
    """
    if not templates:
        return {}
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": f"{component.name}-{MANIFESTS_DIR}",
        "description": f"Recipe manifests of {component.name} (Cloud Native Stack)",
        "type": "application",
        "version": chart_version(version),
    }
    header = MANIFEST_CHART_HEADER.format(
        component=component.name,
        chart=f"the {component.chart} chart" if component.chart else component.name,
        values=values_file,
    )
    files = {f"{root}/Chart.yaml": (header + dump_yaml(chart)).encode()}
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
