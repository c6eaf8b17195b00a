"""GET/POST /v1/recipe: same bytes as the CLI, criteria validation, allowlists, caching."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cns_core.serialize import dump_yaml
from tests.support.cli import CnsRunner

CRITERIA = {"service": "eks", "accelerator": "gb200", "intent": "training", "os": "ubuntu"}


@pytest.fixture
def cli_json(runner: CnsRunner) -> Callable[..., bytes]:
    """``cli_json(*flags)``: the bytes ``cns recipe --format json FLAGS...`` prints."""

    def run(*args: str) -> bytes:
        result = runner.invoke(["recipe", "--format", "json", *args])
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    return run


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        (
            "service=eks&accelerator=gb200&intent=training&os=ubuntu",
            [
                "--service",
                "eks",
                "--accelerator",
                "gb200",
                "--intent",
                "training",
                "--os",
                "ubuntu",
            ],
        ),
        ("service=gke&gpu=h100", ["--service", "gke", "--gpu", "h100"]),
        ("intent=inference&nodes=4", ["--intent", "inference", "--nodes", "4"]),
        ("service=any", ["--service", "any"]),
        (
            "service=eks&accelerator=h100&os=ubuntu&intent=training&platform=kubeflow",
            [
                *("--service", "eks", "--accelerator", "h100", "--os", "ubuntu"),
                *("--intent", "training", "--platform", "kubeflow"),
            ],
        ),
        ("platform=dynamo&service=kind", ["--platform", "dynamo", "--service", "kind"]),
    ],
)
def test_get_answers_the_exact_bytes_of_the_cli(cli_json, client, query, flags):
    response = client.get(f"/v1/recipe?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.data == cli_json(*flags)


def test_post_json_and_yaml_give_the_get_bytes(client):
    resource = {
        "kind": "recipeCriteria",
        "apiVersion": "cns.nvidia.com/v1alpha1",
        "metadata": {"name": "x"},
        "spec": CRITERIA,
    }
    expected = client.get("/v1/recipe", query_string=CRITERIA).data
    as_json = client.post("/v1/recipe", json=resource)
    as_yaml = client.post("/v1/recipe", data=dump_yaml(resource), content_type="application/x-yaml")
    text_yaml = client.post("/v1/recipe", data=dump_yaml(resource), content_type="text/yaml")
    assert [r.status_code for r in (as_json, as_yaml, text_yaml)] == [200, 200, 200]
    assert as_json.data == as_yaml.data == text_yaml.data == expected


def test_post_without_content_type_is_read_as_json(client):
    response = client.post("/v1/recipe", data=json.dumps({"spec": {"service": "eks"}}))
    assert response.status_code == 200
    assert response.json["criteria"]["service"] == "eks"


def test_values_are_case_insensitive_and_aliases_work(client):
    upper = client.get("/v1/recipe?service=EKS&os=AL2023&accelerator=H100")
    assert upper.json["criteria"] == {
        "service": "eks",
        "accelerator": "h100",
        "intent": "any",
        "os": "amazonlinux",
        "platform": "any",
    }


def test_gpu_is_used_only_when_accelerator_is_unset(client):
    assert client.get("/v1/recipe?gpu=h100").json["criteria"]["accelerator"] == "h100"
    both = client.get("/v1/recipe?accelerator=gb200&gpu=h100").json["criteria"]
    assert both["accelerator"] == "gb200"
    blank = client.get("/v1/recipe?accelerator=&gpu=h100").json["criteria"]
    assert blank["accelerator"] == "h100"


def test_first_value_of_a_repeated_parameter_wins(client):
    assert client.get("/v1/recipe?service=gke&service=eks").json["criteria"]["service"] == "gke"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("service=windows", "service", ["windows", "aks, any, eks, gke, kind, oke"]),
        ("accelerator=v100", "accelerator", ["v100", "a100, any, gb200, h100, l40"]),
        ("gpu=tpu", "gpu", ["tpu"]),
        ("intent=gaming", "intent", ["gaming", "inference, training"]),
        ("os=windows", "os", ["windows", "amazonlinux"]),
        ("nodes=-1", "nodes", [">= 0"]),
        ("nodes=3abc", "nodes", ["integer >= 0"]),
        (
            "serivce=eks",
            "serivce",
            ["unknown field", "accelerator, context, gpu, intent, k8s, kernel, nodes"],
        ),
        ("platform=slurm", "platform", ["slurm", "any, dynamo, kubeflow"]),
        ("osv=jammy", "osv", ["jammy", "24.04"]),
        ("kernel=latest", "kernel", ["latest", "6.8"]),
        ("k8s=one.33", "k8s", ["one.33", "v1.33"]),
        ("context=maybe", "context", ["boolean"]),
    ],
)
def test_invalid_query_is_a_400_naming_field_and_valid_values(client, query, field, words):
    response = client.get(f"/v1/recipe?{query}")
    assert response.status_code == 400
    body = response.json
    assert body["code"] == "INVALID_REQUEST"
    assert body["retryable"] is False
    assert field in body["details"]["errors"]
    for word in words:
        assert word in body["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        ("", "application/json", ["request body is empty"]),
        ("{not json", "application/json", ["invalid JSON"]),
        ("[1, 2]", "application/json", ["expected a RecipeCriteria resource"]),
        ('"eks"', "application/json", ["expected a RecipeCriteria resource"]),
        ('{"kind": "recipeResult"}', "application/json", ["kind", "recipeCriteria"]),
        ('{"apiVersion": "v2"}', "application/json", ["apiVersion", "cns.nvidia.com/v1alpha1"]),
        ('{"service": "eks"}', "application/json", ["service", "unknown field", "spec"]),
        ('{"spec": {"service": "windows"}}', "application/json", ["spec.service", "windows"]),
        ('{"spec": {"colour": "red"}}', "application/json", ["spec.colour", "unknown field"]),
        ('{"spec": "eks"}', "application/json", ["spec"]),
        ("spec: [unclosed", "application/yaml", ["invalid YAML"]),
        ("a: &x [1]\nb: *x\n", "application/yaml", ["aliases are not allowed"]),
        ("!!python/object:os.system {}", "application/yaml", ["invalid YAML"]),
        ("spec: {service: eks}\n---\nspec: {}\n", "application/yaml", ["one document"]),
        ("[" * 100 + "]" * 100, "application/json", ["nesting deeper"]),
        (b"\xff\xfe".decode("latin-1"), "application/json", ["not UTF-8"]),
    ],
)
def test_bad_post_body_is_a_400_saying_what_is_wrong(client, body, content_type, words):
    data = body.encode("latin-1") if "\xff" in body else body
    response = client.post("/v1/recipe", data=data, content_type=content_type)
    assert response.status_code == 400, response.json
    assert response.json["code"] == "INVALID_REQUEST"
    for word in words:
        assert word in response.json["message"]


def test_unsupported_media_type_is_a_415_listing_the_supported_ones(client):
    response = client.post(
        "/v1/recipe", data="service=eks", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    body = response.json
    assert body["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in body["details"]["supported"]
    assert "application/x-www-form-urlencoded" in body["message"]


def test_allowlists_refuse_with_requested_and_allowed(make_app):
    client = make_app(CNS_ALLOWED_ACCELERATORS="h100,l40", CNS_ALLOWED_SERVICES="eks").test_client()
    refused = client.get("/v1/recipe?accelerator=gb200")
    assert refused.status_code == 400
    assert refused.json["details"] == {"requested": "gb200", "allowed": ["h100", "l40"]}
    assert "not allowed" in refused.json["message"]
    posted = client.post("/v1/recipe", json={"spec": {"service": "gke"}})
    assert posted.status_code == 400
    assert posted.json["details"] == {"requested": "gke", "allowed": ["eks"]}
    assert client.get("/v1/recipe?accelerator=h100").status_code == 200
    assert client.get("/v1/recipe").status_code == 200  # unspecified fields are always allowed


def test_platform_allowlist(make_app):
    client = make_app(CNS_ALLOWED_PLATFORMS="Kubeflow").test_client()
    refused = client.get("/v1/recipe?platform=dynamo")
    assert refused.status_code == 400
    assert refused.json["details"] == {"requested": "dynamo", "allowed": ["kubeflow"]}
    assert client.get("/v1/recipe?platform=kubeflow").status_code == 200
    with pytest.raises(Exception, match="CNS_ALLOWED_PLATFORMS"):
        make_app(CNS_ALLOWED_PLATFORMS="kubeflow,slurm")


def test_invalid_allowlist_setting_stops_startup(make_app):
    from cns_core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="CNS_ALLOWED_OS"):
        make_app(CNS_ALLOWED_OS="ubuntu,windows")


def test_recipe_responses_are_cacheable_with_a_strong_etag(client):
    first = client.get("/v1/recipe?service=eks")
    again = client.get("/v1/recipe?service=eks")
    assert first.headers["Cache-Control"] == "public, max-age=600"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert again.headers["ETag"] == etag and again.data == first.data
    other = client.get("/v1/recipe?service=gke")
    assert other.headers["ETag"] != etag


def test_if_none_match_gives_304_without_body(client):
    etag = client.get("/v1/recipe?service=eks").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/v1/recipe?service=eks", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.data == b""
        assert response.headers["ETag"] == etag
    stale = client.get("/v1/recipe?service=eks", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200


def test_cache_max_age_is_configurable(make_app):
    client = make_app(CNS_CACHE_MAX_AGE="60").test_client()
    assert client.get("/v1/recipe").headers["Cache-Control"] == "public, max-age=60"


def test_equivalent_criteria_share_one_cache_entry(app):
    client = app.test_client()
    metrics = app.extensions["cns"].metrics
    client.get("/v1/recipe?service=eks")
    client.get("/v1/recipe?service=EKS&intent=any")
    client.post("/v1/recipe", json={"spec": {"service": "eks"}})
    assert metrics.recipe_cache_misses._value.get() == 1
    assert metrics.recipe_cache_hits._value.get() == 2


def test_cache_is_bounded(make_app):
    app = make_app(CNS_RECIPE_CACHE_SIZE="2")
    client = app.test_client()
    for service in ("eks", "gke", "aks", "eks"):
        assert client.get(f"/v1/recipe?service={service}").status_code == 200
    state = app.extensions["cns"]
    assert len(state.recipes) == 2
    assert state.metrics.recipe_cache_misses._value.get() == 4  # eks was evicted by aks


def test_time_budget_exceeded_is_a_504(make_app):
    client = make_app(CNS_REQUEST_TIMEOUT="0.000001").test_client()
    response = client.get("/v1/recipe?service=eks")
    assert response.status_code == 504
    assert response.json["code"] == "TIMEOUT"
    assert response.json["retryable"] is True
    assert response.json["details"]["stage"] == "building the recipe"


def test_recipe_is_503_when_the_data_failed_to_load(make_app, tmp_path):
    client = make_app(CNS_DATA_DIR=str(tmp_path / "missing")).test_client()
    response = client.get("/v1/recipe?service=eks")
    assert response.status_code == 503
    assert response.json["code"] == "SERVICE_UNAVAILABLE"
    assert "failed to load" in response.json["message"]
    assert "missing" not in response.json["message"]  # the server's paths stay in its log
    assert response.headers["Retry-After"] == "1"


def test_external_data_dir_is_used(make_app, tmp_path):
    (tmp_path / "registry.yaml").write_text("components: []\n")
    client = make_app(CNS_DATA_DIR=str(tmp_path)).test_client()
    assert client.get("/v1/recipe?service=eks").status_code == 200
