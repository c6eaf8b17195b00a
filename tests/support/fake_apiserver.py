"""A small fake Kubernetes API server for tests: real HTTP on 127.0.0.1, in-memory objects.

It answers the REST calls the real ``kubernetes`` client makes for cns: /version,
/api and /apis discovery, nodes, pods (list, log with follow), configmaps (get,
delete, server-side apply), serviceaccounts, RBAC objects, jobs, custom
clusterpolicies and SelfSubjectAccessReviews. A bearer token is required.

A test drives scenarios by choosing an :class:`AgentScript`: when a Job is created,
a "kubelet" thread plays it out (pod Pending → Running with log lines → snapshot
ConfigMap written → Succeeded → Job Complete, or a failure, a hang, an image that
cannot be pulled, an unschedulable pod).
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "fake-token"
#: the GPU node of the EKS-like cluster (the ``eks_cluster`` fixture of tests/k8s)
GPU_NODE = "ip-10-0-160-248.ec2.internal"

#: (path prefix, plural) → (kind, namespaced)
RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("/api/v1", "nodes"): ("Node", False),
    ("/api/v1", "pods"): ("Pod", True),
    ("/api/v1", "configmaps"): ("ConfigMap", True),
    ("/api/v1", "serviceaccounts"): ("ServiceAccount", True),
    ("/apis/rbac.authorization.k8s.io/v1", "roles"): ("Role", True),
    ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True),
    ("/apis/rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False),
    ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False),
    ("/apis/batch/v1", "jobs"): ("Job", True),
    ("/apis/nvidia.com/v1", "clusterpolicies"): ("ClusterPolicy", False),
    ("/apis/kyverno.io/v1", "clusterpolicies"): ("ClusterPolicy", False),
}
SAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.5-eks-3025e55",
    "gitCommit": "3025e55",
    "gitTreeState": "clean",
    "buildDate": "2025-09-10T00:00:00Z",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def write_kubeconfig(path: Path, server: str, token: str = TOKEN) -> Path:
    """A kubeconfig (JSON is YAML) with one context: ``server`` with a bearer ``token``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "fake", "user": {"token": token}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        "current-context": "fake",
    }
    path.write_text(json.dumps(config))
    return path


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any


@dataclass
class AgentScript:
    """How the fake kubelet plays out a created agent Job."""

    outcome: str = "complete"  # complete | fail | hang | image-pull | unschedulable | no-pod
    log_lines: tuple[str, ...] = ("collecting snapshot", "snapshot written")
    document: str = "kind: Snapshot\napiVersion: cns.nvidia.com/v1alpha1\nmeasurements: []\n"
    key: str = "snapshot.yaml"
    step: float = 0.05


