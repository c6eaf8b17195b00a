"""The K8s measurement: server version, running images, the GPU Operator ClusterPolicy, this node.

Subtypes, in order: ``server``, ``image``, ``policy``, ``node``. Only the
``nvidia.com`` ClusterPolicy is read (Kyverno's ``ClusterPolicy`` is another thing).
When the node cannot be named or found, the ``node`` subtype is left out with a
warning instead of failing the snapshot, so a laptop pointed at a cluster can snapshot.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...errors import NotFoundError
from ...k8s.client import Cluster, connect
from ..model import Measurement, MeasurementType, Subtype
from .k8s_readings import flatten_spec, images_from_pods, node_readings, server_readings

log = logging.getLogger(__name__)

GPU_OPERATOR_GROUP = "nvidia.com"
CLUSTER_POLICIES = "clusterpolicies"
NODE_NAME_VARIABLES = ("NODE_NAME", "KUBERNETES_NODE_NAME", "HOSTNAME")
PAGE_SIZE = 500


def collect_k8s(*, kubeconfig: str | None, node_name: str | None, timeout: float) -> Measurement:
    """Measure the cluster; UnavailableError when there is no cluster or it cannot be reached."""
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        return max(deadline - time.monotonic(), 0.1)

    with connect(kubeconfig) as cluster:
        version = cluster.call(
            "reading the server version", cluster.version.get_code, timeout=remaining()
        )
        subtypes = [
            Subtype("server", server_readings(version)),
            Subtype("image", dict(images_from_pods(_all_pods(cluster, remaining)))),
            Subtype("policy", dict(_cluster_policy(cluster, remaining))),
        ]
        node = _this_node(cluster, node_name, remaining())
        if node is not None:
            subtypes.append(Subtype("node", node_readings(node)))
    return Measurement(MeasurementType.K8S, subtypes)


def node_name_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """This node's name from NODE_NAME, KUBERNETES_NODE_NAME or HOSTNAME (first one set)."""
    env = os.environ if env is None else env
    for variable in NODE_NAME_VARIABLES:
        value = env.get(variable, "").strip()
        if value:
            return value
    return None


def _all_pods(cluster: Cluster, remaining: Callable[[], float]) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = cluster.call(
            "listing pods in all namespaces",
            cluster.core.list_pod_for_all_namespaces,
            limit=PAGE_SIZE,
            _continue=token,
            timeout=remaining(),
        )
        yield from page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return


def _cluster_policy(cluster: Cluster, remaining: Callable[[], float]) -> dict[str, str]:
    groups = cluster.call(
        "discovering API groups", cluster.apis.get_api_versions, timeout=remaining()
    )
    group = next(
        (g for g in groups.get("groups") or [] if g.get("name") == GPU_OPERATOR_GROUP), None
    )
    if group is None:
        return {}
    version = (group.get("preferredVersion") or {}).get("version") or "v1"
    try:
        policies = cluster.call(
            f"listing {GPU_OPERATOR_GROUP} ClusterPolicies",
            cluster.custom.list_cluster_custom_object,
            GPU_OPERATOR_GROUP,
            version,
            CLUSTER_POLICIES,
            timeout=remaining(),
        )
    except NotFoundError:
        return {}
    merged: dict[str, str] = {}
    for policy in sorted(policies.get("items") or [], key=lambda p: p["metadata"]["name"]):
        merged.update(flatten_spec(policy.get("spec") or {}))
    return dict(sorted(merged.items()))


def _this_node(cluster: Cluster, node_name: str | None, timeout: float) -> dict[str, Any] | None:
    name = node_name or node_name_from_env()
    if not name:
        log.warning(
            "K8s node readings skipped: no node name (pass one or set %s)",
            ", ".join(NODE_NAME_VARIABLES),
        )
        return None
    try:
        node: dict[str, Any] = cluster.call(
            f"reading node {name}", cluster.core.read_node, name, timeout=timeout
        )
    except NotFoundError:
        log.warning("K8s node readings skipped: node %r does not exist in the cluster", name)
        return None
    return node
