"""The browser pages through the Flask client: every page and form state, the same data and
messages as the API and the CLI, the page security policy, limits, metrics and errors."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from cns_core.criteria import VALID_VALUES
from cns_web.blueprints.ui import PAGE_CSP
from tests.support.cli import CnsRunner
from tests.support.paths import REPO

from .browser import h100_snapshot_text

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
H100 = {"service": "eks", "accelerator": "h100", "intent": "inference", "os": "ubuntu"}
GB200 = {"service": "eks", "accelerator": "gb200", "intent": "training", "os": "ubuntu"}
PAGES = [
    "/ui",
    f"/ui?{urlencode(H100)}",
    f"/ui/compare?{urlencode(H100)}&{urlencode({'b-' + k: v for k, v in GB200.items()})}",
    f"/ui/bundle?{urlencode(H100)}",
    "/ui/check",
]


def text_of(element_html: str) -> str:
    """The text of an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", element_html))


def pre_by_id(page: str, ident: str) -> str:
    match = re.search(rf'<pre[^>]* id="{ident}"[^>]*><code>(.*?)</code></pre>', page, re.S)
    assert match, f"no <pre id={ident}>"
    return text_of(match.group(1))


@pytest.fixture
def cli_recipe(runner: CnsRunner) -> Callable[[dict[str, str]], str]:
    """``cli_recipe(criteria)``: the JSON ``cns recipe`` prints for those criteria."""

    def run(criteria: dict[str, str]) -> str:
        flags = [item for k, v in criteria.items() for item in (f"--{k}", v)]
        result = runner.invoke(["recipe", "--format", "json", *flags])
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def api_message(client, path: str, **kwargs) -> str:
    response = client.get(path) if not kwargs else client.post(path, **kwargs)
    assert response.status_code >= 400
    return str(response.json["message"])


def test_explorer_without_criteria_shows_the_form_and_examples(client):
    response = client.get("/ui")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.text
    for field, values in VALID_VALUES.items():
        options = re.search(rf'<select id="{field}" name="{field}">(.*?)</select>', page, re.S)
        assert options, field
        found = re.findall(r'<option value="([^"]*)"', options.group(1))
        assert found == ["any", *values]
        assert f'<label for="{field}">' in page
    assert '<input id="nodes" name="nodes" type="number" min="0"' in page
    assert 'href="/ui?service=eks&amp;accelerator=h100&amp;intent=inference&amp;os=ubuntu"' in page
    assert "<table" not in page


@pytest.mark.parametrize("criteria", [H100, GB200, {"service": "gke", "os": "cos"}])
def test_explorer_shows_the_same_recipe_as_the_cli(cli_recipe, client, criteria):
    response = client.get(f"/ui?{urlencode(criteria)}")
    assert response.status_code == 200
    page = response.text
    expected = cli_recipe(criteria)
    assert pre_by_id(page, "recipe-json") == expected  # the same bytes, in the page
    recipe = json.loads(expected)
    rows = re.findall(r'<tr id="row-([^"]+)">(.*?)</tr>', page, re.S)
    assert [name for name, _ in rows] == recipe["deploymentOrder"]
    refs = {ref["name"]: ref for ref in recipe["componentRefs"]}
    for name, row in rows:
        cells = text_of(row)
        # a component of manifests only has no version or source: '—'
        assert refs[name].get("version", "—") in cells
        assert refs[name].get("source", "—") in cells
        for dep in refs[name].get("dependencyRefs", []):
            assert dep in cells
    for constraint in recipe.get("constraints", []):
        assert escape(constraint["name"]) in page
        assert escape(constraint["value"]) in page
    for overlay in recipe["metadata"]["appliedOverlays"]:
        assert f"<code>{overlay}</code>" in page
    assert page.count('<g class="g-node"') == len(recipe["componentRefs"])
    assert page.count('<details class="values" id="component-') == len(recipe["componentRefs"])


def test_explain_trace_and_resolved_values_are_on_the_page(client):
    page = client.get(f"/ui?{urlencode(GB200)}").text
    assert "gpu-operator version v25.10.1 → v25.3.3 (lowered)" in page
    assert "adds nvidia-dra-driver-gpu 25.8.1" in page
    values = re.search(r'id="component-gpu-operator">(.*?)</details>', page, re.S).group(1)
    assert '<span class="y-key">driver</span>' in values  # highlighted on the server
    assert "580.82.07" in values  # the overlay's driver version, resolved