@dataclass
class FakeAPIServer:
    """The fake API server; use as a context manager (``with FakeAPIServer() as api``)."""

    script: AgentScript = field(default_factory=AgentScript)
    denied: set[tuple[str, str]] = field(default_factory=set)
    #: GETs a Job deleted with foreground propagation still answers before it is gone
    deletion_gets: int = 0
    #: resources (plurals) whose DELETE answers 403
    refuse_delete: set[str] = field(default_factory=set)
    page_size: int = 0
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    logs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    lock: threading.Condition = field(default_factory=threading.Condition)
    _pending_deletes: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    _counter: Any = field(default_factory=lambda: itertools.count(1))

    def __enter__(self) -> FakeAPIServer:
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.script = AgentScript(outcome="hang")
            self.lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def write_kubeconfig(self, path: Path, token: str = TOKEN) -> Path:
        """A kubeconfig pointing at this server."""
        return write_kubeconfig(path, self.url, token)

    # --- the object store -------------------------------------------------------------

    def add(self, prefix: str, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store an object as if it had been created (fills uid, resourceVersion, timestamps)."""
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", f"2026-01-01T00:00:{next(self._counter) % 60:02d}Z")
        meta["resourceVersion"] = str(next(self._counter))
        kind, _ = RESOURCES[(prefix, plural)]
        obj.setdefault("kind", kind)
        obj.setdefault("apiVersion", prefix.removeprefix("/api/").removeprefix("/apis/"))
        with self.lock:
            self.objects[(prefix, plural, meta.get("namespace", ""), meta["name"])] = obj
            self.lock.notify_all()
        return obj

    def get(self, prefix: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self.objects.get((prefix, plural, namespace, name))

    def names(self, prefix: str, plural: str) -> list[str]:
        with self.lock:
            return sorted(
                f"{k[2]}/{k[3]}".lstrip("/") for k in self.objects if k[:2] == (prefix, plural)
            )

    def calls(self, method: str, path_part: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- the fake kubelet -------------------------------------------------------------

    def play_job(self, job: dict[str, Any]) -> None:
        threading.Thread(target=self._play, args=(job,), daemon=True).start()

    def _play(self, job: dict[str, Any]) -> None:
        script = self.script
        if script.outcome == "no-pod":
            return
        meta, pod_spec = job["metadata"], job["spec"]["template"]["spec"]
        namespace, uid = meta["namespace"], meta["uid"]
        pod_name = f"{meta['name']}-{uid[:5]}"
        pod = self.add(
            "/api/v1",
            "pods",
            {
                "metadata": {
                    "name": pod_name,
                    "namespace": namespace,
                    "labels": {
                        "controller-uid": uid,
                        "batch.kubernetes.io/controller-uid": uid,
                        "job-name": meta["name"],
                    },
                },
                "spec": {**pod_spec, "nodeName": "gpu-node-1"},
                "status": {"phase": "Pending"},
            },
        )
        time.sleep(script.step)
        if script.outcome in ("hang", "image-pull", "unschedulable"):
            self._set_status(pod, _PENDING[script.outcome])
            return
        self._set_status(pod, {"phase": "Running"})
        for line in script.log_lines:
            self.append_log(namespace, pod_name, line)
            time.sleep(script.step / 5)
        if script.outcome == "complete":
            self._write_snapshot(job)
            self._set_status(pod, {"phase": "Succeeded"})
            self._set_status(job, {"succeeded": 1, "conditions": [_condition("Complete")]})
        else:
            self._set_status(pod, {"phase": "Failed"})
            self._set_status(
                job,
                {
                    "failed": 1,
                    "conditions": [
                        _condition(
                            "Failed",
                            "BackoffLimitExceeded",
                            "Job has reached the specified backoff limit",
                        )
                    ],
                },
            )

    def append_log(self, namespace: str, pod: str, line: str) -> None:
        with self.lock:
            self.logs.setdefault((namespace, pod), []).append(line + "\n")
            self.lock.notify_all()

    def _write_snapshot(self, job: dict[str, Any]) -> None:
        args = job["spec"]["template"]["spec"]["containers"][0]["args"]
        namespace, name = args[args.index("--output") + 1].removeprefix("cm://").split("/")
        self.add(
            "/api/v1",
            "configmaps",
            {
                "metadata": {"name": name, "namespace": namespace},
                "data": {self.script.key: self.script.document, "format": "yaml"},
            },
        )

    def _set_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        with self.lock:
            obj["status"] = status
            obj["metadata"]["resourceVersion"] = str(next(self._counter))
            self.lock.notify_all()


_PENDING: dict[str, dict[str, Any]] = {
    "hang": {"phase": "Pending"},
    "image-pull": {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "cns",
                "ready": False,
                "restartCount": 0,
                "image": "example.com/missing:1",
                "imageID": "",
                "state": {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": 'Back-off pulling image "example.com/missing:1"',
                    }
                },
            }
        ],
    },
    "unschedulable": {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}.",
            }
        ],
    },
}


def _condition(kind: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": "True", "reason": reason, "message": message}


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # parallel SelfSubjectAccessReviews must not overflow the backlog


class _Handler(BaseHTTPRequestHandler):
    api: FakeAPIServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        content_type = self.headers.get("Content-Type") or ""
        path = url.path.rstrip("/") or "/"
        self.api.requests.append(Request(method, path, query, content_type, copy.deepcopy(body)))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._json(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        self._route(method, path, query, content_type, body)

    def _route(
        self, method: str, path: str, query: dict[str, str], content_type: str, body: Any
    ) -> None:
        if path == "/version":
            self._json(200, VERSION)
        elif path == "/apis":
            self._json(200, _group_list())
        elif path == "/api":
            self._json(
                200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        elif path == SAR_PATH and method == "POST":
            self._review(body)
        else:
            target = _parse(path)
            if target is None:
                self._json(
                    404,
                    status_body(
                        404,
                        "NotFound",
                        f"the server could not find the requested resource ({path})",
                    ),
                )
                return
            getattr(self, f"_{method.lower()}")(target, query, content_type, body)

    # --- verbs ------------------------------------------------------------------------

    def _get(self, target: _Target, query: dict[str, str], content_type: str, body: Any) -> None:
        if target.name is None:
            self._list(target, query)
        elif target.sub == "log":
            self._log(target, query)
        else:
            obj = self._existing(target)
            if obj is not None:
                with self.api.lock:
                    gone = self.api._pending_deletes.get(target.key)
                    if gone is not None:
                        if gone <= 0:
                            del self.api.objects[target.key], self.api._pending_deletes[target.key]
                            obj = None
                        else:
                            self.api._pending_deletes[target.key] = gone - 1
                if obj is None:
                    self._not_found(target)
                else:
                    self._json(200, obj)

    def _list(self, target: _Target, query: dict[str, str]) -> None:
        with self.api.lock:
            items = [
                obj
                for key, obj in sorted(self.api.objects.items())
                if key[:2] == (target.prefix, target.plural)
                and (target.namespace is None or key[2] == target.namespace)
                and _matches(obj, query)
            ]
        limit = int(query.get("limit") or 0)
        if self.api.page_size:
            limit = min(limit or self.api.page_size, self.api.page_size)
        start = int(query.get("continue") or 0)
        page, more = (
            (items[start : start + limit], start + limit < len(items)) if limit else (items, False)
        )
        meta: dict[str, Any] = {"resourceVersion": "1"}
        if more:
            meta["continue"] = str(start + limit)
        self._json(
            200, {"kind": f"{target.kind}List", "apiVersion": "v1", "metadata": meta, "items": page}
        )

    def _log(self, target: _Target, query: dict[str, str]) -> None:
        if self._existing(target) is None:
            return
        key = (target.namespace or "", target.name or "")
        if query.get("follow") != "true":
            lines = self.api.logs.get(key, [])
            tail = int(query.get("tailLines") or 0)
            self._text(200, "".join(lines[-tail:] if tail else lines))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        sent = 0
        while True:
            with self.api.lock:
                lines = self.api.logs.get(key, [])
                chunk, sent = lines[sent:], len(lines)
                pod = self.api.objects.get(target.key)
                done = pod is None or pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
                if not chunk and not done:
                    self.api.lock.wait(0.5)
            if chunk:
                self.wfile.write("".join(chunk).encode())
                self.wfile.flush()
            elif done:
                return

    def _post(self, target: _Target, query: dict[str, str], content_type: str, body: Any) -> None:
        name = body["metadata"]["name"]
        key = (target.prefix, target.plural, target.namespace or "", name)
        with self.api.lock:
            exists = key in self.api.objects
        if exists:
            self._json(
                409, status_body(409, "AlreadyExists", f'{target.plural} "{name}" already exists')
            )
            return
        if target.namespace:
            body["metadata"]["namespace"] = target.namespace
        obj = self.api.add(target.prefix, target.plural, body)
        self._json(201, obj)
        if target.kind == "Job":
            self.api.play_job(obj)

    def _patch(self, target: _Target, query: dict[str, str], content_type: str, body: Any) -> None:
        if content_type != "application/apply-patch+yaml" or not query.get("fieldManager"):
            self._json(
                415,
                status_body(
                    415,
                    "UnsupportedMediaType",
                    "only server-side apply with a fieldManager is served",
                ),
            )
            return
        existing = self._existing(target, quiet=True)
        body["metadata"]["namespace"] = target.namespace
        if existing is not None and query.get("force") != "true":
            self._json(409, status_body(409, "Conflict", "Apply failed with 1 conflict"))
            return
        body["metadata"]["managedFields"] = [
            {"manager": query["fieldManager"], "operation": "Apply"}
        ]
        obj = self.api.add(target.prefix, target.plural, body)
        self._json(200 if existing else 201, obj)

    def _delete(self, target: _Target, query: dict[str, str], content_type: str, body: Any) -> None:
        if target.plural in self.api.refuse_delete:
            self._json(
                403, status_body(403, "Forbidden", f'{target.plural} "{target.name}" is forbidden')
            )
            return
        obj = self._existing(target)
        if obj is None:
            return
        policy = query.get("propagationPolicy") or (body or {}).get(
            "propagationPolicy", "Background"
        )
        with self.api.lock:
            if target.kind == "Job":
                uid = obj["metadata"]["uid"]
                for key in [
                    k
                    for k, o in self.api.objects.items()
                    if o["metadata"].get("labels", {}).get("controller-uid") == uid
                ]:
                    del self.api.objects[key]
            if target.kind == "Job" and policy == "Foreground" and self.api.deletion_gets:
                obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
                self.api._pending_deletes[target.key] = self.api.deletion_gets
            else:
                del self.api.objects[target.key]
        self._json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    def _review(self, body: Any) -> None:
        attributes = body["spec"]["resourceAttributes"]
        resource = attributes["resource"] + (
            f"/{attributes['subresource']}" if attributes.get("subresource") else ""
        )
        allowed = (attributes["verb"], resource) not in self.api.denied
        self._json(201, {**body, "status": {"allowed": allowed}})

    # --- helpers ----------------------------------------------------------------------

    def _existing(self, target: _Target, quiet: bool = False) -> dict[str, Any] | None:
        with self.api.lock:
            obj = self.api.objects.get(target.key)
        if obj is None and not quiet:
            self._not_found(target)
        return obj

    def _not_found(self, target: _Target) -> None:
        self._json(404, status_body(404, "NotFound", f'{target.plural} "{target.name}" not found'))

    def _json(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass(frozen=True)
class _Target:
    prefix: str
    plural: str
    kind: str
    namespace: str | None
    name: str | None
    sub: str | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.prefix, self.plural, self.namespace or "", self.name or "")


def _parse(path: str) -> _Target | None:
    for (prefix, plural), (kind, namespaced) in RESOURCES.items():
        if not path.startswith(prefix + "/"):
            continue
        parts = path[len(prefix) + 1 :].split("/")
        namespace = None
        if parts[0] == "namespaces" and len(parts) >= 3 and namespaced:
            namespace, parts = parts[1], parts[2:]
        if parts[0] != plural or len(parts) > 3:
            continue
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        return _Target(prefix, plural, kind, namespace, name, sub)
    return None


def _matches(obj: dict[str, Any], query: dict[str, str]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, (query.get("labelSelector") or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    for term in filter(None, (query.get("fieldSelector") or "").split(",")):
        field_name, _, value = term.partition("=")
        if field_name == "metadata.name" and obj["metadata"]["name"] != value:
            return False
    return True


def _group_list() -> dict[str, Any]:
    groups = []
    for prefix in sorted({p for p, _ in RESOURCES if p.startswith("/apis/")}):
        group_version = prefix.removeprefix("/apis/")
        name, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": name, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


#: What the snapshot agent may create, by kind: (API path, resource).
RBAC = "/apis/rbac.authorization.k8s.io/v1"
KINDS = {
    "serviceaccounts": ("/api/v1", "serviceaccounts"),
    "roles": (RBAC, "roles"),
    "rolebindings": (RBAC, "rolebindings"),
    "clusterroles": (RBAC, "clusterroles"),
    "clusterrolebindings": (RBAC, "clusterrolebindings"),
    "jobs": ("/apis/batch/v1", "jobs"),
    "configmaps": ("/api/v1", "configmaps"),
}
#: The Snapshot document the fake agent Job writes.
SNAPSHOT_YAML = (
    "kind: Snapshot\napiVersion: cns.nvidia.com/v1alpha1\n"
    "metadata:\n  source-node: gpu-node-1\n  timestamp: '2026-01-02T18:02:49Z'\nmeasurements: []\n"
)


def left_behind(api: FakeAPIServer) -> dict[str, list[str]]:
    """The agent's kinds of objects still in the fake cluster, by kind."""
    return {kind: api.names(*where) for kind, where in KINDS.items() if api.names(*where)}
