"""``cns query``: one value of the recipe, its Helm values resolved as the bundle does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cns_core.bundle import BundleOptions
from cns_core.bundle.plan import plan_bundle
from cns_core.criteria import Criteria
from cns_core.errors import InvalidRequestError, NotFoundError
from cns_core.query import hydrate, parse_selector, select
from cns_core.recipes import build_recipe
from cns_core.serialize import load_yaml
from tests.support.cli import CnsRunner
from tests.support.paths import EXAMPLE_SNAPSHOTS, EXAMPLES

GB200 = ["--service", "eks", "--accelerator", "gb200", "--intent", "training"]
RECIPE = str(EXAMPLES / "recipes" / "gb200-eks-ubuntu-training.yaml")


@pytest.fixture
def query(runner: CnsRunner) -> Callable[..., str]:
    """``query(*args)``: what ``cns query ARGS...`` prints (it must succeed)."""

    def run(*args: str) -> str:
        result = runner.invoke(["query", *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_a_chart_value_prints_bare_and_is_the_value_the_bundle_sends(query, store):
    out = query(*GB200, "--selector", "components.gpu-operator.values.driver.version")
    recipe = build_recipe(Criteria(service="eks", accelerator="gb200", intent="training"), store)
    plan = plan_bundle(recipe, store, BundleOptions())
    gpu_operator = next(c for c in plan.components if c.name == "gpu-operator")
    assert out == f"{gpu_operator.values['driver']['version']}\n" == "580.82.07\n"


def test_a_value_from_the_base_values_file_is_resolved_too(query):
    # the recipe's own overrides do not set it: only the merged values have it
    assert (
        query(*GB200, "--selector", "components.gpu-operator.values.driver.kernelModuleType")
        == "open\n"
    )


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("components.gpu-operator.version", "v25.3.3\n"),
        ("components.prometheus.chart", "kube-prometheus-stack\n"),
        ("components.prometheus.namespace", "monitoring\n"),
        ("criteria.service", "eks\n"),
        ("components.gpu-operator.values.cdi.enabled", "true\n"),
        ("constraints.K8s\\.server\\.version", ">= 1.32.4\n"),
        ("constraints.K8s.server.version", ">= 1.32.4\n"),  # a key with dots, unescaped
        (".criteria.intent", "training\n"),
    ],
)
def test_scalars_print_bare(query, selector, expected):
    assert query(*GB200, "--selector", selector) == expected


def test_a_number_indexes_a_list(query, store):
    recipe = build_recipe(Criteria(service="eks", accelerator="gb200", intent="training"), store)
    for i, name in enumerate(recipe.deployment_order):
        assert query(*GB200, "--selector", f"deploymentOrder.{i}") == f"{name}\n"


def test_maps_and_lists_print_as_yaml_or_json(query):
    driver = load_yaml(query(*GB200, "--selector", "components.gpu-operator.values.driver"))
    assert driver["version"] == "580.82.07"
    as_json = json.loads(
        query(*GB200, "--selector", "components.gpu-operator.values.driver", "-t", "json")
    )
    assert as_json == driver
    order = json.loads(query(*GB200, "--selector", "deploymentOrder", "--format", "json"))
    assert order.index("prometheus") < order.index("gpu-operator")
    assert query(*GB200, "--selector", "criteria.service", "-t", "json") == '"eks"\n'
    everything = load_yaml(query(*GB200, "--selector", ""))
    assert set(everything) == {
        "criteria",
        "metadata",
        "deploymentOrder",
        "components",
        "constraints",
    }


def test_set_overrides_apply_before_selecting(query):
    out = query(
        *GB200,
        "--selector",
        "components.gpu-operator.values.driver.version",
        "--set",
        "gpu-operator:driver.version=580.105.08",
    )
    assert out == "580.105.08\n"


def test_query_a_recipe_file_and_a_snapshot(query):
    assert query("-r", RECIPE, "--selector", "criteria.os") == "ubuntu\n"
    snapshot = str(EXAMPLE_SNAPSHOTS / "gb200-eks-ubuntu.yaml")
    assert (
        query("-s", snapshot, "--intent", "training", "--selector", "criteria.accelerator")
        == "gb200\n"
    )


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            "components.gpu-operator.values.driver.verison",
            "selector 'components.gpu-operator.values.driver.verison' not found: "
            "components.gpu-operator.values.driver has no key 'verison'; did you mean 'version'?",
        ),
        (
            "components.gpu-operatr.version",
            "components has no key 'gpu-operatr'; did you mean 'gpu-operator'?",
        ),
        ("nothing", "the recipe has no key 'nothing' (it has: criteria, metadata, deploymentOrder"),
        (
            "deploymentOrder.42",
            "deploymentOrder is a list of 8: '42' is not an index (0-7)",
        ),  # 8 components
        (
            "components.gpu-operator.version.x",
            "components.gpu-operator.version is a value (v25.3.3), it has no 'x'",
        ),
    ],
)
def test_a_missing_path_names_the_deepest_existing_prefix_exit_4(runner, selector, message):
    result = runner.invoke(["query", *GB200, "--selector", selector])
    assert result.exit_code == 4
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([*GB200, "--selector", "a..b"], 3, "empty key"),
        ([*GB200], 2, "Missing option '--selector'"),
        (["--selector", "criteria"], 2, "no criteria given"),
        ([*GB200, "--selector", "x", "-t", "table"], 2, "--format table is not a query format"),
        (["-r", RECIPE, "--service", "eks", "--selector", "x"], 2, "drop the criteria options"),
        ([*GB200, "--selector", "x", "--set", "nope:a=1"], 3, "is not a component of this bundle"),
    ],
)
def test_bad_input(runner, args, code, message):
    result = runner.invoke(["query", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_selector_parsing():
    assert parse_selector("") == () == parse_selector(".")
    assert parse_selector("a.b\\.c.0") == ("a", "b.c", "0")
    with pytest.raises(InvalidRequestError):
        parse_selector("a.")


def test_select_reports_structured_details(store):
    doc = hydrate(build_recipe(Criteria(service="eks"), store), store)
    assert select(doc, "components.gpu-operator.type") == "Helm"
    with pytest.raises(NotFoundError) as info:
        select(doc, "components.gpu-operator.values.nope.deeper")
    assert info.value.details["found"] == "components.gpu-operator.values"
    assert info.value.details["missing"] == "nope"
    assert "driver" in info.value.details["available"]


def test_a_recipe_in_aicr_names_is_queried_by_ours(query, tmp_path):
    doc = load_yaml(Path(RECIPE).read_text())
    for ref in doc["componentRefs"]:
        if ref["name"] == "prometheus":
            ref["name"] = "kube-prometheus-stack"
        ref["dependencyRefs"] = [
            "kube-prometheus-stack" if d == "prometheus" else d
            for d in ref.get("dependencyRefs", [])
        ]
    doc["deploymentOrder"] = [
        "kube-prometheus-stack" if n == "prometheus" else n for n in doc["deploymentOrder"]
    ]
    aicr = tmp_path / "aicr.json"
    aicr.write_text(json.dumps(doc))
    selector = "components.prometheus.chart"
    assert query("-r", str(aicr), "--selector", selector) == query(
        "-r", RECIPE, "--selector", selector
    )
