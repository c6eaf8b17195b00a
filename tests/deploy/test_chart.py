"""cns's own Helm chart (deployments/helm/cns) rendered by the real helm, and its kustomize base.

Every rendered object is validated against the Kubernetes schemas (kubernetes-validate,
strict), and the facts that matter are checked against the code they configure: the
settings the service reads, the image the Dockerfile builds, gunicorn's configuration.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from cns_core import __version__
from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe, load_store, reset_store_cache
from cns_core.serialize import dump_yaml
from cns_web.config import ALLOWLIST_VARIABLES, EnvReader, Settings
from tests.support.helm import Render, run_helm
from tests.support.paths import CHART, KUSTOMIZE_BASE, REPO

from ..support.golden import assert_golden
from ..support.tools import tool

#: Kubernetes versions to validate against: the chart's kubeVersion floor and the newest schema.
K8S_VERSIONS = ("1.27.0", kubernetes_validate.utils.latest_version())
#: Settings whose value the chart derives from other values rather than `config.<name>`.
DERIVED = {
    "CNS_DATA_DIR": "data",
    "CNS_RATE_LIMIT_STORAGE": "redis",
    "PORT": "port",
    "WEB_CONCURRENCY": "workers",
    "PROMETHEUS_MULTIPROC_DIR": "volumes.metrics.mountPath",
}

EXTRA_REGISTRY = """\
apiVersion: cns.nvidia.com/v1alpha1
kind: ComponentRegistry
components:
  - name: kai-scheduler
    displayName: KAI Scheduler
    valueOverrideKeys: [kai]
    namespace: kai-scheduler
    helm:
      defaultRepository: oci://ghcr.io/nvidia/kai-scheduler
      defaultChart: kai-scheduler
      defaultVersion: v0.9.0
"""
EXTRA_OVERLAY = """\
kind: RecipeMetadata
apiVersion: cns.nvidia.com/v1alpha1
metadata:
  name: eks-training-kai
spec:
  base: eks-training
  criteria: {service: eks, intent: training, nodes: 4}
  componentRefs:
    - name: kai-scheduler
      valuesFile: components/kai-scheduler/values.yaml
      dependencyRefs: [gpu-operator]