def test_root_is_the_explorer_for_browsers_and_json_for_clients(client):
    browser = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert browser.status_code == 200
    assert browser.mimetype == "text/html"
    assert "<h1>Explore a recipe</h1>" in browser.text
    assert browser.headers["Vary"] == "Accept"
    assert browser.headers["Content-Security-Policy"] == PAGE_CSP
    for accept in (None, "*/*", "application/json", "application/json, text/html;q=0.5"):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/", headers=headers)
        assert response.mimetype == "application/json", accept
        assert response.json["name"] == "cns"
        assert response.headers["Vary"] == "Accept"
    assert "/ui" in client.get("/").json["routes"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("service=windows", "service"), ("accelerator=v100", "accelerator"), ("nodes=-1", "nodes")],
)
def test_bad_criteria_are_a_message_on_the_page(client, query, field):
    response = client.get(f"/ui?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.text
    message = api_message(client, f"/v1/recipe?{query}")
    assert escape(message) in page
    assert 'role="alert"' in page
    assert f'id="{field}" name="{field}"' in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    assert "Traceback" not in page and "<table" not in page


def test_allowlists_shape_the_form_and_refuse_like_the_api(make_app):
    client = make_app(CNS_ALLOWED_ACCELERATORS="h100,gb200").test_client()
    page = client.get("/ui").text
    options = re.search(r'<select id="accelerator".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', options) == ["any", "h100", "gb200"]
    response = client.get("/ui?accelerator=a100")
    assert response.status_code == 400
    assert escape(api_message(client, "/v1/recipe?accelerator=a100")) in response.text


def test_compare_shows_components_versions_values_constraints_and_overlays(client):
    response = client.get(PAGES[2])
    assert response.status_code == 200
    page = response.text
    row = re.search(r'<tr class="kind-added" id="diff-nvidia-dra-driver-gpu">', page)
    assert row
    assert '<tr class="kind-removed" id="diff-network-operator">' in page
    changes = re.search(r'id="changes-gpu-operator">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert "v25.10.1" in changes and "v25.3.3" in changes
    assert "driver.version" in changes and "580.82.07" in changes
    # both leaves now carry aicr's EKS floor (>= 1.32.4) and Ubuntu 24.04 constraints
    assert "The same 4 constraints." in page
    # the tuning differs: NVIDIA's packages (H100 EKS) vs the Ubuntu profile (GB200)
    tuning = re.search(r'id="changes-skyhook-customizations">(.*?)</div>\s*</div>', page, re.S)
    assert tuning and "nvidia" in tuning.group(1) and "ubuntu" in tuning.group(1)
    assert "only in B" in page and "gb200-eks-training" in page
    assert page.count('class="dep-graph"') == 2
    assert 'id="graph-a-title"' in page and 'id="graph-b-title"' in page  # unique ids


def test_compare_of_equal_criteria_says_identical(client):
    query = f"{urlencode(H100)}&{urlencode({'b-' + k: v for k, v in H100.items()})}"
    assert "The two recipes are identical." in client.get(f"/ui/compare?{query}").text


def test_compare_names_which_side_has_bad_criteria(client):
    response = client.get(f"/ui/compare?{urlencode(H100)}&b-os=windows")
    assert response.status_code == 400
    assert "second recipe: invalid query parameters: os: invalid os &#39;windows&#39;" in (
        response.text
    )
    assert "Compare" in client.get(f"/ui/compare?{urlencode(H100)}").text  # B not yet chosen


def test_bundle_page_form_states(cli_recipe, client):
    fresh = client.get(f"/ui/bundle?{urlencode(H100)}")
    assert fresh.status_code == 200
    page = fresh.text
    assert 'name="deployer" value="helm" checked' in page
    assert 'id="deployer-argocd"' in page
    components = len(json.loads(cli_recipe(H100))["deploymentOrder"])
    assert components == 10  # H100 EKS Ubuntu inference, with EBS CSI, EFA and the tuning
    assert page.count('name="bundlers"') == components and page.count(" checked>") == components
    assert "service=eks&amp;accelerator=h100" in page  # the curl command names the recipe
    bad = client.get(f"/ui/bundle?{urlencode(H100)}&options=1&set=nope&repo=ftp://x")
    assert bad.status_code == 400
    assert re.search(r'<p class="field-error" id="set-error"[^>]*>invalid set override', bad.text)
    assert re.search(r'<p class="field-error" id="repo-error"[^>]*>invalid repo', bad.text)
    names = json.loads(cli_recipe(H100))["deploymentOrder"]
    every = urlencode([("bundlers", name) for name in names])
    good = client.get(f"/ui/bundle?{urlencode(H100)}&options=1&deployer=argocd&{every}")
    assert good.status_code == 200
    assert "These options are valid" in good.text
    assert "no --repo given" in good.text  # the bundle's own warning
    none = client.get(f"/ui/bundle?{urlencode(H100)}&options=1")
    assert "choose at least one component" in none.text


def test_bundle_page_with_bad_criteria(client):
    response = client.get("/ui/bundle?os=windows")
    assert response.status_code == 400
    assert "invalid os" in response.text


@pytest.mark.parametrize(
    ("param", "value", "field"),
    [
        ("deployer", "nope", "deployer"),
        ("repo", "not a url", "repo"),
        ("set", "nope", "set"),
        ("set", "unknown:a.b=1", "set"),
        ("system-node-selector", "novalue", "system-node-selector"),
        ("system-node-toleration", "key=value:Sometimes", "system-node-toleration"),
        ("accelerated-node-selector", "=x", "accelerated-node-selector"),
        ("accelerated-node-toleration", "a b", "accelerated-node-toleration"),
        ("bundlers", "nope", "bundlers"),
    ],
)
def test_validate_options_gives_the_api_message_for_the_field(client, param, value, field):
    recipe = client.get(f"/v1/recipe?{urlencode(H100)}").data
    expected = api_message(
        client,
        f"/v1/bundle?{urlencode({param: value})}",
        data=recipe,
        content_type="application/json",
    )
    response = client.get(f"/ui/validate-options?{urlencode(H100)}&{urlencode({param: value})}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert body["ok"] is False
    assert body["errors"] == {field: expected}


def test_validate_options_when_valid_gives_warnings_and_the_api_urls(client):
    query = urlencode([("accelerated-node-selector", "pool=gpu"), ("deployer", "argocd")])
    body = client.get(f"/ui/validate-options?{urlencode(H100)}&{query}").json
    assert body["ok"] is True and body["errors"] == {}
    assert any("no --repo given" in w for w in body["warnings"])
    assert body["recipeUrl"] == f"/v1/recipe?{urlencode(H100)}"
    assert body["bundleUrl"] == "/v1/bundle?deployer=argocd&accelerated-node-selector=pool%3Dgpu"


def test_validate_options_with_bad_criteria_is_the_api_error_body(client):
    response = client.get("/ui/validate-options?service=windows")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["code"] == "INVALID_REQUEST"
    assert "invalid service 'windows'" in response.json["message"]


def upload(client, data: bytes, name: str = "snapshot.yaml", **fields: str):
    return client.post(
        "/ui/check",
        data={"snapshot": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def test_check_page_form(client):
    page = client.get("/ui/check").text
    assert 'enctype="multipart/form-data"' in page
    assert '<input id="snapshot" name="snapshot" type="file"' in page
    assert "detect from the snapshot" in page


def test_check_an_h100_snapshot(client):
    snapshot = h100_snapshot_text()
    response = upload(client, snapshot.encode(), "h100.yaml", intent="inference")
    assert response.status_code == 200
    page = response.text
    assert re.search(r"<dt>service</dt><dd>eks</dd>", page)
    assert re.search(r"<dt>accelerator</dt><dd>h100</dd>", page)
    assert "Recipe selected: service=eks, accelerator=h100, intent=inference, os=ubuntu" in page
    from cns_core.serialize import load_yaml

    report = client.post(
        "/v1/validate",
        json={"snapshot": load_yaml(snapshot), "criteria": {"intent": "inference"}},
    ).json
    rows = re.findall(r'<tr class="status-(\w+)">(.*?)</tr>', page, re.S)
    assert [status for status, _ in rows] == [r["status"] for r in report["results"]]
    for (_, row), result in zip(rows, report["results"], strict=True):
        assert escape(result["name"]) in row and escape(result["expected"]) in row
    assert f'Result: <span class="status-word">{report["summary"]["status"].upper()}' in page


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00binary", "not UTF-8 text"),
        (b"a: [unclosed", "invalid YAML in snapshot.yaml"),
        (b"kind: Snapshot\nmeasurements: 3\n", "measurements must be a list"),
        (b"kind: Recipe\nmeasurements: []\n", 'invalid kind "Recipe"'),
        (b"[1, 2]", "expected a Snapshot document"),
    ],
)
def test_a_bad_snapshot_is_a_message_on_the_page(client, data, words):
    response = upload(client, data)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert escape(words) in response.text
    assert 'role="alert"' in response.text
    assert "Traceback" not in response.text


def test_check_without_a_file_or_with_bad_pinned_criteria(client):
    response = client.post("/ui/check", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "choose a snapshot file" in response.text
    bad = upload(client, h100_snapshot_text().encode(), intent="sleeping")
    assert bad.status_code == 400
    assert "invalid criteria: intent: invalid intent &#39;sleeping&#39;" in bad.text


def test_snapshot_over_the_body_cap_is_a_413_page(make_app):
    client = make_app(CNS_MAX_BODY_BYTES="2000").test_client()
    response = upload(client, h100_snapshot_text().encode() + b"#" * 3000)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "request body too large: the limit is 2000 bytes" in response.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_the_policy_and_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy == PAGE_CSP and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert "<style" not in page and " style=" not in page and " on" + "click=" not in page
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', page):
        assert url.startswith(("/", "#")), f"{path} refers to {url}"


def test_assets_are_served_from_the_package_and_refer_to_nothing_outside():
    assets = sorted((REPO / "cns_web" / "assets").iterdir())
    assert {p.name for p in assets} >= {"ui.css", "ui.js", "favicon.svg"}
    for path in [*assets, *(REPO / "templates" / "ui").iterdir()]:
        text = path.read_text()
        assert "@import" not in text and "url(http" not in text, path
        loads = re.findall(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", text)
        assert loads == [], (path, loads)
        assert "fetch('http" not in text and 'fetch("http' not in text, path


def test_static_files(client):
    for name, mimetype in (
        ("ui.css", "text/css"),
        ("ui.js", "text/javascript"),
        ("favicon.svg", "image/svg+xml"),
    ):
        response = client.get(f"/ui/static/{name}")
        assert response.status_code == 200, name
        assert response.mimetype == mimetype
    assert client.get("/ui/static/nope.js").status_code == 404


def test_pages_carry_the_request_id_and_are_counted_by_route(client):
    response = client.get("/ui", headers={"X-Request-Id": "ui-req-7"})
    assert response.headers["X-Request-Id"] == "ui-req-7"
    assert "<code>ui-req-7</code>" in response.text
    client.get(f"/ui?{urlencode(H100)}")
    metrics = client.get("/metrics").text
    assert 'cns_http_requests_total{method="GET",path="/ui",status="200"} 2.0' in metrics


def test_pages_are_rate_limited_like_the_api(make_app):
    client = make_app(CNS_RATE_LIMIT="2 per minute").test_client()
    assert client.get("/ui").status_code == 200
    assert client.get("/ui/check").status_code == 200
    limited = client.get("/ui")
    assert limited.status_code == 429
    assert limited.mimetype == "text/html"
    assert "rate limit exceeded" in limited.text
    assert limited.headers["Retry-After"]
    assert limited.headers["X-RateLimit-Limit"] == "2"


def test_an_unexpected_error_is_a_page_without_internals(app, monkeypatch, caplog):
    from cns_web.ui import pages

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "explore", broken)
    response = app.test_client().get(f"/ui?{urlencode(H100)}")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    request_id = response.headers["X-Request-Id"]
    assert f"logged with request id {request_id}" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert "secret internals" in caplog.text


def test_pages_are_503_with_a_message_when_the_data_failed_to_load(make_app, tmp_path):
    client = make_app(CNS_DATA_DIR=str(tmp_path / "missing")).test_client()
    response = client.get(f"/ui?{urlencode(H100)}")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "service not ready" in response.text
    assert client.get("/ui").status_code == 200  # the form alone needs no data


def test_wrong_method_on_a_page_is_405(client):
    response = client.post("/ui")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS" or "GET" in response.headers["Allow"]
