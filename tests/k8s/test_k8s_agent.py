"""The snapshot agent end to end: the real kubernetes client against the fake API server."""

from __future__ import annotations

import logging
import time

import pytest

from cns_core.cli.exit_codes import EXIT_FAILURE, EXIT_INVALID_INPUT, EXIT_UNAVAILABLE, exit_code
from cns_core.errors import InvalidRequestError, NotFoundError, TimeoutExceededError
from cns_core.k8s.agent import AgentFailedError, AgentOptions, Clock, plan_agent, run_agent
from cns_core.k8s.agent_objects import GPU_TOLERATION, LABELS, job_object
from cns_core.k8s.client import PermissionDeniedError

from ..support.fake_apiserver import KINDS, RBAC, AgentScript, FakeAPIServer, left_behind

NS = "gpu-operator"


class FakeClock(Clock):
    """A clock whose sleep advances its time by the seconds asked but waits only
    ``REAL_WAIT`` of real time (twice the fake API server's step, so the server's
    state changes between polls): a 1 s agent timeout costs ~0.2 s."""

    REAL_WAIT = 0.1

    def __init__(self) -> None:
        now = [0.0]

        def sleep(seconds: float) -> None:
            time.sleep(min(seconds, self.REAL_WAIT))
            now[0] += seconds

        object.__setattr__(self, "monotonic", lambda: now[0])
        object.__setattr__(self, "sleep", sleep)


def created_job(api: FakeAPIServer) -> dict:
    (post,) = api.calls("POST", "/jobs")
    return post.body


