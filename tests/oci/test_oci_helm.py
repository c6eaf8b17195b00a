"""The umbrella chart itself as a Helm OCI chart, with the real helm binary and registry.

What docs/bundles.md tells users: ``helm package`` the bundle (after ``helm dependency
update``, replaced here by stub subcharts: no network), ``helm push`` it to the registry
that holds the cns artifact, then ``helm pull`` / ``helm install oci://...``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from cns_core import __version__
from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.archive import write_tree
from tests.support.helm import add_stub_subcharts

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def _helm(helm: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """helm with its config, cache, data and registry login under ``home``."""
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    run = subprocess.run([helm, *args], capture_output=True, text=True, timeout=40, env=env)
    assert run.returncode == 0, f"helm {' '.join(args)}:\n{run.stdout}{run.stderr}"
    return run


def _received(rendered: str) -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    return {
        d["metadata"]["name"].removeprefix("received-"): yaml.safe_load(d["data"]["values.yaml"])
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("received-")
    } | {"@names": {(d["kind"], d["metadata"]["name"]) for d in docs}}


def test_umbrella_chart_pushed_pulled_and_templated_from_the_registry(
    runner, helm, tmp_path, registry, store, gb200, recipe_file
):
    bundle = generate_bundle(
        gb200, store, BundleOptions.parse(sets=["gpu-operator:driver.version=580.105.08"])
    )
    chart_dir = tmp_path / "bundle"
    write_tree(bundle.files, chart_dir)
    add_stub_subcharts(chart_dir)  # what `helm dependency update` downloads
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    name, version = chart["name"], chart["version"]
    assert version == __version__
    home = tmp_path / "helm-home"

    # the cns artifact and the chart side by side in one registry
    artifact = runner.invoke(
        [
            "bundle",
            "-r",
            recipe_file,
            "-o",
            f"oci://{registry.host}/cns/bundle:{version}",
            "--plain-http",
        ]
    )
    assert artifact.exit_code == 0, artifact.output

    _helm(helm, home, "package", str(chart_dir), "-d", str(tmp_path / "pkg"))
    package = tmp_path / "pkg" / f"{name}-{version}.tgz"
    assert package.is_file()
    pushed = _helm(
        helm, home, "push", str(package), f"oci://{registry.host}/cns/charts", "--plain-http"
    )
    assert f"{registry.host}/cns/charts/{name}:{version}" in pushed.stdout + pushed.stderr

    (tmp_path / "pulled").mkdir()
    pull = ["pull", f"oci://{registry.host}/cns/charts/{name}", "--version", version]
    _helm(helm, home, *pull, "--plain-http", "-d", str(tmp_path / "pulled"))
    pulled = tmp_path / "pulled" / f"{name}-{version}.tgz"
    assert pulled.is_file()

    from_file = _received(
        _helm(helm, home, "template", "cns-stack", str(pulled), "-n", "cns-stack").stdout
    )
    # what `helm install cns-stack oci://HOST/cns/charts/NAME --version X` renders
    chart_ref = f"oci://{registry.host}/cns/charts/{name}"
    render = ["template", "cns-stack", chart_ref, "--version", version, "--plain-http"]
    from_registry = _received(_helm(helm, home, *render, "-n", "cns-stack").stdout)
    assert from_file == from_registry
    # every component with a chart (skyhook-customizations is recipe manifests only)
    assert set(from_file) - {"@names"} == {
        n for n in gb200.deployment_order if not store.registry.get(n).manifests_only
    }
    assert from_file["gpu-operator"]["driver"]["version"] == "580.105.08"
    assert ("ConfigMap", "dcgm-exporter") in from_file["@names"]  # the bundle's own templates

    # the chart is not a cns bundle: cns bundle pull says so and points at helm
    wrong = runner.invoke(
        [
            "bundle",
            "pull",
            f"oci://{registry.host}/cns/charts/{name}:{version}",
            "--plain-http",
            "-o",
            tmp_path / "x",
        ]
    )
    assert wrong.exit_code == 3
    assert (
        "is not a cns bundle: its artifact type is 'application/vnd.cncf.helm.config.v1+json'"
        in wrong.stderr
    )
    assert "helm pull" in wrong.stderr
