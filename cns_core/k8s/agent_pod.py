"""Watching the snapshot agent's Job and pod: the outcome, why it is not done yet, its log."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from ..errors import CNSError
from .agent_objects import CONTAINER, JobSpec
from .client import Cluster, request_timeout

log = logging.getLogger(__name__)

CALL_TIMEOUT = 30.0
LOG_TAIL_LINES = 20
#: container states that will not fix themselves
STUCK_REASONS = frozenset(
    {"ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "ErrImageNeverPull"}
)
#: pod phases in which its log can be read
STARTED = frozenset({"Running", "Succeeded", "Failed"})


def stuck_reason(pod: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(reason, message)`` when a container of the pod is waiting for good, else None."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in STUCK_REASONS:
            return waiting["reason"], waiting.get("message", "")
    return None


def log_tail(cluster: Cluster, pod: Mapping[str, Any] | None, namespace: str) -> str:
    """The last lines of the agent container's log, framed for an error message."""
    if pod is None:
        return ""
    try:
        text = cluster.call_raw(
            "reading the agent's log",
            cluster.core.read_namespaced_pod_log,
            pod["metadata"]["name"],
            namespace,
            container=CONTAINER,
            tail_lines=LOG_TAIL_LINES,
            timeout=CALL_TIMEOUT,
        ).decode("utf-8", "replace")
    except CNSError as exc:
        return f"\n(the agent's log could not be read: {exc})"
    return f"\n--- agent log (last {LOG_TAIL_LINES} lines) ---\n{text.rstrip()}\n--- end of agent log ---"


class LogCopier:
    """Copies the agent container's log to stderr while it runs, from a background thread."""

    def __init__(self, cluster: Cluster, namespace: str, deadline: float) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.deadline = deadline
        self.thread: threading.Thread | None = None

    def start(self, pod: str) -> None:
        if self.thread is None:
            self.thread = threading.Thread(
                target=self._copy, args=(pod,), name="cns-agent-log", daemon=True
            )
            self.thread.start()

    def finish(self, wait: float = 5.0) -> None:
        """Let the copy drain the last lines (the log ends when the container exits)."""
        if self.thread is not None:
            self.thread.join(wait)

    def _copy(self, pod: str) -> None:
        seconds = max(self.deadline - time.monotonic(), 1.0)
        try:
            with self.cluster.errors("streaming the agent's log", seconds):
                response = self.cluster.core.read_namespaced_pod_log(
                    pod,
                    self.namespace,
                    container=CONTAINER,
                    follow=True,
                    _preload_content=False,
                    _request_timeout=request_timeout(seconds),
                )
                for line in response:
                    sys.stderr.write(line.decode("utf-8", "replace"))
                    sys.stderr.flush()
        except CNSError as exc:
            log.warning("copying the agent's log stopped: %s", exc)


def job_outcome(job: Mapping[str, Any]) -> tuple[str | None, str]:
    """``("Complete" | "Failed" | None, message)`` from a Job's conditions."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        kind = condition.get("type")
        if kind == "Complete":
            return "Complete", ""
        if kind in ("Failed", "FailureTarget"):
            reason, message = condition.get("reason", ""), condition.get("message", "")
            return "Failed", ": ".join(
                part for part in (reason, message) if part
            ) or "no reason given"
    return None, ""


def pod_summary(pod: Mapping[str, Any] | None, job: JobSpec) -> str:
    """Why the agent pod is not done yet, in words a user can act on."""
    if pod is None:
        hint = (
            " (Pod Security admission may refuse the privileged pod: try --privileged=false)"
            if job.privileged
            else ""
        )
        return f"no agent pod was created; see kubectl describe job {job.name} -n {job.namespace}{hint}"
    name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return (
                f"pod {name} is not scheduled: {condition.get('message') or condition.get('reason', '')}"
                " (check --node-selector and --toleration)"
            )
    return f"pod {name} is {status.get('phase', 'Unknown')}"