"""
DATA_FILES = {
    "registry.yaml": EXTRA_REGISTRY,
    "overlays/eks-training-kai.yaml": EXTRA_OVERLAY,
    "components/kai-scheduler/values.yaml": "global:\n  gpuSharing: true\n",
}

#: A value for everything (redis external, Ingress, ServiceMonitor, data files, no HPA).
FULL: dict[str, Any] = {
    "replicaCount": 3,
    "image": {"repository": "registry.example.com/cns", "tag": "1.2.3", "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "pull"}],
    "fullnameOverride": "gpu-recipes",
    "serviceAccount": {"create": True, "name": "recipes", "annotations": {"team": "gpu"}},
    "podAnnotations": {"team": "gpu"},
    "podLabels": {"tier": "api"},
    "workers": 3,
    "port": 9000,
    "config": {
        "threads": 8,
        "gracefulTimeout": 40,
        "allowedAccelerators": "h100,gb200",
        "allowedServices": "eks,gke",
        "allowedIntents": "training",
        "allowedOs": "ubuntu",
        "allowedPlatforms": "kubeflow",
        "rateLimitEnabled": False,
        "rateLimit": "50 per second;1000/hour",
        "rateLimitStrategy": "moving-window",
        "trustedProxies": 2,
        "maxBodyBytes": 2097152,
        "requestTimeout": 12.5,
        "recipeCacheSize": 0,
        "cacheMaxAge": 3000000,
        "logFormat": "json",
        "logLevel": "debug",
    },
    "extraEnv": [{"name": "TZ", "value": "UTC"}],
    "terminationGraceMarginSeconds": 6,
    "preStopSleepSeconds": 3,
    "redis": {
        "mode": "external",
        "external": {"url": "rediss://redis.example.com:6380/2", "port": 6380},
    },
    "data": {"mountPath": "/srv/cns-data", "files": DATA_FILES},
    "resources": {"requests": {"cpu": "1", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
    "volumes": {
        "metrics": {"mountPath": "/var/lib/cns-metrics", "medium": "", "sizeLimit": "32Mi"},
        "tmp": {"sizeLimit": "1Gi"},
    },
    "probes": {
        "liveness": {"periodSeconds": 20, "timeoutSeconds": 3, "failureThreshold": 4},
        "readiness": {"periodSeconds": 3, "timeoutSeconds": 1, "failureThreshold": 1},
        "startup": {"periodSeconds": 2, "timeoutSeconds": 1, "failureThreshold": 10},
    },
    "service": {"type": "LoadBalancer", "port": 8443, "annotations": {"lb": "internal"}},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "2m"},
        "hosts": [{"host": "cns.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "cns-tls", "hosts": ["cns.example.com"]}],
    },
    "autoscaling": {"enabled": False},
    "podDisruptionBudget": {"enabled": True, "maxUnavailable": None, "minAvailable": 2},
    "serviceMonitor": {
        "enabled": True,
        "interval": "15s",
        "scrapeTimeout": "5s",
        "labels": {"release": "prometheus"},
    },
    "networkPolicy": {
        "enabled": True,
        "ingressFrom": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}
        ],
        "egress": {
            "enabled": True,
            "extra": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443}]}],
        },
    },
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "api"}],
    "affinity": {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "preference": {
                        "matchExpressions": [
                            {"key": "pool", "operator": "In", "values": ["system"]}
                        ]
                    },
                }
            ]
        }
    },
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "cns"}},
        }
    ],
}

#: Further value sets whose objects are validated too.
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "full": FULL,
    "redis-secret": {
        "redis": {"mode": "external", "external": {"existingSecret": "cns-redis", "port": 6379}}
    },
    "redis-none-no-policies": {
        "redis": {"mode": "none"},
        "networkPolicy": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "serviceAccount": {"create": False},
        "preStopSleepSeconds": 0,
    },
    "data-configmap": {
        "data": {
            "configMap": {
                "name": "my-recipes",
                "items": [
                    {"key": "registry", "path": "registry.yaml"},
                    {"key": "overlay", "path": "overlays/mine.yaml"},
                ],
            }
        }
    },
    "data-configmap-flat": {"data": {"configMap": {"name": "my-recipes"}}},
    "data-volume": {
        "data": {"volume": {"persistentVolumeClaim": {"claimName": "recipes"}}, "subPath": "v2"}
    },
    "memory-target": {"autoscaling": {"targetMemoryUtilizationPercentage": 80}},
}

#: The fields of a monitoring.coreos.com/v1 ServiceMonitor this chart writes, as the
#: prometheus-operator CRD defines them (kubernetes-validate knows no CRDs).
DURATION = (
    "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": DURATION},
                        },
                    },
                },
            },
        },
    },
}


def service_settings() -> set[str]:
    """Every environment variable the service reads, found in the code (not a copied list)."""
    names: set[str] = set(ALLOWLIST_VARIABLES.values())
    for module in ("config.py", "gunicorn_config.py"):
        text = (REPO / "cns_web" / module).read_text()
        names |= set(re.findall(r"""["']((?:CNS|PROMETHEUS|WEB)_[A-Z_]+|PORT)["']""", text))
    return names


def config_key(name: str) -> str:
    """``CNS_RATE_LIMIT_STRATEGY`` -> ``rateLimitStrategy``: its key under ``config``."""
    first, *rest = name.removeprefix("CNS_").lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


def chart_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def only(objects: list[dict[str, Any]], kind: str, component: str = "api") -> dict[str, Any]:
    found = [
        o
        for o in objects
        if o["kind"] == kind
        and o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
    ]
    assert len(found) == 1, f"{len(found)} {kind} objects for {component}"
    return found[0]


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["cns"]
    return dict(pod["containers"][0])


def plain_env(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The cns container's environment (entries with a literal value)."""
    return {e["name"]: e["value"] for e in container(objects)["env"] if "value" in e}


@pytest.fixture(scope="module")
def default(render: Render) -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def full(render: Render) -> list[dict[str, Any]]:
    return render(FULL)


@pytest.mark.parametrize("values", ["default", "full"])
def test_helm_lint_strict_passes(helm: str, tmp_path: Path, values: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(VARIANTS[values]))
    lint = run_helm(helm, "lint", "--strict", str(CHART), "-f", str(path))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 chart(s) failed" in lint.stdout


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_rendered_object_is_valid_kubernetes(render: Render, variant: str) -> None:
    objects = render(VARIANTS[variant])
    assert objects
    for obj in objects:
        if obj["kind"] == "ServiceMonitor":
            jsonschema.validate(obj, SERVICE_MONITOR_SCHEMA)
            continue
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


def test_the_default_render_is_a_fleet_with_its_own_redis(default: list[dict[str, Any]]) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in default)
    assert kinds == [
        ("Deployment", "cns"),
        ("Deployment", "cns-redis"),
        ("HorizontalPodAutoscaler", "cns"),
        ("NetworkPolicy", "cns"),
        ("NetworkPolicy", "cns-redis"),
        ("PodDisruptionBudget", "cns"),
        ("Service", "cns"),
        ("Service", "cns-redis"),
        ("ServiceAccount", "cns"),
    ]
    hpa = only(default, "HorizontalPodAutoscaler")["spec"]
    values = chart_values()
    assert hpa["minReplicas"] == values["autoscaling"]["minReplicas"] >= 2
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cns"}
    assert "replicas" not in only(default, "Deployment")["spec"]  # the HPA owns the count


def test_full_render_has_ingress_service_monitor_and_no_redis(full: list[dict[str, Any]]) -> None:
    kinds = sorted(o["kind"] for o in full)
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
    ]
    assert only(full, "Deployment")["spec"]["replicas"] == FULL["replicaCount"]
    ingress = only(full, "Ingress")["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gpu-recipes", "port": {"name": "http"}}
    assert ingress["tls"] == FULL["ingress"]["tls"]
    assert only(full, "PodDisruptionBudget")["spec"]["minAvailable"] == 2


