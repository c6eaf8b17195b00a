"""``cns snapshot --deploy-agent``: take the snapshot in a Job on a cluster node and read it back.

Flow: check permissions (SelfSubjectAccessReviews) and that a node matches → create the
RBAC → replace an earlier agent Job → create the Job → copy its pod's log to stderr →
wait for the Job → read the snapshot from the ConfigMap the Job wrote → delete what this
run created, also after a failure or Ctrl-C. Objects that existed before the run (say,
RBAC a cluster admin applied from ``deployments/agent/``) are used and left alone.

The agent always writes its snapshot to a ConfigMap in its namespace: the ``output``
URI when it is a ``cm://`` in that namespace (kept), else ``cm://<namespace>/<job>``
(an intermediate, deleted with the rest). The caller delivers the returned document to
any ``-o`` (file, ``-``, another ``cm://``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    CNSError,
    InvalidRequestError,
    NotFoundError,
    TimeoutExceededError,
)
from .access import agent_permissions, missing_permissions
from .agent_objects import (
    AGENT_ENV,
    DEFAULT_IMAGE,
    GPU_NODE_SELECTOR,
    GPU_TOLERATION,
    LABELS,
    JobSpec,
    job_object,
    rbac_objects,
)
from .agent_pod import (
    CALL_TIMEOUT,
    STARTED,
    LogCopier,
    job_outcome,
    log_tail,
    pod_summary,
    stuck_reason,
)
from .client import Cluster, ConflictError, PermissionDeniedError, connect
from .configmap import document_from_configmap, is_configmap_uri, parse_configmap_uri
from .names import check_dns_label, check_dns_subdomain

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5
REPLACE_WAIT = 120.0
APPLY_HINT = "kubectl apply -f deployments/agent/"
#: kind → (API group attribute on Cluster, create method, delete method)
_METHODS = {
    "ServiceAccount": (
        "core",
        "create_namespaced_service_account",
        "delete_namespaced_service_account",
    ),
    "Role": ("rbac", "create_namespaced_role", "delete_namespaced_role"),
    "RoleBinding": ("rbac", "create_namespaced_role_binding", "delete_namespaced_role_binding"),
    "ClusterRole": ("rbac", "create_cluster_role", "delete_cluster_role"),
    "ClusterRoleBinding": ("rbac", "create_cluster_role_binding", "delete_cluster_role_binding"),
    "Job": ("batch", "create_namespaced_job", "delete_namespaced_job"),
    "ConfigMap": ("core", "create_namespaced_config_map", "delete_namespaced_config_map"),
}


class AgentFailedError(CNSError):
    """The agent Job ran and failed, or its pod cannot start."""


@dataclass
class AgentOptions:
    """How and where to run the snapshot agent (defaults match upstream's flags)."""

    namespace: str = "gpu-operator"
    image: str = DEFAULT_IMAGE
    image_pull_secrets: tuple[str, ...] = ()
    job_name: str = "cns"
    service_account: str = "cns"
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, str]] = field(default_factory=list)
    timeout: float = 300.0
    cleanup: bool = True
    privileged: bool = True
    output: str = ""
    kubeconfig: str | None = None
    debug: bool = False


