"""The agent's RBAC and Job objects, and the plain manifests shipped in deployments/agent/."""

from __future__ import annotations

import pytest

from cns_core.k8s.access import agent_permissions
from cns_core.k8s.agent import AgentOptions, plan_agent
from cns_core.k8s.agent_objects import JobSpec, job_object, rbac_objects, render_manifests
from cns_core.serialize import load_yaml

from ..support.golden import assert_golden
from ..support.paths import REPO

DEPLOY = REPO / "deployments" / "agent"
HEADER = (
    "# Generated from cns_core/k8s/manifests.py by tests/k8s/test_k8s_manifests.py; do not edit.\n"
    "# Regenerate: CNS_UPDATE_GOLDEN=1 pytest tests/k8s/test_k8s_manifests.py\n"
)


def shipped_manifests() -> dict[str, str]:
    """What deployments/agent/ must hold: the objects `cns snapshot --deploy-agent` creates by default."""
    privileged = plan_agent(AgentOptions()).job
    restricted = plan_agent(AgentOptions(privileged=False)).job
    return {
        "1-rbac.yaml": HEADER
        + render_manifests(rbac_objects(privileged.namespace, privileged.service_account)),
        "2-job.yaml": HEADER + render_manifests([job_object(privileged)]),
        "restricted/2-job.yaml": HEADER + render_manifests([job_object(restricted)]),
    }


@pytest.mark.parametrize("name", sorted(shipped_manifests()))
def test_shipped_manifests_match_the_builders(name: str) -> None:
    assert_golden(DEPLOY / name, shipped_manifests()[name])


def test_shipped_rbac_parses_as_five_objects() -> None:
    docs = [load_yaml(part) for part in (DEPLOY / "1-rbac.yaml").read_text().split("\n---\n")]
    assert [d["kind"] for d in docs] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
    ]
    assert docs[4]["subjects"] == [
        {"kind": "ServiceAccount", "name": "cns", "namespace": "gpu-operator"}
    ]


def _spec(**overrides: object) -> JobSpec:
    values: dict = {
        "namespace": "ns",
        "name": "cns",
        "service_account": "cns",
        "image": "img:1",
        "output_uri": "cm://ns/cns",
        "node_selector": {"a": "b"},
        "tolerations": ({"key": "k", "operator": "Exists"},),
        **overrides,
    }
    return JobSpec(**values)


def test_privileged_job_spec() -> None:
    job = job_object(_spec(timeout=90.5))
    assert job["spec"] | {"template": None} == {
        "completions": 1,
        "parallelism": 1,
        "completionMode": "NonIndexed",
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": 3600,
        "activeDeadlineSeconds": 151,
        "template": None,
    }
    pod = job["spec"]["template"]["spec"]
    assert (pod["hostPID"], pod["hostNetwork"], pod["hostIPC"]) == (True, True, True)
    assert pod["securityContext"]["runAsUser"] == 0
    container = pod["containers"][0]
    assert container["securityContext"]["privileged"] is True
    assert container["securityContext"]["capabilities"] == {"add": ["SYS_ADMIN", "SYS_CHROOT"]}
    assert container["resources"] == {  # small requests: it must fit on a busy GPU node
        "requests": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
        "limits": {"cpu": "1", "memory": "512Mi", "ephemeral-storage": "256Mi"},
    }
    assert {
        "name": "run-systemd",
        "hostPath": {"path": "/run/systemd", "type": "Directory"},
    } in pod["volumes"]
    assert "imagePullSecrets" not in pod


def test_restricted_job_spec() -> None:
    pod = job_object(_spec(privileged=False))["spec"]["template"]["spec"]
    assert not {"hostPID", "hostNetwork", "hostIPC"} & set(pod)
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = pod["containers"][0]
    assert container["securityContext"] == {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["requests"] == {
        "cpu": "100m",
        "memory": "128Mi",
        "ephemeral-storage": "64Mi",
    }
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_permission_check_covers_every_rule_the_roles_grant() -> None:
    asked = {
        (p.verb, p.resource, p.group, p.namespace) for p in agent_permissions("ns", cleanup=True)
    }
    for obj in rbac_objects("ns", "cns"):
        for rule in obj.get("rules", []):
            namespace = "ns" if obj["kind"] == "Role" else None
            for verb in rule["verbs"]:
                assert (verb, rule["resources"][0], rule["apiGroups"][0], namespace) in asked


def test_the_default_image_is_the_one_this_repository_builds_and_charts() -> None:
    """``cns:<version>``: the Dockerfile's image, named as the Helm chart names it."""
    import re

    from cns_core import __version__
    from cns_core.cli.snapshot import snapshot
    from cns_core.k8s.agent_objects import DEFAULT_IMAGE

    chart = load_yaml((REPO / "deployments/helm/cns/Chart.yaml").read_text())
    values = load_yaml((REPO / "deployments/helm/cns/values.yaml").read_text())
    assert f"{values['image']['repository']}:{chart['appVersion']}" == DEFAULT_IMAGE
    assert f"cns:{__version__}" == DEFAULT_IMAGE
    assert AgentOptions().image == DEFAULT_IMAGE
    assert next(p for p in snapshot.params if p.name == "image").default == DEFAULT_IMAGE
    assert re.search(r'^ENTRYPOINT \["cns"\]$', (REPO / "Dockerfile").read_text(), re.M)
    for name in ("2-job.yaml", "restricted/2-job.yaml"):
        assert f"image: {DEFAULT_IMAGE}\n" in (DEPLOY / name).read_text()
    agent_doc = (REPO / "docs" / "agent.md").read_text()
    assert f"docker build -t {DEFAULT_IMAGE} ." in agent_doc and "--image" in agent_doc
