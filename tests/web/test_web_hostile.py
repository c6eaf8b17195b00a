"""Hostile requests through the Flask client (GitHub issue 11): what answered 500 is a 400
in the JSON error body, a fuzz test over every route, routing without redirects, and
the bounds on what one bundle request can cost."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe, load_store
from cns_core.recipes.model import MAX_COMPONENT_REFS, REF_FIELDS
from cns_core.serialize import dump_yaml
from cns_web.request_body import MAX_BODY_NODES
from tests.support.errors import ERROR_KEYS, assert_error

REF = {"name": "a", "type": "Helm", "source": "https://charts.example.com", "version": "1.0.0"}
RECIPE = {"kind": "recipeResult", "componentRefs": [REF]}


@pytest.fixture
def client(make_app):
    return make_app(CNS_RATE_LIMIT_ENABLED="false").test_client()


def gb200() -> dict[str, Any]:
    criteria = Criteria.parse({"service": "eks", "accelerator": "gb200", "intent": "training"})
    return build_recipe(criteria, load_store()).to_dict()


def post(client, path: str, body: str | bytes, content_type: str = "application/json", **kw):
    return client.post(path, data=body, content_type=content_type, **kw)


# --- item 9: each of these answered 500 --------------------------------------------------

BIG_INT = "1" * 4301


@pytest.mark.parametrize(
    ("path", "body", "content_type", "message"),
    [
        ("/v1/recipe", '{"\\ud800": 1}', "application/json", "lone surrogate"),
        ("/v1/bundle", '{"kind": "\\ud800"}', "application/json", "lone surrogate"),
        ("/v1/bundle", '{"\\ud800": 1}', "application/json", "lone surrogate"),
        ("/v1/recipe", "spec:\n  nodes: " + BIG_INT, "application/yaml", "4300 digits"),
        (
            "/v1/bundle",
            "componentRefs:\n- {name: a, version: " + BIG_INT + "}",
            "text/yaml",
            "4300",
        ),
        ("/v1/bundle", "componentRefs:\n- name: a\n  1: 2\n  zz: 3\n", "application/yaml", "key 1"),
        (
            "/v1/bundle",
            "criteria:\n  1: a\n  zz: b\ncomponentRefs:\n- name: a\n",
            "application/yaml",
            "key 1",
        ),
        ("/v1/recipe", "spec:\n  1: a\n  zz: b\n", "application/yaml", "key 1"),
        ("/v1/bundle", "componentRefs: [{name: a, overrides: {x: !!set {a}}}]", "text/yaml", "set"),
    ],
)
def test_what_answered_500_is_a_400(client, path, body, content_type, message):
    response = post(client, path, body, content_type)
    assert message in assert_error(response, 400, "INVALID_REQUEST")["message"]


def test_a_600_segment_set_path_is_a_400_without_a_traceback(client, caplog):
    path = ".".join(["k"] * 600)
    response = post(client, f"/v1/bundle?set=a:{path}=1", json.dumps(RECIPE))
    assert "at most 32 are allowed" in assert_error(response, 400, "INVALID_REQUEST")["message"]
    assert "Traceback" not in caplog.text


def test_a_1200_component_chain_is_a_400_naming_the_cap(client):
    refs = [
        {**REF, "name": f"c{i}", "dependencyRefs": [f"c{i + 1}"] if i < 1199 else []}
        for i in range(1200)
    ]
    body = assert_error(
        post(client, "/v1/bundle", json.dumps({"componentRefs": refs})), 400, "INVALID_REQUEST"
    )
    assert f"at most {MAX_COMPONENT_REFS} are allowed" in body["message"]
    assert body["details"] == {"limit": MAX_COMPONENT_REFS, "componentRefs": 1200}


def test_a_message_holding_a_lone_surrogate_still_answers_json(app):
    from cns_core.errors import ErrorCode
    from cns_web.errors import error_response

    with app.test_request_context("/"):
        response = error_response(ErrorCode.INVALID_REQUEST, 'invalid kind "\ud800"')
    assert response.status_code == 400
    assert json.loads(response.data)["message"] == 'invalid kind "\ud800"'


# --- item 9: fuzz every route ----------------------------------------------------------

#: Scalars a serialiser cannot write but a hostile body can hold, put in by placeholder.
SPECIAL = {
    "@@BIGINT@@": ("1" * 4301, "1" * 4301),
    "@@SURROGATE@@": ('"\\ud800"', '"\\ud800"'),
    "@@SET@@": ('"set"', "!!set {a}"),
    "@@BINARY@@": ('"binary"', "!!binary aGk="),
    "@@DATE@@": ('"2001-01-01"', "2001-01-01"),
}
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["any", "eks", "gb200", "Helm", "https://x.io", "1.0.0", "a", "-1"])
    | st.sampled_from(sorted(SPECIAL))
)
keys = st.text(max_size=10) | st.sampled_from(sorted(SPECIAL))
yaml_keys = keys | st.integers(-2, 2) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
yaml_documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(yaml_keys, children, max_size=4)
    ),
    max_leaves=12,
)
ref_keys = st.sampled_from([key for _attr, key in REF_FIELDS]) | st.text(max_size=6)
ref_like = st.dictionaries(ref_keys, documents, max_size=6) | st.dictionaries(
    ref_keys | yaml_keys, yaml_documents, max_size=6
)
criteria_fields = st.sampled_from(["service", "accelerator", "intent", "os", "nodes", "gpu", "x"])
recipe_like = st.fixed_dictionaries(
    {"componentRefs": st.lists(ref_like, max_size=3)},
    optional={
        "kind": st.sampled_from(["recipeResult", "recipeCriteria", "x", "@@SURROGATE@@"]),
        "criteria": st.dictionaries(criteria_fields | yaml_keys, scalars),
        "deploymentOrder": documents,
        "metadata": documents,
        "constraints": documents,
    },
)
criteria_like = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["recipeCriteria", "x", "@@SURROGATE@@"]),
        "apiVersion": st.sampled_from(["cns.nvidia.com/v1alpha1", "v9"]),
        "spec": yaml_documents | st.dictionaries(criteria_fields | yaml_keys, scalars),
        "metadata": documents,
    },
)
YAML_ALPHABET = st.sampled_from([*"ab1-:,[]{}?!&*#|>'\"%@`\\ \n\t.=", "\ud7ff", "é", "\x00"])


def _encode(doc: Any, as_yaml: bool) -> bytes:
    """JSON (keys made strings, as JSON has them) or YAML, with the placeholders filled in."""
    if as_yaml:
        text = dump_yaml(doc)
        for name, (_, yaml_text) in SPECIAL.items():
            text = text.replace(f"'{name}'", yaml_text)
    else:
        text = json.dumps(_string_keys(doc))
        for name, (json_text, _) in SPECIAL.items():
            text = text.replace(f'"{name}"', json_text)
    return text.encode()


def _string_keys(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {str(k): _string_keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_string_keys(v) for v in doc]
    return doc


bodies = st.one_of(
    st.tuples(st.booleans(), yaml_documents | recipe_like | criteria_like).map(
        lambda t: ("application/yaml" if t[0] else "application/json", _encode(t[1], t[0]))
    ),
    st.tuples(
        st.sampled_from(["application/json", "application/yaml", "text/plain", ""]),
        st.text(YAML_ALPHABET, max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    ),
    st.tuples(st.sampled_from(["application/json", "application/yaml"]), st.binary(max_size=20)),
)
PARAMS = [
    "service", "accelerator", "gpu", "intent", "os", "nodes", "deployer", "repo", "set",
    "bundlers", "system-node-selector", "accelerated-node-toleration", "x",
]  # fmt: skip
queries = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(PARAMS) | st.text(max_size=5), st.text(max_size=20)), max_size=4
    ).map(urllib.parse.urlencode),
    st.lists(st.sampled_from([*"a=&%;+?#/.:-1\\", "%ff", "%00", "%e2%80%a8"]), max_size=20).map(
        "".join
    ),
)
ROUTES = [
    "/", "/health", "/ready", "/metrics", "/openapi.json", "/docs", "/docs/init.js",
    "/docs/swagger-ui/x", "/v1/recipe", "/v1/bundle", "/v1/nope", "/v1//recipe",
    "/v1/recipe/", "/static/x", "/v1/validate", "/ui", "/ui/check", "/ui/compare",
    "/ui/bundle", "/ui/validate-options", "/ui/static/x",
]  # fmt: skip
#: What answers other than JSON: the docs page and its assets, Prometheus' text, and the
#: recipe explorer's pages (HTML, error pages included).
NOT_JSON = {("GET", "/docs"), ("GET", "/docs/init.js"), ("GET", "/metrics")}


FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def assert_no_5xx(response, method: str = "POST", json_errors: bool = True) -> None:
    assert response.status_code < 500, response.data[:500]
    if response.status_code >= 400 and method != "HEAD" and json_errors:
        assert response.mimetype == "application/json"
        assert set(response.json) == ERROR_KEYS


@FUZZ
@given(st.sampled_from(["/v1/recipe", "/v1/bundle", "/v1/validate"]), queries, bodies)
def test_no_body_makes_a_5xx(client, route, query, body):
    content_type, data = body
    response = client.post(route, query_string=query, data=data, content_type=content_type or None)
    assert_no_5xx(response)


@FUZZ
@given(
    st.sampled_from(ROUTES),
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PROPFIND"]),
    queries,
    bodies,
)
def test_no_route_method_or_query_makes_a_5xx_and_every_answer_is_json(
    client, route, method, query, body
):
    content_type, data = body
    response = client.open(
        route, method=method, query_string=query, data=data, content_type=content_type or None
    )
    html = route.startswith("/ui")  # the explorer's pages, its error pages included
    assert_no_5xx(response, method, json_errors=not html)
    assert not 300 <= response.status_code < 400 or response.status_code == 304
    if method != "HEAD" and (method, route) not in NOT_JSON and not html:
        assert response.mimetype == "application/json", (response.status_code, response.data)


# --- item 11: routing --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["//health", "//v1/recipe", "/v1//recipe", "///", "", "/v1/recipe/", "/health//"]
)
def test_paths_are_matched_as_sent_and_never_redirected(client, path):
    response = client.get(
        "/", environ_overrides={"PATH_INFO": path}, headers={"Host": "evil.example"}
    )
    body = assert_error(response, 404, "NOT_FOUND")
    assert "Location" not in response.headers
    assert "evil.example" not in response.get_data(as_text=True)
    assert body["details"]["path"] == (path or "/")


@pytest.mark.parametrize("path", ["/", "/health", "/v1/recipe", "/v1/bundle", "/openapi.json"])
def test_options_is_a_405_in_the_json_error_body(client, path):
    response = client.options(path)
    body = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "OPTIONS" not in body["details"]["allowed"]
    assert response.headers["Allow"] == ", ".join(body["details"]["allowed"])


def test_there_is_no_static_route(client):
    assert_error(client.get("/static/x.css"), 404, "NOT_FOUND")


# --- item 2: what one bundle request can cost --------------------------------------------


def test_more_than_the_components_cap_is_a_400(client):
    refs = [{**REF, "name": f"c{i}"} for i in range(MAX_COMPONENT_REFS + 1)]
    body = assert_error(
        post(client, "/v1/bundle", json.dumps({"componentRefs": refs})), 400, "INVALID_REQUEST"
    )
    assert f"at most {MAX_COMPONENT_REFS}" in body["message"]
    assert post(client, "/v1/bundle", json.dumps({"componentRefs": refs[:-1]})).status_code == 200


@pytest.mark.parametrize("as_yaml", [False, True])
def test_more_keys_and_values_than_the_cap_is_a_400_naming_it(client, as_yaml):
    doc = {"componentRefs": [{**REF, "overrides": {"l": list(range(MAX_BODY_NODES))}}]}
    data = dump_yaml(doc) if as_yaml else json.dumps(doc)
    kind = "application/yaml" if as_yaml else "application/json"
    body = assert_error(post(client, "/v1/bundle", data, kind), 400, "INVALID_REQUEST")
    assert f"more than {MAX_BODY_NODES} keys and values" in body["message"]
    assert body["details"] == {"limit": MAX_BODY_NODES}


def test_the_deadline_stops_a_build_between_components(make_app, monkeypatch):
    """Over budget after a few components: 504 naming the next one; the rest never run."""
    import cns_core.bundle.plan as plan

    planned: list[str] = []
    original = plan.planned_values

    def slow(store, ref, *args):
        planned.append(ref.name)
        time.sleep(0.2)
        return original(store, ref, *args)

    monkeypatch.setattr(plan, "planned_values", slow)
    recipe = gb200()
    client = make_app(CNS_RATE_LIMIT_ENABLED="false", CNS_REQUEST_TIMEOUT="0.5").test_client()
    response = post(client, "/v1/bundle", json.dumps(recipe))
    body = assert_error(response, 504, "TIMEOUT")
    assert body["details"]["stage"].startswith("planning component ")
    assert 0 < len(planned) < len(recipe["componentRefs"])


def test_past_max_bundle_builds_a_worker_answers_503_with_retry_after(make_app, monkeypatch):
    import cns_web.blueprints.bundle as view

    entered, release = threading.Event(), threading.Event()
    original = view.generate_bundle

    def held(*args, **kwargs):
        entered.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    app = make_app(CNS_RATE_LIMIT_ENABLED="false", CNS_MAX_BUNDLE_BUILDS="1")
    cached = json.dumps(RECIPE)
    assert post(app.test_client(), "/v1/bundle", cached).status_code == 200
    monkeypatch.setattr(view, "generate_bundle", held)
    first: list[Any] = []
    worker = threading.Thread(
        target=lambda: first.append(post(app.test_client(), "/v1/bundle", json.dumps(gb200())))
    )
    worker.start()
    try:
        assert entered.wait(30)
        busy = post(app.test_client(), "/v1/bundle", json.dumps({**RECIPE, "x": 1}))
        body = assert_error(busy, 503, "SERVICE_UNAVAILABLE")
        assert "CNS_MAX_BUNDLE_BUILDS" in body["message"] and body["retryable"] is True
        assert busy.headers["Retry-After"] == "1"
        hit = post(app.test_client(), "/v1/bundle", cached)  # a cache hit needs no build
        assert (hit.status_code, hit.headers["X-Bundle-Cache"]) == (200, "hit")
    finally:
        release.set()
        worker.join(30)
    assert first[0].status_code == 200


# --- item 7: with CNS_DATA_DIR, a request reaches only what the data references ----------

DATA_REGISTRY = """\
components:
  - name: kai-scheduler
    displayName: KAI Scheduler
    helm: {defaultRepository: oci://ghcr.io/nvidia/kai-scheduler, defaultChart: kai-scheduler, defaultVersion: v0.9.0}
"""
SECRET = "password=hunter2"


@pytest.fixture
def data_client(make_app, tmp_path):
    data = tmp_path / "data"
    files = {
        "registry.yaml": DATA_REGISTRY,
        "priv/credentials.env": SECRET + "\n",
        "components/priv/credentials.yaml": f"token: {SECRET}\n",
        "components/kai-scheduler/manifests/used.yaml": "apiVersion: v1\nkind: ConfigMap\n",
        "overlays/kai.yaml": "kind: recipeMetadata\nmetadata: {name: kai}\nspec:\n  base: base\n"
        "  criteria: {intent: training}\n  componentRefs:\n  - name: kai-scheduler\n"
        "    manifestFiles: [components/kai-scheduler/manifests/used.yaml]\n",
    }
    for rel, text in files.items():
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_text(text)
    return make_app(CNS_RATE_LIMIT_ENABLED="false", CNS_DATA_DIR=str(data)).test_client()


def _kai(**fields: Any) -> str:
    ref = {
        "name": "kai-scheduler",
        "type": "Helm",
        "source": "oci://ghcr.io/nvidia",
        "version": "1",
    }
    return json.dumps({"componentRefs": [{**ref, **fields}]})


@pytest.mark.parametrize("field", ["manifestFiles", "valuesFile"])
def test_a_request_cannot_pull_in_data_files_nothing_references(data_client, field):
    def ask(path: str) -> str:
        value = [path] if field == "manifestFiles" else path
        response = post(data_client, "/v1/bundle", _kai(**{field: value}))
        assert SECRET.encode() not in response.data
        return assert_error(response, 400, "INVALID_REQUEST")["message"]

    messages = {
        path: ask(path).replace(path, "<path>")
        for path in (
            "priv/credentials.env",  # exists, not YAML
            "components/priv/credentials.yaml",  # exists, YAML, referenced by nothing
            "components/priv/missing.yaml",  # does not exist
            "../../../../etc/passwd",
        )
    }
    assert len(set(messages.values())) == 1, messages  # nothing tells existing from missing
    used = post(
        data_client,
        "/v1/bundle",
        _kai(manifestFiles=["components/kai-scheduler/manifests/used.yaml"]),
    )
    assert used.status_code == 200
