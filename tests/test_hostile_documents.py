"""Hostile documents (GitHub issue 11, item 9): each is an INVALID_REQUEST naming what is
wrong, never a crash; the CLI exits 3 with one line. Plus the guards that bound what one
document can cost: the number of keys and values, the pure-Python YAML re-parse."""

from __future__ import annotations

import json
import time

import pytest

from cns_core.bundle import BundleOptions
from cns_core.bundle.overrides import MAX_PATH_SEGMENTS
from cns_core.errors import InvalidRequestError
from cns_core.recipes.graph import deployment_order
from cns_core.recipes.model import MAX_COMPONENT_REFS, ComponentRef
from cns_core.serialize import MAX_PURE_YAML_BYTES, load_json, load_yaml

REF = {"name": "a", "type": "Helm", "source": "https://charts.example.com", "version": "1.0.0"}
RECIPE = {"kind": "recipeResult", "componentRefs": [REF]}
BIG_INT = "1" * 4301


def chain(length: int) -> list[dict[str, object]]:
    """componentRefs c0 -> c1 -> ... (each depends on the next): the deepest possible DFS."""
    return [
        {**REF, "name": f"c{i}", "dependencyRefs": [f"c{i + 1}"] if i + 1 < length else []}
        for i in range(length)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"\\ud800": 1}', r"lone surrogate '\\ud800'"),
        ('{"kind": "\\udfff"}', r"lone surrogate '\\udfff'"),
        ('{"a": ' + BIG_INT + "}", "an integer has more than 4300 digits"),
    ],
)
def test_json_that_python_cannot_hold_is_invalid(text, message):
    with pytest.raises(InvalidRequestError, match=message):
        load_json(text, source="body")


def test_json_surrogate_pairs_are_characters():
    assert load_json('{"k": "\\ud83d\\ude00"}') == {"k": "\U0001f600"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + BIG_INT, "an integer has more than 4300 digits"),
        ('a: "\\ud800"', "lone surrogate"),
        ("1: a\nb: c\n", "mapping key 1 is not a string"),
        ("? [a, b]\n: c\n", r"mapping key \('a', 'b'\) is not a string"),
        ("a: !!binary aGVsbG8=\n", "unsupported value of type bytes"),
        ("a: !!set {x, y}\n", "unsupported value of type set"),
    ],
)
def test_yaml_that_is_not_plain_data_is_invalid(text, message):
    with pytest.raises(InvalidRequestError, match=message):
        load_yaml(text, source="body")


def test_yaml_timestamps_stay_strings():
    assert load_yaml("a: 2001-01-01\nb: 2001-12-14t21:59:43.10-05:00\n") == {
        "a": "2001-01-01",
        "b": "2001-12-14t21:59:43.10-05:00",
    }


def test_key_and_value_cap_counts_the_same_in_json_and_yaml():
    doc = {"a": [1, 2, 3], "b": {"c": None}}  # 1 + (2 keys) + 4 + 1 + (1 key) + 1 = 10
    assert load_json(json.dumps(doc), max_nodes=10) == doc
    assert load_yaml("a: [1, 2, 3]\nb: {c: null}\n", max_nodes=10) == doc
    for load in (
        lambda: load_json(json.dumps(doc), source="body", max_nodes=9),
        lambda: load_yaml("a: [1, 2, 3]\nb: {c: null}\n", source="body", max_nodes=9),
    ):
        with pytest.raises(InvalidRequestError, match="more than 9 keys and values") as info:
            load()
        assert info.value.details == {"limit": 9}