def test_happy_path_returns_snapshot_streams_logs_and_cleans_up(
    gpu_cluster: FakeAPIServer,
    kubeconfig: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        doc = run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert doc["kind"] == "Snapshot"
    assert doc["metadata"]["source-node"] == "gpu-node-1"
    assert "[agent] collecting\n[agent] wrote cm://gpu-operator/cns\n" in capfd.readouterr().err
    assert (
        "no node selector given: the agent runs on a GPU node (nvidia.com/gpu.present=true)"
        in caplog.text
    )
    assert left_behind(gpu_cluster) == {}

    job = created_job(gpu_cluster)
    plan = plan_agent(AgentOptions(kubeconfig=kubeconfig))
    assert job == job_object(plan.job)
    pod = job["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert pod["tolerations"] == [GPU_TOLERATION]
    assert pod["containers"][0]["args"] == [
        "snapshot",
        "--output",
        "cm://gpu-operator/cns",
        "--format",
        "yaml",
    ]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["CNS_AGENT"]["value"] == "1"
    assert env["NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}


def test_created_objects_and_order(gpu_cluster: FakeAPIServer, kubeconfig: str) -> None:
    gpu_cluster.add(
        "/api/v1",
        "nodes",
        {"metadata": {"name": "x", "labels": {"kubernetes.io/hostname": "gpu-node-1"}}},
    )
    run_agent(
        AgentOptions(kubeconfig=kubeconfig, node_selector={"kubernetes.io/hostname": "gpu-node-1"})
    )
    writes = [
        (r.method, r.path)
        for r in gpu_cluster.requests
        if r.method in ("POST", "DELETE") and "selfsubject" not in r.path
    ]
    assert writes == [
        ("POST", f"/api/v1/namespaces/{NS}/serviceaccounts"),
        ("POST", f"{RBAC}/namespaces/{NS}/roles"),
        ("POST", f"{RBAC}/namespaces/{NS}/rolebindings"),
        ("POST", f"{RBAC}/clusterroles"),
        ("POST", f"{RBAC}/clusterrolebindings"),
        ("DELETE", f"/api/v1/namespaces/{NS}/configmaps/cns"),
        ("POST", f"/apis/batch/v1/namespaces/{NS}/jobs"),
        ("DELETE", f"/api/v1/namespaces/{NS}/configmaps/cns"),
        ("DELETE", f"/apis/batch/v1/namespaces/{NS}/jobs/cns"),
        ("DELETE", f"{RBAC}/clusterrolebindings/cns-node-reader-{NS}-cns"),
        ("DELETE", f"{RBAC}/clusterroles/cns-node-reader"),
        ("DELETE", f"{RBAC}/namespaces/{NS}/rolebindings/cns"),
        ("DELETE", f"{RBAC}/namespaces/{NS}/roles/cns"),
        ("DELETE", f"/api/v1/namespaces/{NS}/serviceaccounts/cns"),
    ]


def test_nodes_without_gpu_label_are_refused_before_anything_is_created(
    api: FakeAPIServer, kubeconfig: str
) -> None:
    api.add("/api/v1", "nodes", {"metadata": {"name": "cpu-node", "labels": {}}})
    with pytest.raises(NotFoundError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert str(err.value).startswith(
        "no node matches the agent's node selector nvidia.com/gpu.present=true;"
    )
    assert exit_code(err.value.code) == EXIT_UNAVAILABLE
    assert api.calls("POST", "/namespaces/") == []


def test_output_configmap_in_agent_namespace_is_written_directly_and_kept(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    doc = run_agent(AgentOptions(kubeconfig=kubeconfig, output=f"cm://{NS}/cns-snapshot"))
    assert doc["kind"] == "Snapshot"
    assert "--output" in (
        args := created_job(gpu_cluster)["spec"]["template"]["spec"]["containers"][0]["args"]
    )
    assert args[args.index("--output") + 1] == f"cm://{NS}/cns-snapshot"
    assert left_behind(gpu_cluster) == {"configmaps": [f"{NS}/cns-snapshot"]}


def test_output_elsewhere_goes_through_an_intermediate_configmap(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    run_agent(AgentOptions(kubeconfig=kubeconfig, output="cm://other/snap", job_name="snap-job"))
    args = created_job(gpu_cluster)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--output") + 1] == f"cm://{NS}/snap-job"
    assert left_behind(gpu_cluster) == {}


def test_missing_permissions_are_listed_and_nothing_is_created(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.denied = {
        ("create", "clusterroles"),
        ("get", "pods/log"),
        ("list", "clusterpolicies"),
    }
    with pytest.raises(PermissionDeniedError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert str(err.value) == (
        "insufficient permissions to deploy the snapshot agent; missing:\n"
        "  - create clusterroles.rbac.authorization.k8s.io cluster-wide\n"
        '  - get pods/log in namespace "gpu-operator"\n'
        "  - list clusterpolicies.nvidia.com cluster-wide\n"
        "Ask a cluster admin for them, or to run the agent from the plain manifests "
        "(kubectl apply -f deployments/agent/) and read the snapshot from cm://gpu-operator/cns"
    )
    assert exit_code(err.value.code) == EXIT_FAILURE
    assert [
        r.path for r in gpu_cluster.requests if r.method != "POST" or "selfsubject" not in r.path
    ] == []


def test_job_failure_reports_the_log_and_cleans_up(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.script = AgentScript(
        outcome="fail", log_lines=("step 1", "error: failed to collect OS info: boom")
    )
    with pytest.raises(AgentFailedError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig))
    message = str(err.value)
    assert message.startswith(
        "agent Job gpu-operator/cns failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n"
        "--- agent log (last 20 lines) ---\nstep 1\nerror: failed to collect OS info: boom\n--- end of agent log ---"
    )
    assert exit_code(err.value.code) == EXIT_FAILURE
    assert left_behind(gpu_cluster) == {}


def test_timeout_names_the_pod_state_and_cleans_up(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.script = AgentScript(outcome="hang")
    with pytest.raises(TimeoutExceededError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig, timeout=1), clock=FakeClock())
    assert str(err.value).startswith(
        "timed out after 1s waiting for the agent Job gpu-operator/cns to complete: pod cns-"
    )
    assert str(err.value).endswith(" is Pending")
    assert exit_code(err.value.code) == EXIT_UNAVAILABLE
    assert left_behind(gpu_cluster) == {}


def test_unschedulable_pod_timeout_explains_why(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.script = AgentScript(outcome="unschedulable")
    with pytest.raises(TimeoutExceededError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig, timeout=1), clock=FakeClock())
    assert (
        "is not scheduled: 0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}."
        in str(err.value)
    )
    assert str(err.value).endswith("(check --node-selector and --toleration)")


def test_no_pod_timeout_points_at_pod_security(gpu_cluster: FakeAPIServer, kubeconfig: str) -> None:
    gpu_cluster.script = AgentScript(outcome="no-pod")
    with pytest.raises(TimeoutExceededError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig, timeout=1), clock=FakeClock())
    assert str(err.value).endswith(
        "no agent pod was created; see kubectl describe job cns -n gpu-operator "
        "(Pod Security admission may refuse the privileged pod: try --privileged=false)"
    )


def test_image_that_cannot_be_pulled_fails_fast(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.script = AgentScript(outcome="image-pull")
    with pytest.raises(AgentFailedError) as err:
        run_agent(AgentOptions(kubeconfig=kubeconfig, image="example.com/missing:1", timeout=60))
    assert "cannot start: ImagePullBackOff: Back-off pulling image" in str(err.value)
    assert "check --image and --image-pull-secret" in str(err.value)
    assert left_behind(gpu_cluster) == {}


def test_no_cleanup_keeps_everything(gpu_cluster: FakeAPIServer, kubeconfig: str) -> None:
    run_agent(AgentOptions(kubeconfig=kubeconfig, cleanup=False))
    assert set(left_behind(gpu_cluster)) == set(KINDS)
    assert ("delete", "serviceaccounts") not in {
        (
            r.body["spec"]["resourceAttributes"]["verb"],
            r.body["spec"]["resourceAttributes"]["resource"],
        )
        for r in gpu_cluster.calls("POST", "selfsubjectaccessreviews")
    }


def test_objects_that_existed_before_are_used_and_left_alone(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.add("/api/v1", "serviceaccounts", {"metadata": {"name": "cns", "namespace": NS}})
    gpu_cluster.add(RBAC, "clusterroles", {"metadata": {"name": "cns-node-reader"}, "rules": []})
    run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert left_behind(gpu_cluster) == {
        "serviceaccounts": [f"{NS}/cns"],
        "clusterroles": ["cns-node-reader"],
    }


def test_earlier_agent_job_is_replaced_after_it_is_really_gone(
    gpu_cluster: FakeAPIServer, kubeconfig: str
) -> None:
    gpu_cluster.add(
        "/apis/batch/v1",
        "jobs",
        {"metadata": {"name": "cns", "namespace": NS, "labels": dict(LABELS)}},
    )
    gpu_cluster.deletion_gets = 3
    run_agent(AgentOptions(kubeconfig=kubeconfig))
    job_calls = [
        (r.method, r.query.get("propagationPolicy"))
        for r in gpu_cluster.requests
        if r.path.startswith("/apis/batch/v1/namespaces/gpu-operator/jobs")
    ]
    first_post = job_calls.index(("POST", None))
    assert job_calls[:first_post] == [("GET", None), ("DELETE", "Foreground")] + [("GET", None)] * 4
    assert left_behind(gpu_cluster) == {}


def test_job_not_made_by_cns_is_not_touched(gpu_cluster: FakeAPIServer, kubeconfig: str) -> None:
    gpu_cluster.add(
        "/apis/batch/v1",
        "jobs",
        {"metadata": {"name": "cns", "namespace": NS, "labels": {"app": "other"}}},
    )
    with pytest.raises(
        InvalidRequestError,
        match="Job gpu-operator/cns exists and was not created by cns; choose another --job-name",
    ):
        run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert gpu_cluster.names("/apis/batch/v1", "jobs") == [f"{NS}/cns"]
    assert left_behind(gpu_cluster) == {"jobs": [f"{NS}/cns"]}


def test_failed_deletions_are_reported_with_kubectl_commands(
    gpu_cluster: FakeAPIServer, kubeconfig: str, caplog: pytest.LogCaptureFixture
) -> None:
    gpu_cluster.refuse_delete = {"clusterroles", "serviceaccounts"}
    with caplog.at_level(logging.WARNING):
        run_agent(AgentOptions(kubeconfig=kubeconfig))
    assert "cleanup of the snapshot agent was incomplete" in caplog.text
    assert (
        "  kubectl delete clusterrole cns-node-reader\n  kubectl delete serviceaccount cns -n gpu-operator"
        in caplog.text
    )
    assert left_behind(gpu_cluster) == {
        "serviceaccounts": [f"{NS}/cns"],
        "clusterroles": ["cns-node-reader"],
    }


def test_restricted_profile_runs(gpu_cluster: FakeAPIServer, kubeconfig: str) -> None:
    run_agent(
        AgentOptions(
            kubeconfig=kubeconfig, privileged=False, image_pull_secrets=("regcred",), debug=True
        )
    )
    pod = created_job(gpu_cluster)["spec"]["template"]["spec"]
    assert "hostPID" not in pod
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["containers"][0]["args"][:2] == ["--debug", "snapshot"]


def test_refused_inside_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNS_AGENT", "1")
    with pytest.raises(
        InvalidRequestError,
        match=r"--deploy-agent cannot be used inside the snapshot agent \(CNS_AGENT is set\)",
    ):
        run_agent(AgentOptions())


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (AgentOptions(namespace="GPU_Operator"), "invalid namespace 'GPU_Operator'"),
        (AgentOptions(job_name="j" * 64), "invalid Job name"),
        (AgentOptions(service_account="Bad SA"), "invalid service account name 'Bad SA'"),
        (
            AgentOptions(image_pull_secrets=("ok", "Not OK")),
            "invalid image pull secret name 'Not OK'",
        ),
        (AgentOptions(image=""), "invalid image ''"),
        (AgentOptions(image="nvcr.io/x y"), "invalid image 'nvcr.io/x y'"),
        (AgentOptions(timeout=0), "invalid timeout 0: expected a positive duration"),
        (AgentOptions(output="cm://ns"), "invalid ConfigMap URI 'cm://ns': the name is missing"),
    ],
)
def test_bad_options_are_refused_before_connecting(options: AgentOptions, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        run_agent(options)
    assert problem in str(err.value)
    assert exit_code(err.value.code) == EXIT_INVALID_INPUT
