"""Permission checks with SelfSubjectAccessReviews, before anything is created."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .agent_objects import CLUSTER_RULES, NAMESPACE_RULES, RBAC_GROUP
from .client import Cluster

SAR_TIMEOUT = 10.0
PARALLEL_REVIEWS = 8


@dataclass(frozen=True)
class Permission:
    """One verb on one resource, in a namespace or cluster-wide (namespace None)."""

    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None
    subresource: str = ""

    def describe(self) -> str:
        """kubectl-style wording, e.g. ``create roles.rbac.authorization.k8s.io in namespace "x"``."""
        resource = self.resource + (f"/{self.subresource}" if self.subresource else "")
        resource += f".{self.group}" if self.group else ""
        where = f'in namespace "{self.namespace}"' if self.namespace else "cluster-wide"
        return f"{self.verb} {resource} {where}"

    def review(self) -> dict[str, Any]:
        """The SelfSubjectAccessReview asking for this permission."""
        attributes = {"verb": self.verb, "group": self.group, "resource": self.resource}
        if self.namespace:
            attributes["namespace"] = self.namespace
        if self.subresource:
            attributes["subresource"] = self.subresource
        return {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }


def agent_permissions(namespace: str, *, cleanup: bool) -> list[Permission]:
    """Everything deploying the agent needs, including holding the rights its roles grant."""
    ns = namespace
    needed = [
        Permission("create", "serviceaccounts", namespace=ns),
        Permission("create", "roles", RBAC_GROUP, ns),
        Permission("create", "rolebindings", RBAC_GROUP, ns),
        Permission("create", "clusterroles", RBAC_GROUP),
        Permission("create", "clusterrolebindings", RBAC_GROUP),
        Permission("create", "jobs", "batch", ns),
        Permission("get", "jobs", "batch", ns),
        Permission("delete", "jobs", "batch", ns),
        Permission("list", "pods", namespace=ns),
        Permission("get", "pods", namespace=ns, subresource="log"),
        Permission("list", "nodes"),
        Permission("get", "configmaps", namespace=ns),
        Permission("delete", "configmaps", namespace=ns),
    ]
    if cleanup:
        needed += [
            Permission("delete", "serviceaccounts", namespace=ns),
            Permission("delete", "roles", RBAC_GROUP, ns),
            Permission("delete", "rolebindings", RBAC_GROUP, ns),
            Permission("delete", "clusterroles", RBAC_GROUP),
            Permission("delete", "clusterrolebindings", RBAC_GROUP),
        ]
    # RBAC refuses to grant what the caller does not hold itself
    needed += [Permission(v, r.resource, r.group, ns) for r in NAMESPACE_RULES for v in r.verbs]
    needed += [Permission(v, r.resource, r.group) for r in CLUSTER_RULES for v in r.verbs]
    return list(dict.fromkeys(needed))


def missing_permissions(cluster: Cluster, permissions: Iterable[Permission]) -> list[Permission]:
    """The permissions the current user lacks (one SelfSubjectAccessReview each, a few at a time)."""
    permissions = list(permissions)
    with ThreadPoolExecutor(max_workers=PARALLEL_REVIEWS) as pool:
        allowed = list(pool.map(lambda p: _allowed(cluster, p), permissions))
    return [p for p, ok in zip(permissions, allowed, strict=True) if not ok]


def _allowed(cluster: Cluster, permission: Permission) -> bool:
    answer = cluster.call(
        f"checking permission to {permission.describe()}",
        cluster.authorization.create_self_subject_access_review,
        permission.review(),
        timeout=SAR_TIMEOUT,
    )
    return bool((answer.get("status") or {}).get("allowed"))
