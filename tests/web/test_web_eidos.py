"""GET /v1/recipe with the seed API's (eidos) vocabulary: ALL, self-managed, the node facts
osv / kernel / k8s (they exclude overlays, as a snapshot does) and context=true (the
explain trace). The answer is our recipe document; unknown parameters stay a 400."""

from __future__ import annotations

import pytest

EIDOS_EXAMPLE = (
    "/v1/recipe?os=ubuntu&osv=24.04&kernel=6.8&service=eks&k8s=v1.33&gpu=gb200"
    "&intent=training&context=true"
)
GB200 = "service=eks&gpu=gb200&intent=training&os=ubuntu"


def test_the_eidos_example_answers_a_recipe_with_its_explain_trace(client):
    response = client.get(EIDOS_EXAMPLE)
    assert response.status_code == 200, response.json
    doc = response.json
    assert doc["kind"] == "recipeResult"
    assert doc["criteria"] == {
        "service": "eks",
        "accelerator": "gb200",
        "intent": "training",
        "os": "ubuntu",
        "platform": "any",
    }
    # every fact passes: nothing is excluded, and the same overlays apply as without them
    assert "excludedOverlays" not in doc["metadata"]
    plain = client.get(f"/v1/recipe?{GB200}").json
    assert doc["metadata"]["appliedOverlays"] == plain["metadata"]["appliedOverlays"]
    assert doc["componentRefs"] == plain["componentRefs"]
    explain = doc["metadata"]["explain"]
    assert explain[0] == {"layer": "base", "change": "requires K8s.server.version >= 1.25"}
    assert {"layer", "change"} == {key for entry in explain for key in entry}
    layers = {entry["layer"] for entry in explain}
    assert layers <= set(doc["metadata"]["appliedOverlays"])
    assert {
        "layer": "gb200-eks-training",
        "change": "gpu-operator version v25.10.1 → v25.3.3 (lowered)",
    } in explain


def test_facts_that_pass_change_nothing_and_context_false_adds_nothing(client):
    plain = client.get(f"/v1/recipe?{GB200}")
    with_facts = client.get(f"/v1/recipe?{GB200}&osv=24.04&kernel=6.8.0-1028-aws&k8s=v1.33.5")
    assert with_facts.status_code == 200
    assert with_facts.data == plain.data
    assert client.get(f"/v1/recipe?{GB200}&context=false").data == plain.data


def test_failing_facts_exclude_overlays_with_the_reasons(client):
    doc = client.get(f"/v1/recipe?{GB200}&osv=22.04&kernel=5.15&k8s=v1.31").json
    meta = doc["metadata"]
    assert "gb200-eks-training" in meta["excludedOverlays"]
    assert "gb200-eks-ubuntu-training" in meta["excludedOverlays"]
    assert not set(meta["excludedOverlays"]) & set(meta["appliedOverlays"])
    warnings = {(w["overlay"], w["constraint"]): w for w in meta["constraintWarnings"]}
    k8s = warnings[("gb200-eks-training", "K8s.server.version")]
    assert (k8s["expected"], k8s["actual"]) == (">= 1.32.4", "v1.31")
    assert k8s["reason"] == "expected >= 1.32.4, got v1.31"
    osv = warnings[("gb200-eks-ubuntu-training", "OS.release.VERSION_ID")]
    assert (osv["expected"], osv["actual"]) == ("24.04", "22.04")
    # the GB200 overlays' changes are gone
    assert "nvidia-dra-driver-gpu" not in {c["name"] for c in doc["componentRefs"]}


def test_a_fact_alone_only_checks_its_own_constraints(client):
    """k8s given, osv and kernel not: only K8s.server.version constraints are held against
    overlays."""
    doc = client.get(f"/v1/recipe?{GB200}&k8s=1.33").json
    assert "excludedOverlays" not in doc["metadata"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service=ALL&gpu=ALL&intent=ALL&os=ALL", {}),
        ("service=self-managed&gpu=h100", {"accelerator": "h100"}),
        ("service=all&platform=ALL", {}),
    ],
)
def test_all_is_any_and_self_managed_is_any(client, query, expected):
    doc = client.get(f"/v1/recipe?{query}").json
    pinned = {k: v for k, v in doc["criteria"].items() if v != "any"}
    assert pinned == expected


def test_requests_with_facts_are_cached_apart_from_those_without(client):
    first = client.get(f"/v1/recipe?{GB200}&k8s=v1.31")
    plain = client.get(f"/v1/recipe?{GB200}")
    again = client.get(f"/v1/recipe?{GB200}&k8s=v1.31")
    assert first.data == again.data != plain.data
    assert first.headers["ETag"] == again.headers["ETag"] != plain.headers["ETag"]
    explained = client.get(f"/v1/recipe?{GB200}&k8s=v1.31&context=1")
    assert explained.data != first.data and "explain" in explained.json["metadata"]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("k8s=latest", "k8s", ["invalid k8s 'latest'", "v1.33"]),
        ("osv=noble", "osv", ["invalid osv 'noble'", "24.04"]),
        ("kernel=", "", []),
        ("context=sometimes", "context", ["boolean"]),
        ("matchedRuleId=1", "matchedRuleId", ["unknown field"]),
        ("withContext=true", "withContext", ["unknown field"]),
    ],
)
def test_bad_or_unknown_parameters_are_a_400_naming_them(client, query, field, words):
    response = client.get(f"/v1/recipe?{query}")
    if not field:  # a blank fact is simply not given
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert field in response.json["details"]["errors"]
    for word in words:
        assert word in response.json["message"]


def test_post_takes_criteria_only(client):
    response = client.post("/v1/recipe", json={"spec": {"service": "eks", "k8s": "v1.33"}})
    assert response.status_code == 400
    assert "spec.k8s" in response.json["details"]["errors"]