def test_libyaml_rejects_are_reparsed_in_pure_python_only_when_small():
    tricky = "x: [a:b]\n"  # valid YAML 1.2 that ruamel's libyaml refuses
    assert load_yaml(tricky) == {"x": ["a:b"]}
    filler = "".join(f"k{i}: {'v' * 60}\n" for i in range(MAX_PURE_YAML_BYTES // 60))
    # PyYAML's libyaml reads it (cns_core.serialize._load_fast), whatever its size ...
    started = time.process_time()
    assert load_yaml(tricky + filler, source="body")["x"] == ["a:b"]
    # ... but a document that also needs ruamel (a merge key) is not parsed again
    big = "m: {<<: {a: 1}}\n" + tricky + filler
    with pytest.raises(InvalidRequestError, match="invalid YAML in body"):
        load_yaml(big, source="body")
    assert time.process_time() - started < 5  # refused, not parsed again for 10+ s


def test_mixed_keys_in_a_component_ref_or_criteria_are_named():
    with pytest.raises(InvalidRequestError, match="unknown componentRef field"):
        ComponentRef.from_dict({"name": "a", 1: 2, "zz": 3}, where="recipe")
    from cns_core.criteria import Criteria, criteria_from_resource

    with pytest.raises(InvalidRequestError, match="unknown"):
        Criteria.parse({1: "a", "zz": "b"})
    with pytest.raises(InvalidRequestError, match="unknown top-level field"):
        criteria_from_resource({1: "a", "zz": "b"})


def test_a_dependency_chain_of_any_length_is_ordered_without_recursion():
    refs = [ComponentRef.from_dict(r, where="r") for r in chain(5000)]
    order = deployment_order(refs)
    assert order[0] == "c4999" and order[-1] == "c0"
    looped = [*refs[:-1], refs[-1]._replace(dependency_refs=("c0",))]
    with pytest.raises(InvalidRequestError, match="circular dependency"):
        deployment_order(looped)


def test_set_paths_are_capped():
    ok = "a:" + ".".join(["k"] * MAX_PATH_SEGMENTS) + "=1"
    assert len(BundleOptions.parse(sets=[ok]).overrides[0].path) == MAX_PATH_SEGMENTS
    with pytest.raises(InvalidRequestError, match=f"at most {MAX_PATH_SEGMENTS} are allowed"):
        BundleOptions.parse(sets=["a:" + ".".join(["k"] * 600) + "=1"])


@pytest.mark.parametrize(
    ("name", "text", "extra", "message"),
    [
        ("surrogate.json", '{"\\ud800": 1}', (), "lone surrogate"),
        (
            "kind.json",
            json.dumps({**RECIPE, "kind": "\ud800"}).replace("\\\\", "\\"),
            (),
            "lone surrogate",
        ),
        ("bigint.yaml", "componentRefs:\n- name: a\n  version: " + BIG_INT + "\n", (), "4300"),
        ("mixed.yaml", "componentRefs:\n- name: a\n  1: 2\n  zz: 3\n", (), "not a string"),
        (
            "criteria.yaml",
            "criteria:\n  1: a\n  zz: b\ncomponentRefs:\n- name: a\n",
            (),
            "not a string",
        ),
        (
            "set.json",
            json.dumps(RECIPE),
            ("--set", "a:" + ".".join(["k"] * 600) + "=1"),
            "at most 32",
        ),
        (
            "chain.json",
            json.dumps({"componentRefs": chain(1200)}),
            (),
            f"at most {MAX_COMPONENT_REFS}",
        ),
    ],
)
def test_cli_bundle_exits_3_with_one_line(runner, tmp_path, name, text, extra, message):
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(["bundle", "-r", str(path), "-o", str(tmp_path / "out"), *extra])
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_recipe_criteria_file_exits_3_with_one_line(runner, tmp_path):
    for text in (
        '{"spec": {"\\ud800": 1}}',
        "spec:\n  1: a\n  zz: b\n",
        "spec:\n  nodes: " + BIG_INT,
    ):
        path = tmp_path / "criteria.yaml"
        path.write_text(text)
        result = runner.invoke(["recipe", "-c", str(path)])
        assert result.exit_code == 3, result.output
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_generate_bundle_checks_its_checkpoint_before_each_component_and_stops_on_it():
    from cns_core.bundle import generate_bundle
    from cns_core.criteria import Criteria
    from cns_core.errors import TimeoutExceededError
    from cns_core.recipes import build_recipe, load_store

    store = load_store()
    recipe = build_recipe(Criteria.parse({"service": "eks", "intent": "training"}), store)
    stages: list[str] = []
    generate_bundle(recipe, store, BundleOptions(), checkpoint=stages.append)
    planned = [s.removeprefix("planning component ") for s in stages if s.startswith("planning")]
    assert planned == list(recipe.deployment_order)
    assert stages[len(planned) :] == [
        "writing the helm files",
        "writing recipe.yaml and checksums.txt",
    ]

    seen: list[str] = []

    def deadline(stage: str) -> None:
        seen.append(stage)
        if len(seen) == 2:
            raise TimeoutExceededError(f"over budget while {stage}")

    with pytest.raises(TimeoutExceededError, match=f"planning component {planned[1]}"):
        generate_bundle(recipe, store, BundleOptions(), checkpoint=deadline)
    assert len(seen) == 2  # nothing ran after the deadline passed