@dataclass(frozen=True)
class Clock:
    """What the agent waits with (tests pass one whose sleep advances time instantly)."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def run_agent(options: AgentOptions, *, clock: Clock = Clock()) -> dict[str, Any]:
    """Run the agent Job and return the Snapshot document it wrote (logs stream to stderr)."""
    if os.environ.get(AGENT_ENV):
        raise InvalidRequestError(
            f"--deploy-agent cannot be used inside the snapshot agent ({AGENT_ENV} is set): "
            "the agent takes its snapshot locally"
        )
    plan = plan_agent(options)
    with connect(options.kubeconfig) as cluster:
        run = _AgentRun(cluster, plan, clock)
        run.preflight()
        try:
            return run.execute()
        finally:
            if plan.cleanup:
                run.cleanup()


@dataclass(frozen=True)
class AgentPlan:
    """Validated options: the Job to run and the ConfigMap it writes."""

    job: JobSpec
    target: tuple[str, str]
    keep_target: bool
    cleanup: bool


def plan_agent(options: AgentOptions) -> AgentPlan:
    """Check the options and settle placement and output (no cluster access)."""
    namespace = check_dns_label(options.namespace, "namespace")
    job_name = check_dns_label(options.job_name, "Job name")
    check_dns_subdomain(options.service_account, "service account name")
    for secret in options.image_pull_secrets:
        check_dns_subdomain(secret, "image pull secret name")
    if not options.image.strip() or any(c.isspace() for c in options.image):
        raise InvalidRequestError(f"invalid image {options.image!r}: expected an image reference")
    if not options.timeout > 0:
        raise InvalidRequestError(
            f"invalid timeout {options.timeout!r}: expected a positive duration"
        )
    selector = dict(options.node_selector)
    if not selector:
        selector = dict(GPU_NODE_SELECTOR)
        log.warning(
            "no node selector given: the agent runs on a GPU node (%s); pass "
            "--node-selector kubernetes.io/hostname=<node> to choose the node",
            _selector_text(selector),
        )
    target, keep = (namespace, job_name), False
    if is_configmap_uri(options.output):
        wanted = parse_configmap_uri(options.output)
        if wanted[0] == namespace:
            target, keep = wanted, True
    job = JobSpec(
        namespace=namespace,
        name=job_name,
        service_account=options.service_account,
        image=options.image.strip(),
        output_uri=f"cm://{target[0]}/{target[1]}",
        node_selector=selector,
        tolerations=tuple(options.tolerations or [GPU_TOLERATION]),
        image_pull_secrets=tuple(options.image_pull_secrets),
        privileged=options.privileged,
        debug=options.debug,
        timeout=options.timeout,
    )
    return AgentPlan(job=job, target=target, keep_target=keep, cleanup=options.cleanup)


@dataclass(frozen=True)
class _Created:
    kind: str
    name: str
    namespace: str | None


class _AgentRun:
    """One deployment of the agent on one cluster, remembering what it created."""

    def __init__(self, cluster: Cluster, plan: AgentPlan, clock: Clock) -> None:
        self.cluster = cluster
        self.clock = clock
        self.plan = plan
        self.job = plan.job
        self.created: list[_Created] = []

    def preflight(self) -> None:
        """Fail before creating anything if permissions or a matching node are missing."""
        needed = agent_permissions(self.job.namespace, cleanup=self.plan.cleanup)
        missing = missing_permissions(self.cluster, needed)
        if missing:
            lines = "\n".join(f"  - {p.describe()}" for p in missing)
            raise PermissionDeniedError(
                "insufficient permissions to deploy the snapshot agent; missing:\n"
                f"{lines}\nAsk a cluster admin for them, or to run the agent from the plain "
                f"manifests ({APPLY_HINT}) and read the snapshot from "
                f"cm://{self.job.namespace}/{self.job.name}"
            )
        selector = _selector_text(self.job.node_selector)
        nodes = self._call(
            f"listing nodes matching {selector}",
            self.cluster.core.list_node,
            label_selector=selector,
        )
        if not nodes.get("items"):
            raise NotFoundError(
                f"no node matches the agent's node selector {selector}; pass --node-selector "
                "to choose a node (e.g. kubernetes.io/hostname=<node>)"
            )

    def execute(self) -> dict[str, Any]:
        """Create the objects, run the Job to completion and read the snapshot back."""
        for obj in rbac_objects(self.job.namespace, self.job.service_account):
            self._create(obj)
        target_namespace, target_name = self.plan.target
        self._delete(
            "ConfigMap", target_name, target_namespace
        )  # so a stale snapshot is never read
        self._replace_old_job()
        job = self._create(job_object(self.job))
        if not self.plan.keep_target:
            self.created.append(_Created("ConfigMap", self.plan.target[1], self.plan.target[0]))
        if job is None:
            raise ConflictError(f"Job {self._job_ref} was created by someone else meanwhile; retry")
        self._wait(job["metadata"]["uid"])
        return self._read_snapshot()

    def cleanup(self) -> None:
        """Delete what this run created, newest first; report what could not be deleted."""
        failed = []
        for item in reversed(self.created):
            try:
                self._delete(item.kind, item.name, item.namespace, propagation="Background")
            except CNSError as exc:
                failed.append((item, exc))
        if failed:
            commands = "\n".join(
                f"  kubectl delete {i.kind.lower()} {i.name}"
                + (f" -n {i.namespace}" if i.namespace else "")
                for i, _ in failed
            )
            reasons = "; ".join(str(exc) for _, exc in failed)
            log.warning(
                "cleanup of the snapshot agent was incomplete (%s); delete the rest with:\n%s",
                reasons,
                commands,
            )

    def _create(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        kind, meta = obj["kind"], obj["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        group, create, _ = _METHODS[kind]
        method = getattr(getattr(self.cluster, group), create)
        args = (namespace, obj) if namespace else (obj,)
        try:
            created: dict[str, Any] = self._call(
                f"creating {kind} {_ref(namespace, name)}", method, *args
            )
        except ConflictError:
            log.info(
                "%s %s exists already: using it and leaving it in place",
                kind,
                _ref(namespace, name),
            )
            return None
        self.created.append(_Created(kind, name, namespace))
        return created

    def _delete(
        self, kind: str, name: str, namespace: str | None, propagation: str = "Background"
    ) -> None:
        group, _, delete = _METHODS[kind]
        method = getattr(getattr(self.cluster, group), delete)
        args = (name, namespace) if namespace else (name,)
        with contextlib.suppress(NotFoundError):
            self._call(
                f"deleting {kind} {_ref(namespace, name)}",
                method,
                *args,
                propagation_policy=propagation,
            )

    def _read_job(self) -> dict[str, Any]:
        job: dict[str, Any] = self._call(
            f"reading Job {self._job_ref}",
            self.cluster.batch.read_namespaced_job,
            self.job.name,
            self.job.namespace,
        )
        return job

    def _replace_old_job(self) -> None:
        try:
            old = self._read_job()
        except NotFoundError:
            return
        labels = (old.get("metadata") or {}).get("labels") or {}
        if labels.get("app.kubernetes.io/name") != LABELS["app.kubernetes.io/name"]:
            raise InvalidRequestError(
                f"Job {self._job_ref} exists and was not created by cns; "
                "choose another --job-name or delete that Job"
            )
        log.warning("replacing the earlier agent Job %s", self._job_ref)
        self._delete("Job", self.job.name, self.job.namespace, propagation="Foreground")
        deadline = self.clock.monotonic() + min(REPLACE_WAIT, self.job.timeout)
        while True:
            try:
                self._read_job()
            except NotFoundError:
                return
            if self.clock.monotonic() >= deadline:
                raise TimeoutExceededError(
                    f"the earlier agent Job {self._job_ref} was still being deleted after "
                    f"{_seconds(min(REPLACE_WAIT, self.job.timeout))}; retry later or use another --job-name"
                )
            self.clock.sleep(POLL_INTERVAL)

    def _wait(self, uid: str) -> None:
        deadline = self.clock.monotonic() + self.job.timeout
        logs = LogCopier(self.cluster, self.job.namespace, deadline)
        pod: dict[str, Any] | None = None
        while True:
            outcome, message = job_outcome(self._read_job())
            pod = self._agent_pod(uid) or pod
            if outcome == "Failed":
                logs.finish()
                raise AgentFailedError(
                    f"agent Job {self._job_ref} failed: {message}"
                    f"{log_tail(self.cluster, pod, self.job.namespace)}"
                )
            if pod is not None and (pod.get("status") or {}).get("phase") in STARTED:
                logs.start(pod["metadata"]["name"])
            if outcome == "Complete":
                logs.finish()
                return
            stuck = stuck_reason(pod) if pod is not None else None
            if pod is not None and stuck is not None:
                raise AgentFailedError(
                    f"the agent pod {pod['metadata']['name']} cannot start: {stuck[0]}: "
                    f"{stuck[1]} (image {self.job.image}; check --image and --image-pull-secret)"
                )
            if self.clock.monotonic() >= deadline:
                raise TimeoutExceededError(
                    f"timed out after {_seconds(self.job.timeout)} waiting for the agent Job "
                    f"{self._job_ref} to complete: {pod_summary(pod, self.job)}"
                )
            self.clock.sleep(POLL_INTERVAL)

    def _agent_pod(self, uid: str) -> dict[str, Any] | None:
        pods = self._call(
            f"listing the pods of Job {self._job_ref}",
            self.cluster.core.list_namespaced_pod,
            self.job.namespace,
            label_selector=f"controller-uid={uid}",
        )
        items = sorted(
            pods.get("items") or [], key=lambda p: p["metadata"].get("creationTimestamp", "")
        )
        return items[-1] if items else None

    def _read_snapshot(self) -> dict[str, Any]:
        namespace, name = self.plan.target
        configmap = self._call(
            f"reading the agent's ConfigMap {namespace}/{name}",
            self.cluster.core.read_namespaced_config_map,
            name,
            namespace,
        )
        doc = document_from_configmap(configmap, f"ConfigMap {namespace}/{name}")
        if not isinstance(doc, dict):
            raise InvalidRequestError(
                f"ConfigMap {namespace}/{name} does not hold a Snapshot document"
            )
        return doc

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        return self.cluster.call(what, method, *args, timeout=CALL_TIMEOUT, **kwargs)

    @property
    def _job_ref(self) -> str:
        return _ref(self.job.namespace, self.job.name)


def _selector_text(selector: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _ref(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _seconds(value: float) -> str:
    return f"{value:g}s"
