"""``--set component:path=value``: parsing, typing, precedence and every error path."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.overrides import coerce, parse_set
from cns_core.errors import InvalidRequestError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", "True"),
        ("yes", "yes"),
        ("42", 42),
        ("08", 8),
        ("+5", 5),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("Inf", math.inf),
        ("570.133.20", "570.133.20"),
        ("0x10", "0x10"),
        ("1_000", "1_000"),
        ("9223372036854775808", 9.223372036854776e18),
        ("1e999", "1e999"),
        ('"42"', "42"),
        ('"true"', "true"),
        ('""', ""),
        ("a=b:c", "a=b:c"),
    ],
)
def test_coerce_types_values_as_upstream(text, expected):
    assert coerce(text) == expected
    assert type(coerce(text)) is type(expected)


def test_coerce_nan_is_a_float():
    assert math.isnan(coerce("nan"))


def test_parse_set_splits_on_first_colon_and_equals():
    item = parse_set("gpu-operator:driver.env=A=B:C")
    assert (item.target, item.path, item.value) == ("gpu-operator", ("driver", "env"), "A=B:C")


def test_parse_set_escaped_dot_stays_in_the_key():
    item = parse_set(r"gpu-operator:daemonsets.nodeSelector.nvidia\.com/gpu=true")
    assert item.path == ("daemonsets", "nodeSelector", "nvidia.com/gpu")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpu-operator", "expected component:path=value"),
        ("gpu-operator:driver.version", "expected component:path=value"),
        ("driver.version=1", "expected component:path=value"),
        (":driver.version=1", "the component name is empty"),
        ("gpu-operator:=1", "the path is empty"),
        ("gpu-operator:driver.version=", "the value is empty"),
        ("gpu-operator:driver..version=1", "empty segment"),
        ("gpu-operator:.driver=1", "empty segment"),
        ("gpu-operator:driver.=1", "empty segment"),
    ],
)
def test_parse_set_errors_name_the_item(text, message):
    with pytest.raises(InvalidRequestError) as err:
        parse_set(text)
    assert message in err.value.message
    assert repr(text) in err.value.message


@given(
    target=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    keys=st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,10}", fullmatch=True), min_size=1),
    value=st.text(min_size=1).filter(lambda v: not v.isspace()),
)
def test_parse_set_round_trips_target_and_path(target, keys, value):
    item = parse_set(f"{target}:{'.'.join(keys)}={value}")
    assert item.target == target
    assert item.path == tuple(keys)
    assert item.value == coerce(value) or (isinstance(item.value, float) and math.isnan(item.value))


def _values(store, recipe, *sets):
    bundle = generate_bundle(recipe, store, BundleOptions.parse(sets=sets))
    return yaml.safe_load(bundle.files["values.yaml"])


def test_set_by_name_and_alias_last_one_wins(store, gb200):
    values = _values(
        store,
        gb200,
        "gpu-operator:driver.version=1",
        "gpuoperator:driver.version=580.105.08",
        "gpu-operator:driver.newKey.deep=on",
        'kube-prometheus-stack:grafana.enabled="false"',
    )
    assert values["gpu-operator"]["driver"]["version"] == "580.105.08"
    assert values["gpu-operator"]["driver"]["newKey"] == {"deep": "on"}
    assert values["prometheus"]["grafana"]["enabled"] == "false"


def test_set_wins_over_recipe_overrides_and_values_files(store, gb200):
    ref = gb200.component("gpu-operator")
    assert ref.overrides["driver"]["version"] == "580.82.07"
    values = _values(store, gb200, "gpu-operator:driver.version=999")
    assert values["gpu-operator"]["driver"]["version"] == 999


def test_set_enabled_false_disables_a_component(store, gb200):
    values = _values(store, gb200, "cert-manager:enabled=false")
    assert values["cert-manager"]["enabled"] is False


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("nosuch:a=1", "'nosuch' is not a component of this bundle"),
        ("network-operator:a=1", "'network-operator' is not a component of this bundle"),
        ("gpu-operator:driver.version.major=1", "'driver.version' is a string, not a map"),
        ("gpu-operator:toolkit.env.name=x", "'toolkit.env' is a list, not a map"),
    ],
)
def test_set_errors_against_the_recipe(store, gb200, item, message):
    with pytest.raises(InvalidRequestError) as err:
        _values(store, gb200, item)
    assert message in err.value.message
    assert item in err.value.message


def test_set_to_a_component_left_out_by_bundlers_is_an_error(store, gb200):
    options = BundleOptions.parse(sets=["prometheus:a=1"], bundlers=["gpu-operator"])
    with pytest.raises(InvalidRequestError, match="'prometheus' is not a component"):
        generate_bundle(gb200, store, options)
