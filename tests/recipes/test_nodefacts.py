"""Node facts given by hand (the seed API's osv, kernel, k8s): parsing, and the evaluator
that excludes overlays whose constraints they fail."""

from __future__ import annotations

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.nodefacts import NodeFacts
from cns_core.recipes.model import Constraint

K8S = "K8s.server.version"
OSV = "OS.release.VERSION_ID"
KERNEL = "OS.sysctl./proc/sys/kernel/osrelease"


def test_parse_keeps_given_facts_and_ignores_blanks():
    facts = NodeFacts.parse({"osv": " 24.04 ", "kernel": "", "k8s": "v1.33", "os": "ubuntu"})
    assert facts == NodeFacts(osv="24.04", kernel="", k8s="v1.33")
    assert facts.readings() == {OSV: "24.04", K8S: "v1.33"}
    assert not NodeFacts.parse({})


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("k8s", "latest", ["invalid k8s 'latest'", "v1.33"]),
        ("osv", "noble", ["invalid osv 'noble'", "24.04"]),
        ("kernel", 6.8, ["invalid kernel 6.8", "expected a version string"]),
    ],
)
def test_a_fact_that_is_not_a_version_is_refused(name, value, words):
    with pytest.raises(InvalidRequestError) as info:
        NodeFacts.parse({name: value})
    for word in words:
        assert word in info.value.message


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        (Constraint(K8S, ">= 1.32.4"), (True, "v1.33.5-eks-3025e55", "")),
        (
            Constraint(K8S, ">= 1.34"),
            (False, "v1.33.5-eks-3025e55", "expected >= 1.34, got v1.33.5-eks-3025e55"),
        ),
        (Constraint(OSV, "24.04"), (True, "24.04", "")),
        (Constraint(OSV, ">= 24.10"), (False, "24.04", "expected >= 24.10, got 24.04")),
        (Constraint(KERNEL, ">= 6.8"), (True, "6.8.0-1028-aws", "")),
        # not a fact that was given: never held against the overlay
        (Constraint("GPU.smi.driver-version", ">= 580"), (True, None, "")),
        (Constraint("OS.release.ID", "ubuntu"), (True, None, "")),
    ],
)
def test_evaluator(constraint, expected):
    facts = NodeFacts(osv="24.04", kernel="6.8.0-1028-aws", k8s="v1.33.5-eks-3025e55")
    assert facts.evaluator()(constraint) == expected


def test_an_expression_that_cannot_be_evaluated_fails_with_the_reason():
    passed, actual, reason = NodeFacts(k8s="v1.33").evaluator()(Constraint(K8S, ">= banana"))
    assert (passed, actual) == (False, "v1.33")
    assert reason.startswith("evaluation failed: ")
