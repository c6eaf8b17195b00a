"""``GET /v1/criteria`` and ``GET /v1/query``: what ``cns list`` and ``cns query`` print."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.cli import CnsRunner


@pytest.fixture
def cli_out(runner: CnsRunner) -> Callable[..., str]:
    """``cli_out(*args)``: what ``cns ARGS...`` prints (it must succeed)."""

    def run(*args: str) -> str:
        result = runner.invoke(args)
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_criteria_is_the_list_document_with_cache_validators(cli_out, client):
    response = client.get("/v1/criteria")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.data.decode() == cli_out("list", "--format", "json")
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/v1/criteria", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_criteria_lists_only_what_the_server_allows(make_app):
    client = make_app(CNS_ALLOWED_SERVICES="eks", CNS_ALLOWED_OS="ubuntu").test_client()
    doc = client.get("/v1/criteria").json
    by_name = {c["name"]: c for c in doc["criteria"]}
    assert by_name["service"]["values"] == ["eks", "any"]
    assert by_name["os"]["values"] == ["ubuntu", "any"] and by_name["os"]["aliases"] == {}
    assert by_name["accelerator"]["values"] == ["a100", "gb200", "h100", "l40", "any"]
    assert not any(o["matches"].get("service") == "gke" for o in doc["overlays"])


def test_criteria_is_in_the_openapi_document_with_its_schema(client):
    doc = client.get("/openapi.json").json
    ok = doc["paths"]["/v1/criteria"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Catalog"}
    assert {"Catalog", "Criterion", "OverlayEntry"} <= set(doc["components"]["schemas"])
    query = doc["paths"]["/v1/query"]["get"]
    names = [p["name"] for p in query["parameters"]]
    assert names[-2:] == ["selector", "format"]
    assert {"service", "accelerator", "gpu", "intent", "os", "platform", "nodes"} == set(names[:-2])
    assert next(p for p in query["parameters"] if p["name"] == "selector")["required"] is True
    assert {"text/plain", "application/json", "application/yaml"} == set(
        query["responses"]["200"]["content"]
    )
    assert "404" in query["responses"]


GB200 = "service=eks&accelerator=gb200&intent=training"
CLI_GB200 = ("--service", "eks", "--accelerator", "gb200", "--intent", "training")


@pytest.mark.parametrize(
    "selector",
    [
        "components.gpu-operator.values.driver.version",
        "components.gpu-operator.version",
        "deploymentOrder.1",
        "constraints.K8s\\.server\\.version",
    ],
)
def test_scalars_are_text_like_the_cli(cli_out, client, selector):
    args = {"service": "eks", "accelerator": "gb200", "intent": "training", "selector": selector}
    response = client.get("/v1/query", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.data.decode() == cli_out("query", *CLI_GB200, "--selector", selector)


def test_maps_are_json_by_default_yaml_on_request(cli_out, client):
    selector = "components.gpu-operator.values.driver"
    as_json = client.get(f"/v1/query?{GB200}&selector={selector}")
    assert as_json.mimetype == "application/json"
    assert as_json.data.decode() == cli_out(
        "query", *CLI_GB200, "--selector", selector, "-t", "json"
    )
    as_yaml = client.get(f"/v1/query?{GB200}&selector={selector}&format=yaml")
    assert as_yaml.mimetype == "application/yaml"
    assert as_yaml.data.decode() == cli_out("query", *CLI_GB200, "--selector", selector)
    scalar = client.get(f"/v1/query?{GB200}&selector=criteria.service&format=json")
    assert scalar.mimetype == "application/json" and json.loads(scalar.data) == "eks"


def test_a_missing_path_is_a_404_naming_the_deepest_prefix(client):
    response = client.get(
        f"/v1/query?{GB200}&selector=components.gpu-operator.values.driver.verison"
    )
    assert response.status_code == 404
    body = response.json
    assert body["code"] == "NOT_FOUND"
    assert (
        "components.gpu-operator.values.driver has no key 'verison'; did you mean 'version'?"
        in body["message"]
    )
    assert body["details"]["found"] == "components.gpu-operator.values.driver"
    assert body["details"]["missing"] == "verison"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("service=eks", "selector: Missing data for required field."),
        ("service=eks&selector=a..b", "empty key"),
        ("service=eks&selector=x&format=xml", "format: must be json or yaml"),
        ("service=windows&selector=x", "invalid service 'windows'"),
        ("selector=x&colour=red", "colour: unknown field"),
    ],
)
def test_bad_queries_are_400(client, query, message):
    response = client.get(f"/v1/query?{query}")
    assert response.status_code == 400
    assert message in response.json["message"]


def test_query_honours_allowlists(make_app):
    client = make_app(CNS_ALLOWED_SERVICES="eks").test_client()
    response = client.get("/v1/query?service=gke&selector=criteria")
    assert response.status_code == 400
    assert response.json["details"] == {"requested": "gke", "allowed": ["eks"]}


def test_routes_answer_503_before_the_data_is_loaded(make_app):
    app = make_app()
    state = app.extensions["cns"]
    state.store = None
    client = app.test_client()
    assert client.get("/v1/criteria").status_code == 503
    assert client.get("/v1/query?service=eks&selector=criteria").status_code == 503
