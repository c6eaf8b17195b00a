"""Every value a bundle writes for a chart is one the chart really reads at its pinned
version (GitHub issue 10, item 4).

For each bundle (every leaf overlay and the generic recipe; Helm and Argo CD; with and
without the four placement flags), every *leaf* value path cns writes for a chart (a
scalar, a list or an empty map) must exist in that chart's values.yaml (a subchart's
values under its key), or in the schema of the custom resource the chart passes the
values into (:data:`VALUES_INTO_CUSTOM_RESOURCE`). A path may stop descending where the
chart's value is free-form (``{}``, ``[]``, null) or a Kubernetes-typed field
(:data:`KUBERNETES_TYPED`). A path found nowhere fails unless
:data:`VALUES_READ_BY_TEMPLATES` names the template of ours that reads it; a path
the chart's values.yaml comments or the CRD mark deprecated or no-op fails too.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

import pytest

from cns_core.recipes import RecipeStore
from tests.support.chart_bundles import (
    ChartValues,
    chart_values,
    leaf_paths,
    load_bundle,
    variant_id,
    variants,
)
from tests.support.chart_reference import ChartData, chart_folder, load_chart

from ..support.k8s_schema import deprecated_descriptions

#: The one allowlist: values paths that values.yaml of the pinned chart does not declare
#: (not even commented out) but a template reads. (component, path glob) -> the template:
#: - ``components/...``: a template of ours in the recipe data (recipes/). Such an entry
#:   counts only while the template exists and names each key of the path (down to a
#:   Kubernetes-typed field) as a word, so a stale or misspelt entry hides nothing.
#: - ``<chart folder>: templates/...``: a template of the upstream chart (not in the
#:   shared data), with the shared README's evidence that it reads the path.
#: ``enabled`` at the top of a component's umbrella values is not listed: it is the
#: umbrella Chart.yaml's ``condition: <component>.enabled``, checked against Chart.yaml.
VALUES_READ_BY_TEMPLATES: dict[tuple[str, str], str] = {
    # the node tuning Skyhook (a component of manifests only): its profile, node
    # selector, tolerations, workload selector, interruption budget, package versions
    # and what the packages tune for
    ("skyhook-customizations", "*"): ("components/skyhook-customizations/manifests/tuning.yaml"),
    # the torch-distributed ClusterTrainingRuntime: scheduler, KAI queue, image and
    # the training pods' placement
    ("kubeflow-trainer", "runtime.*"): (
        "components/kubeflow-trainer/manifests/torch-distributed-runtime.yaml"
    ),
    # the inference gateway: the Gateway's name and listener port
    ("kgateway", "inferenceGateway.*"): "components/kgateway/manifests/inference-gateway.yaml",
    # GPUDirect-TCPXO (a component of manifests only): the installer's image tag; the
    # accelerator types and placement, which both DaemonSets read
    ("gke-nccl-tcpxo", "installerVersion"): (
        "components/gke-nccl-tcpxo/manifests/nccl-tcpxo-installer.yaml"
    ),
    ("gke-nccl-tcpxo", "acceleratorTypes"): (
        "components/gke-nccl-tcpxo/manifests/nri-device-injector.yaml"
    ),
    ("gke-nccl-tcpxo", "nodeSelector*"): (
        "components/gke-nccl-tcpxo/manifests/nri-device-injector.yaml"
    ),
    ("gke-nccl-tcpxo", "tolerations"): (
        "components/gke-nccl-tcpxo/manifests/nri-device-injector.yaml"
    ),
    # the NicClusterPolicy the network-operator 25.4.0 chart no longer renders itself
    ("network-operator", "nicClusterPolicy.*"): (
        "components/network-operator/manifests/nic-cluster-policy.yaml"
    ),
    # README finding 1: "The operator Deployment's operator.nodeSelector [...] do exist"
    # (found by rendering the real chart; values.yaml has no such key)
    ("gpu-operator", "operator.nodeSelector*"): "gpu-operator: templates/operator.yaml",
}

#: Charts that pass their values into a custom resource, where a values path missing
#: from values.yaml is looked up: chart -> (apiVersion, kind, field of the resource).
#: gpu-operator: templates/clusterpolicy.yaml builds the ClusterPolicy's ``spec.<section>``
#: from ``.Values.<section>`` (driver, toolkit, devicePlugin, dcgm, dcgmExporter, gfd,
#: migManager, cdi, daemonsets, hostPaths, ...), so gpu-operator ``<path>`` is checked
#: as ClusterPolicy ``spec.<path>`` (the CRD of the pinned version, under its crds/).
#: Subchart keys (node-feature-discovery) are never mapped.
VALUES_INTO_CUSTOM_RESOURCE: dict[str, tuple[str, str, str]] = {
    "gpu-operator": ("nvidia.com/v1", "ClusterPolicy", "spec"),
}

#: Kubernetes-typed fields: a path may stop here (what is below is the API type's).
KUBERNETES_TYPED = frozenset(
    {
        "affinity",
        "annotations",
        "containerSecurityContext",
        "env",
        "envFrom",
        "extraEnv",
        "extraVolumeMounts",
        "extraVolumes",
        "imagePullSecrets",
        "labels",
        "livenessProbe",
        "nodeAffinity",
        "nodeSelector",
        "podAnnotations",
        "podLabels",
        "podSecurityContext",
        "readinessProbe",
        "resources",
        "securityContext",
        "startupProbe",
        "tolerations",
        "topologySpreadConstraints",
        "volumeMounts",
        "volumes",
    }
)

Failure = tuple[str, str, str]  # (component, path, why)


@pytest.mark.parametrize(
    ("case", "deployer", "placed"),
    variants(),
    ids=[variant_id(*v) for v in variants()],
)
def test_every_value_is_read_by_its_chart(charts, store, case, deployer, placed):
    files = load_bundle(store, case, deployer, placed)
    found: dict[Failure, list[str]] = {}
    for sent in chart_values(files, store):
        for failure in value_failures(sent, store):
            found.setdefault(failure, []).append(sent.source)
    lines = [
        f"{component}: {path}: {why} [{', '.join(sorted(set(sources)))}]"
        for (component, path, why), sources in sorted(found.items())
    ]
    assert not lines, (
        f"{variant_id(case, deployer, placed)}: {len(lines)} value(s) no chart reads, "
        "or deprecated:\n  " + "\n  ".join(lines)
    )


def value_failures(sent: ChartValues, store: RecipeStore) -> list[Failure]:
    """Why each leaf path of ``sent`` is not read by its chart (empty: all are)."""
    entry = store.registry.get(sent.component)
    if not sent.chart and entry is not None and entry.manifests_only:
        return manifests_only_failures(sent, store)
    if not sent.chart:
        return [(sent.component, "*", "no dependency of the umbrella chart has this key")]
    folder = chart_folder(sent.chart, sent.version)
    if folder is None:
        return [(sent.component, "*", f"no reference data for chart {sent.chart} {sent.version}")]
    chart = load_chart(folder)
    out = []
    for path, value in leaf_paths(sent.values):
        why = path_failure(sent, chart, path, value, store)
        if why:
            out.append((sent.component, ".".join(path), why))
    return out


def manifests_only_failures(sent: ChartValues, store: RecipeStore) -> list[Failure]:
    """A component of manifests only has no chart: every value must be one a template of
    ours reads (:data:`VALUES_READ_BY_TEMPLATES`). ``enabled`` at the top of the umbrella
    values is read by the guard of its manifests under ``templates/<component>/``."""
    out = []
    for path, _ in leaf_paths(sent.values):
        if path == ("enabled",) and sent.condition == "guard":
            continue
        why = _allowlisted(sent.component, path, store)
        if why is None:
            why = "not read: no template of ours reads it (the component has no chart)"
        if why:
            out.append((sent.component, ".".join(path), why))
    return out


def path_failure(
    sent: ChartValues, chart: ChartData, path: tuple[str, ...], value: Any, store: RecipeStore
) -> str:
    """Why one leaf path is not (or not usefully) read; ``""`` when it is."""
    if path == ("enabled",) and sent.condition == f"{sent.component}.enabled":
        return ""
    allowed = _allowlisted(sent.component, path, store)
    if allowed is not None:
        return allowed
    for i in range(1, len(path) + 1):
        note = chart.deprecated.get(".".join(path[:i]))
        if note:
            return f"{chart.name} values.yaml marks {'.'.join(path[:i])} deprecated/no-op: {note!r}"
    state, detail = _in_values(chart, path, value)
    resource = _resource_schema(sent.chart, chart, path)
    if resource is not None:
        kind, field, schema = resource
        deprecated = deprecated_descriptions(schema)
        for i in range(1, len(path) + 1):
            spec_path = ".".join((field, *path[:i]))
            if spec_path in deprecated:
                return (
                    f"the {kind} CRD marks {spec_path} deprecated/no-op: {deprecated[spec_path]!r}"
                )
        if state == "missing":
            in_crd, crd_detail = _in_schema(schema["properties"][field], path, field)
            if in_crd:
                return ""
            detail += f"; nor in the {kind} CRD ({crd_detail})"
    if state == "ok":
        return ""
    if state == "mismatch":
        return f"{chart.name} values.yaml: {detail}"
    return f"not read: not in {chart.name} values.yaml ({detail})"


def _allowlisted(component: str, path: tuple[str, ...], store: RecipeStore) -> str | None:
    """``""`` if the allowlist covers the path, a reason if it should but does not hold,
    ``None`` if no entry matches."""
    dotted = ".".join(path)
    for (name, pattern), template in VALUES_READ_BY_TEMPLATES.items():
        if name != component or not fnmatch.fnmatchcase(dotted, pattern):
            continue
        if not template.startswith("components/"):
            return ""
        text = store.file(template)
        if text is None:
            continue
        keys = _to_typed_field(path)
        missing = [k for k in keys if not re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]
        if not missing:
            return ""
        return f"not read: the allowlisted template {template} does not read {', '.join(missing)}"
    return None


def _to_typed_field(path: tuple[str, ...]) -> tuple[str, ...]:
    """The path down to its first Kubernetes-typed field (below it are the API's keys)."""
    for i, key in enumerate(path):
        if key in KUBERNETES_TYPED:
            return path[: i + 1]
    return path


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list):
        return "list"
    return "null" if value is None else type(value).__name__


