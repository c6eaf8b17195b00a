"""Criteria parsing, matching, specificity, RecipeCriteria resources and allowlists."""

from __future__ import annotations

import pytest

from cns_core.criteria import Criteria, criteria_from_resource, parse_enum, parse_nodes
from cns_core.errors import ErrorCode, InvalidRequestError
from cns_web.config import EnvReader


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("service", "EKS", "eks"),
        ("service", " gke ", "gke"),
        ("service", "self-managed", "any"),
        ("service", "Vanilla", "any"),
        ("service", "", "any"),
        ("service", None, "any"),
        ("accelerator", "GB200", "gb200"),
        ("accelerator", "L40S", "l40"),
        ("intent", "Training", "training"),
        ("os", "AL2023", "amazonlinux"),
        ("os", "amzn", "amazonlinux"),
        ("os", "ANY", "any"),
        ("service", "Kind", "kind"),
        ("platform", "Kubeflow", "kubeflow"),
        ("platform", "kubeflow-trainer", "kubeflow"),
        ("platform", "ai-dynamo", "dynamo"),
        # the seed API's (eidos) wildcard, in every field
        ("service", "ALL", "any"),
        ("accelerator", "ALL", "any"),
        ("platform", "all", "any"),
    ],
)
def test_parse_enum_normalises_case_space_and_aliases(field, raw, expected):
    assert parse_enum(field, raw) == expected


@pytest.mark.parametrize(
    ("field", "raw", "valid"),
    [
        ("service", "windows", "aks, any, eks, gke, kind, oke"),
        ("platform", "slurm", "any, dynamo, kubeflow"),
        ("accelerator", "tpu", "a100, any, gb200, h100, l40"),
        ("intent", "serving", "any, inference, training"),
        ("os", "debian", "amazonlinux, any, cos, rhel, ubuntu"),
    ],
)
def test_parse_enum_error_echoes_input_and_lists_valid_values(field, raw, valid):
    with pytest.raises(InvalidRequestError) as info:
        parse_enum(field, raw)
    assert info.value.message == f"invalid {field} {raw!r}: valid values are {valid}"
    assert info.value.code is ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize(
    ("field", "raw", "hint"),
    [
        ("service", "ekss", "did you mean 'eks'?"),
        ("accelerator", "b200", "did you mean 'gb200'?"),
        ("accelerator", "H10", "did you mean 'h100'?"),
        ("intent", "trainig", "did you mean 'training'?"),
        ("os", "ubunt", "did you mean 'ubuntu'?"),
        ("os", "al2022", "did you mean 'al2023' or 'al2'?"),  # aliases are spellings too
    ],
)
def test_parse_enum_suggests_the_closest_valid_value(field, raw, hint):
    with pytest.raises(InvalidRequestError) as info:
        parse_enum(field, raw)
    assert info.value.message.endswith(f"; {hint}")
    assert info.value.details["valid"]  # the details still list every valid value


def test_unknown_criteria_field_suggests_the_closest_one():
    with pytest.raises(InvalidRequestError, match="did you mean 'accelerator'"):
        Criteria.parse({"acelerator": "h100"})


def test_parse_enum_rejects_non_strings():
    with pytest.raises(InvalidRequestError, match="expected a string"):
        parse_enum("service", 3)


@pytest.mark.parametrize(("raw", "expected"), [(None, 0), ("", 0), ("8", 8), (" 3 ", 3), (5, 5)])
def test_parse_nodes(raw, expected):
    assert parse_nodes(raw) == expected


@pytest.mark.parametrize("raw", ["3abc", "x", "-1", -2, True, 1.5, "1e3"])
def test_parse_nodes_rejects_garbage_and_negatives(raw):
    with pytest.raises(InvalidRequestError, match="nodes"):
        parse_nodes(raw)


def test_gpu_is_an_alias_used_only_when_accelerator_is_empty():
    assert Criteria.parse({"gpu": "h100"}).accelerator == "h100"
    assert Criteria.parse({"gpu": "h100", "accelerator": "gb200"}).accelerator == "gb200"
    assert Criteria.parse({"gpu": "h100", "accelerator": ""}).accelerator == "h100"


