"""POST /v1/validate: the report of ``cns recipe --snapshot`` + ``cns validate``, the error
body, limits and the OpenAPI document."""

from __future__ import annotations

import json

import pytest

from cns_core.serialize import dump_yaml, load_yaml
from tests.support.cli import CnsRunner
from tests.support.errors import assert_error

from .browser import h100_snapshot_text

#: Fields that differ between two runs of the same check.
VOLATILE = ("metadata", "recipeSource", "snapshotSource")


@pytest.fixture
def snapshot() -> dict:
    return load_yaml(h100_snapshot_text())


def stable(report: dict) -> dict:
    out = {k: v for k, v in report.items() if k not in VOLATILE}
    out["summary"] = {k: v for k, v in report["summary"].items() if k != "duration"}
    return out


def cli_report(runner: CnsRunner, tmp_path, snapshot: dict, *recipe_flags: str) -> dict:
    snap = tmp_path / "snapshot.yaml"
    snap.write_text(dump_yaml(snapshot))
    recipe = tmp_path / "recipe.json"
    made = runner.invoke(["recipe", "-s", snap, *recipe_flags, "-t", "json", "-o", recipe])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(
        ["validate", "-r", recipe, "-s", snap, "-t", "json", "--no-fail-on-error"]
    )
    assert checked.exit_code == 0, checked.output
    return json.loads(checked.stdout)


@pytest.mark.parametrize(
    ("criteria", "flags"),
    [
        (None, ()),
        ({"intent": "inference"}, ("--intent", "inference")),
        ({"intent": "training", "os": "ubuntu"}, ("--intent", "training", "--os", "ubuntu")),
    ],
)
def test_criteria_give_the_report_of_the_cli(client, runner, tmp_path, snapshot, criteria, flags):
    body = {"snapshot": snapshot, **({"criteria": criteria} if criteria else {})}
    response = client.post("/v1/validate", json=body)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    report = response.json
    assert report["kind"] == "ValidationResult"
    assert stable(report) == stable(cli_report(runner, tmp_path, snapshot, *flags))
    assert report["snapshotSource"] == "request body: snapshot"
    assert report["recipeSource"].startswith("recipe for criteria(service=eks, accelerator=h100")


def test_a_recipe_is_checked_as_given_in_json_or_yaml(client, snapshot):
    recipe = client.get("/v1/recipe?service=eks&accelerator=h100&intent=inference&os=ubuntu").json
    recipe["constraints"].append({"name": "GPU.smi.driver", "value": ">= 999"})
    as_json = client.post("/v1/validate", json={"snapshot": snapshot, "recipe": recipe})
    assert as_json.status_code == 200
    results = {r["name"]: r for r in as_json.json["results"]}
    assert results["GPU.smi.driver"]["status"] == "failed"
    assert as_json.json["summary"]["status"] == "fail"
    assert as_json.json["recipeSource"] == "request body: recipe"
    as_yaml = client.post(
        "/v1/validate",
        data=dump_yaml({"snapshot": snapshot, "recipe": recipe}),
        content_type="application/yaml",
    )
    assert stable(as_yaml.json) == stable(as_json.json)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([1, 2], "expected a mapping with snapshot"),
        ({"snapshot": {"measurements": []}, "extra": 1}, "unknown field(s) extra"),
        ({"criteria": {"intent": "training"}}, "snapshot is required"),
        (
            {"snapshot": {"measurements": []}, "recipe": {}, "criteria": {}},
            "give recipe or criteria, not both",
        ),
        ({"snapshot": {"measurements": []}, "criteria": "eks"}, "criteria must be a mapping"),
        (
            {"snapshot": {"measurements": []}, "criteria": {"service": "windows"}},
            "invalid criteria: service: invalid service 'windows'",
        ),
        ({"snapshot": {"measurements": 3}}, "snapshot: measurements must be a list"),
        ({"snapshot": {"measurements": [{"type": "Disk"}]}}, "invalid measurement type 'Disk'"),
        ({"snapshot": {"measurements": []}, "recipe": {"kind": "x"}}, 'invalid kind "x"'),
    ],
)
def test_bad_bodies_are_a_400_saying_what_is_wrong(client, body, words):
    body = assert_error(client.post("/v1/validate", json=body), 400, "INVALID_REQUEST")
    assert words in body["message"]


def test_empty_body_media_type_and_size(make_app, snapshot):
    client = make_app(CNS_MAX_BODY_BYTES="500").test_client()
    assert (
        "request body is empty"
        in assert_error(
            client.post("/v1/validate", data=b"", content_type="application/json"),
            400,
            "INVALID_REQUEST",
        )["message"]
    )
    assert_error(
        client.post("/v1/validate", data=b"x", content_type="text/plain"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    assert_error(client.post("/v1/validate", json={"snapshot": snapshot}), 413, "PAYLOAD_TOO_LARGE")


def test_allowlists_and_the_time_budget(make_app, snapshot):
    limited = make_app(CNS_ALLOWED_ACCELERATORS="gb200").test_client()
    body = assert_error(
        limited.post("/v1/validate", json={"snapshot": snapshot}), 400, "INVALID_REQUEST"
    )
    assert body["details"] == {"requested": "h100", "allowed": ["gb200"]}
    slow = make_app(CNS_REQUEST_TIMEOUT="0.000001").test_client()
    body = assert_error(slow.post("/v1/validate", json={"snapshot": snapshot}), 504, "TIMEOUT")
    assert body["details"]["stage"] == "validating the snapshot"


def test_rate_limited_like_every_route(make_app, snapshot):
    client = make_app(CNS_RATE_LIMIT="1 per minute").test_client()
    assert client.post("/v1/validate", json={"snapshot": snapshot}).status_code == 200
    assert_error(
        client.post("/v1/validate", json={"snapshot": snapshot}), 429, "RATE_LIMIT_EXCEEDED"
    )


def test_unavailable_while_the_data_is_not_loaded(make_app, tmp_path, snapshot):
    client = make_app(CNS_DATA_DIR=str(tmp_path / "missing")).test_client()
    assert_error(
        client.post("/v1/validate", json={"snapshot": snapshot}), 503, "SERVICE_UNAVAILABLE"
    )


def test_the_openapi_document_describes_it(client):
    doc = client.get("/openapi.json").json
    operation = doc["paths"]["/v1/validate"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/yaml", "application/x-yaml"}
    shapes = [s["$ref"].rsplit("/", 1)[1] for s in content["application/json"]["schema"]["oneOf"]]
    assert shapes == ["ValidateRecipe", "ValidateCriteria", "ValidateSnapshot"]
    schemas = doc["components"]["schemas"]
    for name, fields in zip(
        shapes, (["snapshot", "recipe"], ["snapshot", "criteria"], ["snapshot"]), strict=True
    ):
        assert sorted(schemas[name]["required"]) == sorted(fields)
        assert schemas[name]["additionalProperties"] is False
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["$ref"].endswith("/ValidationResult")
    assert {"400", "415"} <= set(operation["responses"])
    summary = doc["components"]["schemas"]["ValidationSummary"]["properties"]["status"]
    assert summary["enum"] == ["pass", "partial", "fail"]