def _in_values(chart: ChartData, path: tuple[str, ...], value: Any) -> tuple[str, str]:
    """("ok" | "missing" | "mismatch", detail) of a path in the chart's values (keys
    values.yaml documents commented out count as present)."""
    node: Any = chart.values
    for i, key in enumerate(path):
        where = ".".join(path[:i]) or "the top level"
        if not isinstance(node, Mapping):
            return "mismatch", f"{where} is a {_kind(node)}, not a map"
        if key not in node:
            if _documented(chart, path, i):
                return "ok", ""
            return "missing", f"no {key!r} under {where}"
        node = node[key]
        if i < len(path) - 1 and (node in (None, {}, []) or key in KUBERNETES_TYPED):
            return "ok", ""
    # null deletes the chart's default (Helm), an empty map merges nothing
    if node is None or value is None or (isinstance(value, Mapping) and not value):
        return "ok", ""
    if isinstance(node, Mapping) and node and not isinstance(value, Mapping):
        return "mismatch", f"{'.'.join(path)} is a map, cns writes a {_kind(value)}"
    if isinstance(node, list) != isinstance(value, list):
        return "mismatch", f"{'.'.join(path)} is a {_kind(node)}, cns writes a {_kind(value)}"
    return "ok", ""


def _documented(chart: ChartData, path: tuple[str, ...], start: int) -> bool:
    """Whether values.yaml documents ``path`` (from ``path[start]`` on) as commented-out
    keys, down to its end or to a Kubernetes-typed field."""
    for j in range(start, len(path)):
        if ".".join(path[: j + 1]) not in chart.documented:
            return False
        if path[j] in KUBERNETES_TYPED:
            return True
    return True


