"""The snapshot agent's Kubernetes objects: ServiceAccount, RBAC and the Job.

The same builders produce what ``cns snapshot --deploy-agent`` creates and the plain
manifests shipped under ``deployments/agent/`` (see :func:`render_manifests`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..serialize import dump_yaml

#: The image this repository's Dockerfile builds (``docker build -t cns:<version> .``), named
#: as the Helm chart names it (repository ``cns``, tag the chart's appVersion).
DEFAULT_IMAGE = f"cns:{__version__}"
#: A snapshot reads files, a few APIs and NVML, once (about 60 MiB resident): small
#: requests so that it schedules on a busy GPU node, limits that stop a runaway.
AGENT_REQUESTS = ("100m", "128Mi", "64Mi")
AGENT_LIMITS = ("1", "512Mi", "256Mi")
AGENT_ENV = "CNS_AGENT"
CONTAINER = "cns"
LABELS = {"app.kubernetes.io/name": "cns", "app.kubernetes.io/component": "snapshot-agent"}
NODE_READER = "cns-node-reader"
#: labelled by GPU Feature Discovery on every node with an NVIDIA GPU
GPU_NODE_SELECTOR = {"nvidia.com/gpu.present": "true"}
#: the taint GPU node pools commonly carry (EKS, GKE, AKS GPU pools)
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
#: the Job outlives the CLI's wait by this much at most
DEADLINE_MARGIN_SECONDS = 60
TTL_AFTER_FINISHED_SECONDS = 3600
RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Rule:
    """One RBAC rule: verbs on a resource of an API group ("" is the core group)."""

    group: str
    resource: str
    verbs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"apiGroups": [self.group], "resources": [self.resource], "verbs": list(self.verbs)}


#: what the agent may do in its namespace: write its snapshot ConfigMap
NAMESPACE_RULES = (Rule("", "configmaps", ("get", "create", "update", "patch")),)
#: what the agent reads cluster-wide for the K8s measurement
CLUSTER_RULES = (
    Rule("", "nodes", ("get", "list")),
    Rule("", "pods", ("get", "list")),
    Rule("nvidia.com", "clusterpolicies", ("get", "list")),
)


def cluster_binding_name(namespace: str, service_account: str) -> str:
    """The ClusterRoleBinding name: one per agent ServiceAccount, so agents do not collide."""
    return f"{NODE_READER}-{namespace}-{service_account}"


def rbac_objects(namespace: str, service_account: str) -> list[dict[str, Any]]:
    """ServiceAccount, Role, RoleBinding, ClusterRole and ClusterRoleBinding, in creation order."""
    subject = {"kind": "ServiceAccount", "name": service_account, "namespace": namespace}
    return [
        _object("v1", "ServiceAccount", service_account, namespace),
        {
            **_object(f"{RBAC_GROUP}/v1", "Role", service_account, namespace),
            "rules": [rule.to_dict() for rule in NAMESPACE_RULES],
        },
        {
            **_object(f"{RBAC_GROUP}/v1", "RoleBinding", service_account, namespace),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": service_account},
            "subjects": [subject],
        },
        {
            **_object(f"{RBAC_GROUP}/v1", "ClusterRole", NODE_READER, None),
            "rules": [rule.to_dict() for rule in CLUSTER_RULES],
        },
        {
            **_object(
                f"{RBAC_GROUP}/v1",
                "ClusterRoleBinding",
                cluster_binding_name(namespace, service_account),
                None,
            ),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": NODE_READER},
            "subjects": [subject],
        },
    ]


@dataclass(frozen=True)
class JobSpec:
    """Everything that shapes the agent Job."""

    namespace: str
    name: str
    service_account: str
    image: str
    output_uri: str
    node_selector: Mapping[str, str]
    tolerations: tuple[Mapping[str, str], ...]
    image_pull_secrets: tuple[str, ...] = ()
    privileged: bool = True
    debug: bool = False
    timeout: float = 300.0


def job_object(spec: JobSpec) -> dict[str, Any]:
    """The agent Job: one pod running ``cns snapshot -o <output_uri>`` on the selected node."""
    args = ["--debug"] if spec.debug else []
    args += ["snapshot", "--output", spec.output_uri, "--format", "yaml"]
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": spec.image,
        "args": args,
        "env": [
            {"name": AGENT_ENV, "value": "1"},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    pod: dict[str, Any] = {
        "serviceAccountName": spec.service_account,
        "restartPolicy": "Never",
        "nodeSelector": dict(spec.node_selector),
        "tolerations": [dict(t) for t in spec.tolerations],
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if spec.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in spec.image_pull_secrets]
    (_privileged if spec.privileged else _restricted)(pod, container)
    return {
        **_object("batch/v1", "Job", spec.name, spec.namespace),
        "spec": {
            "completions": 1,
            "parallelism": 1,
            "completionMode": "NonIndexed",
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": TTL_AFTER_FINISHED_SECONDS,
            "activeDeadlineSeconds": math.ceil(spec.timeout) + DEADLINE_MARGIN_SECONDS,
            "template": {"metadata": {"labels": dict(LABELS)}, "spec": pod},
        },
    }


def _privileged(pod: dict[str, Any], container: dict[str, Any]) -> None:
    """Host namespaces, root and SYS_ADMIN: full OS, SystemD (D-Bus) and GPU readings."""
    pod.update(hostPID=True, hostNetwork=True, hostIPC=True)
    pod["dnsPolicy"] = "ClusterFirstWithHostNet"
    pod["securityContext"] = {
        "runAsUser": 0,
        "runAsGroup": 0,
        "fsGroup": 0,
        "fsGroupChangePolicy": "OnRootMismatch",
    }
    container["resources"] = _resources(AGENT_REQUESTS, AGENT_LIMITS)
    container["securityContext"] = {
        "privileged": True,
        "runAsUser": 0,
        "allowPrivilegeEscalation": True,
        "capabilities": {"add": ["SYS_ADMIN", "SYS_CHROOT"]},
    }
    container["volumeMounts"].append(
        {"name": "run-systemd", "mountPath": "/run/systemd", "readOnly": True}
    )
    pod["volumes"].append(
        {"name": "run-systemd", "hostPath": {"path": "/run/systemd", "type": "Directory"}}
    )


def _restricted(pod: dict[str, Any], container: dict[str, Any]) -> None:
    """Pod Security "restricted": non-root, no privileges; SystemD and some OS readings are lost."""
    pod["securityContext"] = {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container["resources"] = _resources(AGENT_REQUESTS, AGENT_LIMITS)
    container["securityContext"] = {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _resources(requests: tuple[str, str, str], limits: tuple[str, str, str]) -> dict[str, Any]:
    keys = ("cpu", "memory", "ephemeral-storage")
    return {
        "requests": dict(zip(keys, requests, strict=True)),
        "limits": dict(zip(keys, limits, strict=True)),
    }


def _object(api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": dict(LABELS)}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def render_manifests(objects: Iterable[Mapping[str, Any]]) -> str:
    """Objects as one multi-document YAML stream, as ``kubectl apply -f`` reads it."""
    return "---\n".join(dump_yaml(dict(obj)) for obj in objects)