@pytest.mark.parametrize("variant", ["default", "full"])
def test_selectors_and_ports_connect(render: Render, variant: str) -> None:
    """Service, PDB, NetworkPolicy and ServiceMonitor select the pods / Service they mean."""
    objects = render(VARIANTS[variant])
    pod_labels = only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    service = only(objects, "Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        selector = (
            only(objects, kind)["spec"].get("selector")
            or only(objects, kind)["spec"]["podSelector"]
        )
        assert selector["matchLabels"].items() <= pod_labels.items(), kind
    port_names = {p["name"] for p in container(objects)["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    assert only(objects, "NetworkPolicy")["spec"]["ingress"][0]["ports"][0]["port"] in port_names
    monitors = [o for o in objects if o["kind"] == "ServiceMonitor"]
    for monitor in monitors:
        assert (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= service["metadata"]["labels"].items()
        )
        assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
        assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


@pytest.mark.parametrize("variant", ["default", "full"])
def test_probes_are_health_and_ready_on_the_api_port(render: Render, variant: str) -> None:
    cns = container(render(VARIANTS[variant]))
    port = VARIANTS[variant].get("port", chart_values()["port"])
    assert cns["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert cns["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert cns["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert cns["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert plain_env(render(VARIANTS[variant]))["PORT"] == str(port)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_grace_period_is_prestop_plus_graceful_timeout_plus_margin(
    render: Render, variant: str
) -> None:
    values = chart_values()
    given = VARIANTS[variant]
    objects = render(given)
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    graceful = int(plain_env(objects)["CNS_GRACEFUL_TIMEOUT"])
    assert graceful == given.get("config", {}).get("gracefulTimeout", 25)
    sleep = given.get("preStopSleepSeconds", values["preStopSleepSeconds"])
    margin = given.get("terminationGraceMarginSeconds", values["terminationGraceMarginSeconds"])
    assert pod["terminationGracePeriodSeconds"] == sleep + graceful + margin
    hook = pod["containers"][0].get("lifecycle")
    if sleep:
        assert hook == {"preStop": {"exec": {"command": ["sleep", str(sleep)]}}}
    else:
        assert hook is None


def test_every_service_setting_is_a_chart_value() -> None:
    names = service_settings()
    assert {"CNS_RATE_LIMIT_STORAGE", "CNS_GRACEFUL_TIMEOUT", "CNS_ALLOWED_OS", "PORT"} <= names
    expected = {config_key(n) for n in names if n not in DERIVED}
    config = chart_values()["config"]
    assert set(config) == expected  # nothing missing, nothing stale
    schema = json.loads((CHART / "values.schema.json").read_text())
    described = {
        key: prop.get("description")
        for key, prop in schema["properties"]["config"]["properties"].items()
    }
    assert described == {config_key(n): n for n in names if n not in DERIVED}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_service_setting_is_in_the_environment(render: Render, variant: str) -> None:
    env = [e["name"] for e in container(render(VARIANTS[variant]))["env"]]
    assert service_settings() <= set(env)
    assert len(env) == len(set(env))


def test_the_default_environment_is_the_services_defaults(default: list[dict[str, Any]]) -> None:
    """Parsed by the real Settings: the same as no setting at all, but the shared Redis."""
    env = plain_env(default)
    settings = Settings.from_mapping(env)
    redis = only(default, "Service", "redis")
    url = f"redis://{redis['metadata']['name']}:{redis['spec']['ports'][0]['port']}/0"
    assert settings == dataclasses.replace(Settings(), rate_limit_storage=url)


def gunicorn_settings(env: dict[str, str], metrics_dir: Path) -> dict[str, Any]:
    """What cns_web/gunicorn_config.py makes of ``env`` (in a fresh interpreter)."""
    code = (
        "import json, cns_web.gunicorn_config as g; print(json.dumps({k: getattr(g, k) for k in "
        "('bind', 'workers', 'threads', 'graceful_timeout', 'timeout')}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PATH": "/usr/bin:/bin"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout))


@pytest.mark.parametrize("variant", ["default", "full"])
def test_gunicorn_gets_the_chart_values(render: Render, variant: str, tmp_path: Path) -> None:
    values = chart_values()
    given = VARIANTS[variant]
    env = plain_env(render(given))
    config = {**values["config"], **given.get("config", {})}
    got = gunicorn_settings(env, tmp_path)
    assert got == {
        "bind": [f"0.0.0.0:{given.get('port', values['port'])}"],
        "workers": given.get("workers", values["workers"]),
        "threads": config["threads"],
        "graceful_timeout": config["gracefulTimeout"],
        "timeout": -(-config["requestTimeout"] // 1) + 10,
    }


def test_full_values_reach_the_service(full: list[dict[str, Any]]) -> None:
    config = FULL["config"]
    settings = Settings.from_mapping(plain_env(full))
    assert settings.data_dir == FULL["data"]["mountPath"]
    assert settings.rate_limit_storage == FULL["redis"]["external"]["url"]
    for field in dataclasses.fields(Settings):
        key = config_key(f"CNS_{field.name.upper()}")
        if key in config:
            assert getattr(settings, field.name) == config[key], field.name
    assert (
        settings.allowlists
        == EnvReader(
            {name: config[config_key(name)] for name in ALLOWLIST_VARIABLES.values()}
        ).allowlists()
    )
    assert plain_env(full)["TZ"] == "UTC"  # extraEnv


@pytest.mark.parametrize("ingress, expected", [(False, "0"), (True, "1")])
def test_trusted_proxies_follow_the_ingress_unless_set(
    render: Render, ingress: bool, expected: str
) -> None:
    env = plain_env(render({"ingress": {"enabled": ingress}}))
    assert env["CNS_TRUSTED_PROXIES"] == expected
    pinned = plain_env(render({"ingress": {"enabled": ingress}, "config": {"trustedProxies": 3}}))
    assert pinned["CNS_TRUSTED_PROXIES"] == "3"


def test_the_image_is_the_one_the_dockerfile_builds(full: list[dict[str, Any]]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    assert entrypoint == ["cns"] and cmd == ["serve"] and user is not None
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__
    for objects, image in ((full, "registry.example.com/cns:1.2.3"),):
        cns = container(objects)
        assert cns["image"] == image
        assert "command" not in cns and cns["args"] == cmd  # the image's entrypoint runs
    default_pod = chart_values()["podSecurityContext"]
    assert (default_pod["runAsUser"], default_pod["runAsGroup"]) == (
        int(user.group(1)),
        int(user.group(2)),
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_read_only_root_fs_with_writable_empty_dirs(render: Render, variant: str) -> None:
    objects = render(VARIANTS[variant])
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    cns = pod["containers"][0]
    assert cns["securityContext"]["readOnlyRootFilesystem"] is True
    assert cns["securityContext"]["allowPrivilegeEscalation"] is False
    assert cns["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    writable = {m["mountPath"]: m["name"] for m in cns["volumeMounts"] if not m.get("readOnly")}
    metrics_dir = plain_env(objects)["PROMETHEUS_MULTIPROC_DIR"]
    assert set(writable) == {"/tmp", metrics_dir}
    for name in writable.values():
        assert "emptyDir" in volumes[name], name
    medium = VARIANTS[variant].get("volumes", {}).get("metrics", {}).get("medium", "Memory")
    assert volumes[writable[metrics_dir]]["emptyDir"].get("medium", "") == medium


@pytest.mark.parametrize(
    "values, storage",
    [
        ({"redis": {"mode": "none"}}, "memory://"),
        ({"redis": {"mode": "external", "external": {"url": "redis://r:1/3"}}}, "redis://r:1/3"),
    ],
)
def test_redis_switch_sets_the_storage(
    render: Render, values: dict[str, Any], storage: str
) -> None:
    objects = render(values)
    assert plain_env(objects)["CNS_RATE_LIMIT_STORAGE"] == storage
    assert not [o for o in objects if "redis" in o["metadata"]["name"]]
    Settings.from_mapping(plain_env(objects)).check_rate_limit()


def test_internal_redis_is_reachable_from_cns_pods_only(default: list[dict[str, Any]]) -> None:
    redis_pod = only(default, "Deployment", "redis")["spec"]["template"]
    args = redis_pod["spec"]["containers"][0]["args"]
    assert args[:4] == ["--save", "", "--appendonly", "no"]  # counts only, nothing on disk
    assert redis_pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    cns_labels = only(default, "Deployment")["spec"]["template"]["metadata"]["labels"]
    policy = only(default, "NetworkPolicy", "redis")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= redis_pod["metadata"]["labels"].items()
    [rule] = policy["ingress"]
    assert len(rule["from"]) == 1 and list(rule["from"][0]) == ["podSelector"]
    assert rule["from"][0]["podSelector"]["matchLabels"].items() <= cns_labels.items()
    assert policy["egress"] == []
    egress = only(default, "NetworkPolicy")["spec"]["egress"]
    to_redis = [r for r in egress if r.get("to")]
    assert (
        to_redis[0]["to"][0]["podSelector"]["matchLabels"] == policy["podSelector"]["matchLabels"]
    )


def test_redis_url_from_a_secret(render: Render) -> None:
    env = container(render(VARIANTS["redis-secret"]))["env"]
    [entry] = [e for e in env if e["name"] == "CNS_RATE_LIMIT_STORAGE"]
    assert entry == {
        "name": "CNS_RATE_LIMIT_STORAGE",
        "valueFrom": {"secretKeyRef": {"name": "cns-redis", "key": "url"}},
    }


@pytest.mark.parametrize(
    "values, message",
    [
        ({"redis": {"mode": "external"}}, "needs redis.external.url"),
        ({"redis": {"mode": "sentinel"}}, "redis/mode"),
        ({"config": {"rateLimt": "1/second"}}, "rateLimt"),
        ({"config": {"logLevel": "verbose"}}, "logLevel"),
        ({"config": {"gracefulTimeout": 0}}, "gracefulTimeout"),
        ({"data": {"files": {"registry.yaml": "x"}, "volume": {"emptyDir": {}}}}, "not files"),
    ],
)
def test_bad_values_stop_the_render(
    helm: str, tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    result = run_helm(helm, "template", "cns", str(CHART), "-f", str(path))
    assert result.returncode != 0
    assert message in result.stderr


def materialize(objects: list[dict[str, Any]], root: Path) -> Path:
    """Lay the data mounts out as the kubelet would, from the rendered ConfigMap."""
    cns = container(objects)
    config_map = only(objects, "ConfigMap")["data"]
    data_dir = plain_env(objects)["CNS_DATA_DIR"]
    for mount in cns["volumeMounts"]:
        if mount["name"] != "data":
            continue
        assert mount["readOnly"] is True
        path = root / mount["mountPath"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_map[mount["subPath"]])
    return root / data_dir.lstrip("/")


def test_data_files_become_a_data_dir_cns_loads(full: list[dict[str, Any]], tmp_path: Path) -> None:
    data_dir = materialize(full, tmp_path)
    assert sorted(
        str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file()
    ) == sorted(DATA_FILES)
    reset_store_cache()
    try:
        store = load_store(data_dir)
        result = build_recipe(Criteria(service="eks", intent="training", nodes=4), store)
        assert result.component("kai-scheduler") is not None
    finally:
        reset_store_cache()
    annotations = only(full, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/data"])  # new data: new pods


def test_data_from_an_existing_config_map_or_volume(render: Render) -> None:
    def mounts(variant: str) -> list[dict[str, Any]]:
        objects = render(VARIANTS[variant])
        assert plain_env(objects)["CNS_DATA_DIR"] == "/etc/cns/data"
        return [m for m in container(objects)["volumeMounts"] if m["name"] == "data"]

    assert mounts("data-configmap") == [
        {
            "name": "data",
            "mountPath": "/etc/cns/data/registry.yaml",
            "subPath": "registry",
            "readOnly": True,
        },
        {
            "name": "data",
            "mountPath": "/etc/cns/data/overlays/mine.yaml",
            "subPath": "overlay",
            "readOnly": True,
        },
    ]
    assert mounts("data-configmap-flat") == [
        {"name": "data", "mountPath": "/etc/cns/data", "readOnly": True}
    ]
    assert mounts("data-volume") == [
        {"name": "data", "mountPath": "/etc/cns/data", "subPath": "v2", "readOnly": True}
    ]
    assert plain_env(render())["CNS_DATA_DIR"] == ""


def test_deploy_doc_names_every_setting_and_value() -> None:
    doc = (REPO / "docs" / "deploy.md").read_text()
    for name in sorted(service_settings()):
        assert f"`{name}`" in doc, f"{name} missing from docs/deploy.md"
    for key in chart_values()["config"]:
        assert f"`config.{key}`" in doc, f"config.{key} missing from docs/deploy.md"
    assert "(docs/deploy.md)" in (REPO / "README.md").read_text()


# The kustomize base: the default render without Helm's own labels.
HEADER = (
    "# Generated from deployments/helm/cns (default values) by tests/deploy/test_chart.py; "
    "do not edit.\n# Regenerate: CNS_UPDATE_GOLDEN=1 pytest tests/deploy/test_chart.py\n"
)
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def kustomize_files(objects: list[dict[str, Any]]) -> dict[str, str]:
    """What deployments/kustomize/base/ must hold: one file per object and its kustomization."""
    files: dict[str, str] = {}
    for obj in objects:
        labels = obj["metadata"].get("labels", {})
        for label in HELM_LABELS:
            labels.pop(label, None)
        files[f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"] = HEADER + dump_yaml(obj)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/managed-by": "kustomize"}}],
        "resources": sorted(files),
    }
    files["kustomization.yaml"] = HEADER + dump_yaml(kustomization)
    return files


def test_kustomize_base_is_the_default_render(render: Render) -> None:
    objects = [json.loads(json.dumps(o)) for o in render()]  # a copy: the cache stays intact
    expected = kustomize_files(objects)
    for name, text in expected.items():
        assert_golden(KUSTOMIZE_BASE / name, text)
    on_disk = {p.name for p in KUSTOMIZE_BASE.iterdir()}
    assert on_disk == set(expected), "stale files in deployments/kustomize/base"


def test_kubectl_kustomize_builds_the_default_render(render: Render) -> None:
    kubectl = tool("kubectl", hint="sh tools/get-helm.sh fetches it (kustomize is built in)")
    built = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE_BASE)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin", "KUBECONFIG": "/dev/null"},
    )
    assert built.returncode == 0, built.stderr
    expected = [json.loads(json.dumps(o)) for o in render()]
    for obj in expected:
        labels = obj["metadata"]["labels"]
        labels.pop("helm.sh/chart")
        labels["app.kubernetes.io/managed-by"] = "kustomize"
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    got = sorted((d for d in yaml.safe_load_all(built.stdout) if d), key=key)
    assert got == sorted(expected, key=key)