def _resource_schema(
    chart_name: str, chart: ChartData, path: tuple[str, ...]
) -> tuple[str, str, Mapping[str, Any]] | None:
    """(kind, field, openAPIV3Schema) of the custom resource the values go into, if any."""
    mapping = VALUES_INTO_CUSTOM_RESOURCE.get(chart_name)
    if mapping is None or path[0] in chart.subcharts or path[0] == "global":
        return None
    api_version, kind, field = mapping
    schema = chart.crds.get((api_version, kind))
    assert schema is not None, f"{chart.name}/crds/ has no {kind} ({api_version})"
    return kind, field, schema


def _in_schema(node: Mapping[str, Any], path: tuple[str, ...], root: str) -> tuple[bool, str]:
    """Whether a path exists in a CRD schema node (free-form and typed fields end it)."""
    for i, key in enumerate(path):
        where = ".".join((root, *path[:i]))
        if node.get("x-kubernetes-preserve-unknown-fields") is True:
            return True, ""
        props = node.get("properties")
        extra = node.get("additionalProperties")
        if isinstance(props, Mapping) and key in props:
            node = props[key]
        elif isinstance(extra, Mapping):
            node = extra
        elif extra is True:
            return True, ""
        else:
            return False, f"{where} has no {key!r}"
        if i < len(path) - 1 and key in KUBERNETES_TYPED:
            return True, ""
    return True, ""