def test_unknown_field_is_an_error_naming_valid_fields():
    with pytest.raises(InvalidRequestError, match=r"unknown criteria field\(s\) gpus: valid"):
        Criteria.parse({"gpus": "h100"})


MATCH_TABLE = [
    # (overlay, query, matches)
    ({}, {}, True),
    ({}, {"service": "eks"}, True),
    (
        {"service": "eks"},
        {"service": "eks", "accelerator": "h100"},
        True,
    ),  # generic matches specific
    ({"service": "eks"}, {}, False),  # specific overlay does not match a generic query
    ({"service": "eks"}, {"service": "gke"}, False),
    ({"service": "eks", "intent": "training"}, {"service": "eks"}, False),  # more specific
    ({"nodes": 8}, {"nodes": 8}, True),
    ({"nodes": 8}, {}, False),
    ({"nodes": 8}, {"nodes": 4}, False),
    ({}, {"nodes": 4}, True),
]


@pytest.mark.parametrize(("overlay", "query", "expected"), MATCH_TABLE)
def test_matching_is_asymmetric(overlay, query, expected):
    assert Criteria.parse(overlay).matches(Criteria.parse(query)) is expected


def test_specificity_counts_pinned_fields_and_nodes():
    assert Criteria().specificity == 0
    assert Criteria.parse({"service": "eks", "os": "ubuntu"}).specificity == 2
    assert Criteria.parse({"service": "eks", "nodes": 2}).specificity == 2


def test_to_dict_keeps_any_and_omits_zero_nodes():
    assert Criteria.parse({"service": "eks"}).to_dict() == {
        "service": "eks",
        "accelerator": "any",
        "intent": "any",
        "os": "any",
        "platform": "any",
    }
    assert Criteria.parse({"nodes": 4}).to_dict()["nodes"] == 4
    assert list(Criteria.parse({"platform": "dynamo", "nodes": 2}).to_dict()) == [
        *("service", "accelerator", "intent", "os", "platform", "nodes")
    ]


def test_resource_with_partial_spec_defaults_to_any():
    crit = criteria_from_resource(
        {
            "kind": "recipeCriteria",
            "apiVersion": "cns.nvidia.com/v1alpha1",
            "spec": {"service": "eks"},
        }
    )
    assert crit == Criteria(service="eks")
    assert criteria_from_resource({}) == Criteria()
    assert criteria_from_resource({"spec": None}) == Criteria()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "expected a RecipeCriteria resource"),
        ("eks", "expected a RecipeCriteria resource"),
        ({"kind": "Recipe"}, 'invalid kind "Recipe", expected "recipeCriteria"'),
        ({"apiVersion": "v1"}, 'invalid apiVersion "v1", expected "cns.nvidia.com/v1alpha1"'),
        ({"spec": ["eks"]}, "spec must be a mapping"),
        ({"service": "eks"}, r"unknown top-level field\(s\) service"),
        ({"spec": {"service": "windows"}}, "invalid service 'windows'"),
    ],
)
def test_resource_errors(doc, message):
    with pytest.raises(InvalidRequestError, match=message):
        criteria_from_resource(doc, source="body")


def test_allowlists_parse_env_and_enforce_pinned_values_only():
    lists = EnvReader(
        {"CNS_ALLOWED_ACCELERATORS": " h100, ,L40,any ", "CNS_ALLOWED_SERVICES": "self-managed"}
    ).allowlists()
    assert lists.lists == {"accelerator": ("h100", "l40")}
    lists.check(Criteria(accelerator="h100"))
    lists.check(Criteria())  # any is always allowed
    with pytest.raises(InvalidRequestError) as info:
        lists.check(Criteria(accelerator="gb200"))
    assert info.value.details == {"requested": "gb200", "allowed": ["h100", "l40"]}


def test_allowlists_reject_invalid_items():
    with pytest.raises(InvalidRequestError, match="invalid CNS_ALLOWED_OS: invalid os 'win'"):
        EnvReader({"CNS_ALLOWED_OS": "ubuntu,win"}).allowlists()
    assert EnvReader({}).allowlists().lists == {}
