"""deploy.sh / undeploy.sh of Helm bundles: shellcheck, and runs against a fake helm."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree

FAKE_HELM = """\
#!/bin/sh
# Records each call (one line, arguments separated by tabs); fails for one release.
{ printf '%s' "$1"; shift; for arg in "$@"; do printf '\\t%s' "$arg"; done; printf '\\n'; } \\
  >> "$HELM_LOG"
release="$1"
[ "$release" = --install ] && release="$2"
if [ "$release" = "$FAIL_RELEASE" ]; then echo "fake helm: $release failed" >&2; exit 1; fi
exit 0
"""


@pytest.fixture
def bundle_dir(tmp_path, store, h100) -> Path:
    bundle = generate_bundle(h100, store, BundleOptions())
    write_tree(bundle.files, tmp_path / "bundle")
    return tmp_path / "bundle"


def _run(bundle_dir: Path, script: str, *args: str, fail: str = "") -> tuple[int, str, list]:
    log = bundle_dir.parent / "helm.log"
    log.unlink(missing_ok=True)
    fake = bundle_dir.parent / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "helm").write_text(FAKE_HELM)
    (fake / "helm").chmod(0o755)
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "HELM_LOG": str(log),
        "FAIL_RELEASE": fail or "none-such-release",
        "RETRY_DELAY": "0",
    }
    run = subprocess.run(
        ["bash", str(bundle_dir / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    calls = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
    return run.returncode, run.stdout + run.stderr, calls


def _releases(bundle_dir: Path) -> list[tuple[str, str]]:
    """(release, namespace) in deployment order, from the bundle's own files."""
    recipe = yaml.safe_load((bundle_dir / "recipe.yaml").read_text())
    order = recipe["deploymentOrder"]
    registry_ns = {
        "cert-manager": "cert-manager",
        "gpu-operator": "gpu-operator",
        "network-operator": "nvidia-network-operator",
        "nvsentinel": "nvsentinel",
        "prometheus": "monitoring",
        "prometheus-adapter": "monitoring",
        "skyhook-operator": "skyhook",
        "skyhook-customizations": "skyhook",
    }
    #: components of recipe manifests only: one release, no chart
    manifests_only = {"skyhook-customizations"}
    out = []
    for name in order:
        ns = registry_ns[name]
        manifests = bundle_dir / "components" / name / "manifests"
        if name in manifests_only:
            out.append((f"{name}-manifests", ns))
        elif name == "gpu-operator":  # ConfigMaps only: before the chart
            out += [(f"{name}-manifests", ns), (name, ns)]
        elif manifests.is_dir():  # custom resources: after the chart
            out += [(name, ns), (f"{name}-manifests", ns)]
        else:
            out.append((name, ns))
    return out


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean(bundle_dir):
    run = subprocess.run(
        [
            "shellcheck",
            "-s",
            "bash",
            str(bundle_dir / "deploy.sh"),
            str(bundle_dir / "undeploy.sh"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout


def test_deploy_installs_each_release_in_order_with_namespace_values_and_wait(bundle_dir):
    code, output, calls = _run(bundle_dir, "deploy.sh")
    assert code == 0, output
    expected = _releases(bundle_dir)
    assert [(c[2], c[c.index("--namespace") + 1]) for c in calls] == expected
    for call in calls:
        release = call[2]
        component = release.removesuffix("-manifests")
        assert call[:2] == ["upgrade", "--install"]
        assert call[call.index("--values") + 1] == str(
            bundle_dir / "components" / component / "values.yaml"
        )
        assert "--create-namespace" in call and "--wait" in call
        assert call[call.index("--timeout") + 1] == "10m"
        if release.endswith("-manifests"):
            assert call[3] == str(bundle_dir / "components" / component / "manifests")
            assert "--repo" not in call and "--version" not in call
    by_release = {c[2]: c for c in calls}
    nvsentinel = by_release["nvsentinel"]
    assert nvsentinel[3] == "oci://ghcr.io/nvidia/nvsentinel" and "--repo" not in nvsentinel
    network = by_release["network-operator"]
    assert network[3] == "network-operator"
    assert network[network.index("--repo") + 1] == "https://helm.ngc.nvidia.com/nvidia"
    assert network[network.index("--version") + 1] == "25.4.0"
    assert f"{len(expected)} releases installed" in output


def test_deploy_is_idempotent_and_takes_a_timeout(bundle_dir):
    first = _run(bundle_dir, "deploy.sh", "--timeout", "15m")
    second = _run(bundle_dir, "deploy.sh", "--timeout=15m")
    assert first[0] == second[0] == 0
    assert first[2] == second[2]
    assert all(c[c.index("--timeout") + 1] == "15m" for c in first[2])


def test_dry_run_prints_the_commands_and_runs_nothing(bundle_dir):
    code, output, calls = _run(bundle_dir, "deploy.sh", "--dry-run")
    assert code == 0 and calls == []
    lines = [line for line in output.splitlines() if line.startswith("helm upgrade --install")]
    assert len(lines) == len(_releases(bundle_dir))
    assert "--version 25.4.0" in next(line for line in lines if " network-operator " in line)


def test_deploy_stops_at_the_first_failure_naming_it(bundle_dir):
    code, output, calls = _run(bundle_dir, "deploy.sh", fail="gpu-operator")
    assert code == 1
    assert "release gpu-operator failed" in output and "--best-effort" in output
    assert calls[-1][2] == "gpu-operator"
    assert "network-operator" not in {c[2] for c in calls}


def test_best_effort_continues_and_fails_at_the_end(bundle_dir):
    code, output, calls = _run(bundle_dir, "deploy.sh", "--best-effort", fail="gpu-operator")
    assert code == 1
    assert [c[2] for c in calls] == [r for r, _ in _releases(bundle_dir)]
    assert "failed releases: gpu-operator" in output


def test_custom_resource_releases_are_retried_while_the_webhook_starts(bundle_dir):
    code, output, calls = _run(bundle_dir, "deploy.sh", fail="skyhook-customizations-manifests")
    assert code == 1
    assert [c[2] for c in calls].count("skyhook-customizations-manifests") == 5
    assert "attempt 4 of 5 failed" in output
    code, _, calls = _run(bundle_dir, "deploy.sh", fail="cert-manager")
    assert [c[2] for c in calls].count("cert-manager") == 1


def test_undeploy_removes_every_release_in_reverse_order(bundle_dir):
    code, output, calls = _run(bundle_dir, "undeploy.sh")
    assert code == 0, output
    assert [(c[1], c[c.index("--namespace") + 1]) for c in calls] == _releases(bundle_dir)[::-1]
    assert all(c[0] == "uninstall" and "--ignore-not-found" in c and "--wait" in c for c in calls)


def test_undeploy_best_effort_and_bad_options(bundle_dir):
    code, output, calls = _run(bundle_dir, "undeploy.sh", "--best-effort", fail="prometheus")
    assert code == 1 and len(calls) == len(_releases(bundle_dir))
    assert "failed releases: prometheus" in output
    for script in ("deploy.sh", "undeploy.sh"):
        code, output, calls = _run(bundle_dir, script, "--force")
        assert code == 2 and "unknown option: --force" in output and calls == []
        code, output, _ = _run(bundle_dir, script, "--help")
        assert code == 0 and "--dry-run" in output


def test_scripts_are_executable_in_folder_and_zip(bundle_dir):
    for script in ("deploy.sh", "undeploy.sh"):
        assert os.access(bundle_dir / script, os.X_OK)
