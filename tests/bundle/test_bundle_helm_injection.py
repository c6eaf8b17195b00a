"""No value can add an object to what the recipe manifests render (GitHub issue 11, item 5).

Every recipe manifest of the embedded data goes into one chart, rendered by the real
``helm template`` with the values.yaml cns writes for ``--set`` items carrying hostile
strings: the rendered objects never change in number or kind. A value that names an
object must be a DNS-1123 name (the chart fails with a message naming the value); any
other value renders quoted, exactly as given.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.recipes import RecipeResult, load_store
from cns_core.recipes.datadir import embedded_root
from tests.support.helm import run_helm

pytestmark = pytest.mark.slow

COMPONENTS = sorted(
    {p.parent.parent.name for p in Path(embedded_root()).glob("components/*/manifests/*.yaml")}
)
#: Turn on every manifest's optional parts, so that every interpolation is rendered.
ENABLE = [
    "gpu-operator:dcgmExporter.config.create=true",
    "network-operator:nicClusterPolicy.enabled=true",
    "network-operator:nicClusterPolicy.nvIpam.enabled=true",
    "network-operator:nicClusterPolicy.secondaryNetwork.enabled=true",
    "skyhook-customizations:profile=ubuntu",
    "skyhook-operator:customization=ubuntu",
]
#: Values that name an object: a DNS-1123 name, or the render fails.
NAMES = [
    "gpu-operator:driver.kernelModuleConfig.name",
    "gpu-operator:dcgmExporter.config.name",
    "kgateway:inferenceGateway.name",
]
#: Values rendered into a field (path in the values, the rendered object's kind and the
#: path to the field in it).
FIELDS = [
    ("skyhook-customizations:tuningVersion", "Skyhook", "spec.packages.tuning.version"),
    ("skyhook-operator:customizationTuningVersion", "Skyhook", "spec.packages.tuning.version"),
    ("network-operator:nicClusterPolicy.nvIpam.version", "NicClusterPolicy", "spec.nvIpam.version"),
    ("kubeflow-trainer:runtime.queue", "ClusterTrainingRuntime", None),
    ("gke-nccl-tcpxo:nodeSelector.pool", "DaemonSet", "spec.template.spec.nodeSelector.pool"),
]
INJECTIONS = [
    "x\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: pwned",
    "x\nkind: Secret",
    'x"\n---\nkind: Secret',
    "x'\n---\nkind: Secret",
    "a: b",
    "- a",
    "{a: b}",
    "*alias",
    "&anchor x",
    "!!binary aGk=",
    "# comment",
    "|\n  block",
    "{{ .Release.Name }}",
    "x\u2028---\u2028kind: Secret",
    "x\r---\rkind: Secret",
    "x\x85---",
    "\t---",
    "null",
    "~",
    "0x1F",
    "1e3",
    "yes",
    "y",  # a boolean to Helm's YAML 1.1 reader: must be quoted in values.yaml
    "N",
    "",
]
hostile = st.sampled_from(INJECTIONS) | st.text(
    st.sampled_from([*"ab-.:#{}[]&*!|>'\"%@`\\ \n\t", "\u2028"]), max_size=24
)
DNS_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
dns_names = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?(\.[a-z0-9]{1,5})?", fullmatch=True)


def _recipe() -> RecipeResult:
    refs = []
    for name in COMPONENTS:
        manifests = sorted(
            f"components/{name}/manifests/{p.name}"
            for p in (Path(embedded_root()) / "components" / name / "manifests").glob("*.yaml")
        )
        refs.append(
            {
                "name": name,
                "type": "Helm",
                "source": "https://charts.example.com",
                "version": "1.0.0",
                "manifestFiles": manifests,
            }
        )
    return RecipeResult.from_dict({"kind": "recipeResult", "componentRefs": refs})


RECIPE = _recipe()
STORE = load_store()


def render(helm: str, tmp_path: Path, sets: list[str]) -> tuple[list[dict[str, Any]] | None, str]:
    """(objects, helm's stderr): one chart of every recipe manifest, with the values.yaml
    cns writes for ``sets`` (objects is None when helm fails)."""
    bundle = generate_bundle(RECIPE, STORE, BundleOptions.parse(sets=[*ENABLE, *sets]))
    chart = tmp_path / "chart"
    templates = chart / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    for old in templates.iterdir():
        old.unlink()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: manifests\nversion: 1.0.0\n")
    (chart / "values.yaml").write_bytes(bundle.files["values.yaml"])
    for ref in RECIPE.component_refs:
        for path in ref.manifest_files:
            (templates / f"{ref.name}--{Path(path).name}").write_text(STORE.files[path])
    run = run_helm(helm, "template", "cns", str(chart), "-n", "cns-system")
    if run.returncode != 0:
        return None, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc], run.stderr


def kinds(objects: list[dict[str, Any]]) -> collections.Counter[str]:
    return collections.Counter(str(o.get("kind")) for o in objects)


@pytest.fixture(scope="module")
def baseline(helm, tmp_path_factory) -> collections.Counter[str]:
    objects, stderr = render(helm, tmp_path_factory.mktemp("baseline"), [])
    assert objects is not None, stderr
    counted = kinds(objects)
    assert {"ConfigMap", "Skyhook", "NicClusterPolicy", "Gateway", "DaemonSet"} <= set(counted)
    return counted


def _set(path: str, value: str) -> str:
    return f'{path}="{value}"'  # quoted: a string whatever it looks like


HYPOTHESIS = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@HYPOTHESIS
@given(st.sampled_from(NAMES), hostile | dns_names)
@example(NAMES[0], INJECTIONS[0])
def test_a_name_is_a_dns_name_or_the_render_fails(helm, tmp_path, baseline, path, value):
    objects, stderr = render(helm, tmp_path, [_set(path, value)])
    valid = value == "" or (DNS_1123.fullmatch(value) is not None and len(value) <= 247)
    if objects is None:
        assert not valid, stderr
        assert f"{path.replace(':', '.')} " in stderr and "DNS-1123" in stderr, stderr
    else:
        assert valid, value
        assert kinds(objects) == baseline
        assert value == "" or value in {o["metadata"]["name"] for o in objects}


@HYPOTHESIS
@given(st.lists(hostile, min_size=len(FIELDS), max_size=len(FIELDS)))
@example(["y"] * len(FIELDS))
@example(INJECTIONS[: len(FIELDS)])
def test_any_other_value_renders_quoted_as_given(helm, tmp_path, baseline, values):
    sets = [_set(path, value) for (path, _, _), value in zip(FIELDS, values, strict=True)]
    objects, stderr = render(helm, tmp_path, sets)
    assert objects is not None, stderr
    assert kinds(objects) == baseline
    for (path, kind, field), value in zip(FIELDS, values, strict=True):
        if field is None or value == "":  # "" means the template's default
            continue
        found = []
        for obj in objects:
            if obj.get("kind") != kind:
                continue
            node: Any = obj
            for key in field.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                found.append(node)
        assert value in found, (path, value, found)
