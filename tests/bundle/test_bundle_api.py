"""``POST /v1/bundle``: in-process through the Flask app, and end to end under gunicorn."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest
import yaml

from cns_core.bundle import BundleOptions, generate_bundle
from cns_web import create_app


@pytest.fixture
def client():
    app = create_app({"CNS_RATE_LIMIT_ENABLED": "false", "CNS_ALLOWED_ACCELERATORS": "gb200,h100"})
    return app.test_client()


def _post(client, recipe, query="", *, as_yaml=False):
    doc = recipe.to_dict()
    if as_yaml:
        return client.post(
            f"/v1/bundle{query}", data=yaml.safe_dump(doc), content_type="application/yaml"
        )
    return client.post(f"/v1/bundle{query}", data=json.dumps(doc), content_type="application/json")


def test_zip_response_headers_and_contents(client, store, gb200):
    resp = _post(
        client, gb200, "?set=gpuoperator:driver.version=1&bundlers=gpu-operator,prometheus"
    )
    assert resp.status_code == 200
    assert resp.mimetype == "application/zip"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="bundles.zip"'
    assert resp.headers["ETag"] == f'"{hashlib.sha256(resp.data).hexdigest()}"'
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        names = archive.namelist()
        size = sum(i.file_size for i in archive.infolist())
        values = yaml.safe_load(archive.read("values.yaml"))
    assert int(resp.headers["X-Bundle-Files"]) == len(names)
    assert int(resp.headers["X-Bundle-Size"]) == size
    assert list(values) == ["prometheus", "gpu-operator"]  # deployment order
    assert values["gpu-operator"]["driver"]["version"] == 1
    expected = generate_bundle(
        gb200,
        store,
        BundleOptions.parse(
            sets=["gpuoperator:driver.version=1"], bundlers=["gpu-operator,prometheus"]
        ),
    )
    assert resp.data == expected.zip


def test_yaml_body_gives_the_same_bundle_and_repeats_hit_the_cache(client, gb200):
    first = _post(client, gb200, "?deployer=argocd&repo=https://github.com/a/b.git")
    again = _post(client, gb200, "?deployer=argocd&repo=https://github.com/a/b.git")
    from_yaml = _post(
        client, gb200, "?deployer=argocd&repo=https://github.com/a/b.git", as_yaml=True
    )
    assert (first.headers["X-Bundle-Cache"], again.headers["X-Bundle-Cache"]) == ("miss", "hit")
    assert first.data == again.data == from_yaml.data
    assert first.headers["ETag"] == from_yaml.headers["ETag"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?deployer=fleet", "invalid deployer 'fleet'"),
        ("?set=gpu-operator", "invalid set override 'gpu-operator'"),
        ("?set=nosuch:a=1", "'nosuch' is not a component of this bundle"),
        ("?set=gpu-operator:driver.version.x=1", "'driver.version' is a string, not a map"),
        ("?bundlers=gpu-operator,nosuch", "unknown bundler 'nosuch'"),
        ("?system-node-selector=novalue", "invalid system-node-selector 'novalue'"),
        ("?accelerated-node-toleration=k:Never", "invalid accelerated-node-toleration"),
        ("?repo=not%20a%20url", "invalid repo"),
        ("?bogus=1", "bogus"),
    ],
)
def test_bad_options_are_400_with_the_reason(client, gb200, query, message):
    resp = _post(client, gb200, query)
    assert resp.status_code == 400, resp.data
    assert resp.json["code"] == "INVALID_REQUEST"
    assert message in resp.json["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("{}", "application/json", 400, "at least one component reference"),
        ("{not json", "application/json", 400, "invalid JSON"),
        ("", "application/json", 400, "request body is empty"),
        ("a: &x 1\nb: *x\n", "application/yaml", 400, "aliases are not allowed"),
        ("<xml/>", "text/xml", 415, "unsupported Content-Type"),
    ],
)
def test_bad_bodies(client, body, content_type, status, message):
    resp = client.post("/v1/bundle", data=body, content_type=content_type)
    assert resp.status_code == status
    assert message in resp.json["message"]


def test_allowlists_apply_to_the_body_criteria(client, gb200):
    doc = gb200.to_dict()
    doc["criteria"]["accelerator"] = "a100"
    resp = client.post("/v1/bundle", data=json.dumps(doc), content_type="application/json")
    assert resp.status_code == 400
    assert resp.json["details"] == {"requested": "a100", "allowed": ["gb200", "h100"]}


def test_get_is_405_with_allow(client):
    resp = client.get("/v1/bundle")
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]


def test_openapi_documents_the_route(client):
    spec = client.get("/openapi.json").json
    post = spec["paths"]["/v1/bundle"]["post"]
    names = {p["name"] for p in post["parameters"]}
    assert {
        "deployer",
        "repo",
        "set",
        "bundlers",
        "system-node-selector",
        "accelerated-node-toleration",
    } <= names
    assert "application/zip" in post["responses"]["200"]["content"]


@pytest.mark.slow
def test_end_to_end_under_gunicorn(live_server, store, h100):
    body = json.dumps(h100.to_dict()).encode()
    url = f"{live_server}/v1/bundle?deployer=argocd&repo=https://github.com/a/b.git"
    zips = []
    for _ in range(3):  # two workers: both answer the same bytes
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.headers["Content-Type"] == "application/zip"
            zips.append(resp.read())
    assert len(set(zips)) == 1
    with zipfile.ZipFile(io.BytesIO(zips[0])) as archive:
        assert "app-of-apps.yaml" in archive.namelist()
    bad = urllib.request.Request(
        f"{live_server}/v1/bundle?set=x", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=30)
    assert err.value.code == 400
    assert json.loads(err.value.read())["code"] == "INVALID_REQUEST"


def test_placement_a_chart_cannot_apply_comes_back_as_warnings(client, gb200):
    resp = _post(client, gb200, "?accelerated-node-selector=pool%3Dgpu")
    assert resp.status_code == 200
    header = resp.headers["X-Bundle-Warnings"]
    assert header.startswith("gpu-operator: --accelerated-node-selector does not reach the GPU")
    assert header.isascii() and "\n" not in header
    with zipfile.ZipFile(io.BytesIO(resp.data)) as archive:
        listed = archive.read("warnings.txt").decode().splitlines()
        readme = archive.read("README.md").decode()
    assert " | ".join(listed) == header
    assert all(line in readme for line in listed)
    quiet = _post(client, gb200, "?accelerated-node-toleration=nvidia.com%2Fgpu")
    assert "X-Bundle-Warnings" not in quiet.headers
