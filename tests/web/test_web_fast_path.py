"""The two paths of ``GET /v1/recipe`` answer alike: a first request goes through Flask (and
fills the caches), a repeat is answered by the middleware without entering Flask. Same
status, body, headers (names, order, values but the per-request ones), ETag/304, rate-limit
headers and 429; and the rate-limit gate behaves as flask-limiter's hooks did."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from cns_web.ratelimit import RateLimitGate

RECIPE = "/v1/recipe?service=eks&accelerator=h100&intent=training"
#: Headers whose value differs between two answers of the same request.
PER_REQUEST = {"X-Request-Id", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


def flask_calls(app: Flask) -> list[str]:
    """Records every request that reached Flask's request handling."""
    calls: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append("flask"))
    return calls


def shape(response: Any) -> list[tuple[str, str]]:
    return [(k, "*" if k in PER_REQUEST else v) for k, v in response.headers.items()]


@pytest.mark.parametrize("limited", [True, False], ids=["rate-limited", "no-limiter"])
def test_a_repeat_is_answered_without_flask_with_the_same_bytes_and_headers(make_app, limited):
    app = make_app(CNS_RATE_LIMIT_ENABLED=str(limited).lower())
    calls = flask_calls(app)
    client = app.test_client()
    first = client.get(RECIPE)
    second = client.get(RECIPE)
    assert calls == ["flask"]  # the repeat did not enter Flask
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.data == first.data
    assert shape(second) == shape(first)
    names = [k for k, _ in first.headers.items()]
    assert names[:4] == ["Content-Type", "ETag", "Cache-Control", "Content-Length"]
    assert ("X-RateLimit-Limit" in names) is limited
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    if limited:
        assert first.headers["X-RateLimit-Remaining"] == "199"
        assert second.headers["X-RateLimit-Remaining"] == "198"
        assert int(second.headers["X-RateLimit-Reset"]) >= int(time.time())


def test_etag_answers_304_on_both_paths_with_the_same_headers(make_app):
    app = make_app()
    calls = flask_calls(app)
    client = app.test_client()
    etag = client.get(RECIPE).headers["ETag"]
    flask_304 = None
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = client.get(RECIPE, headers={"If-None-Match": header})
        assert (answer.status_code, answer.data) == (304, b""), header
        flask_304 = flask_304 or answer
        assert shape(answer) == shape(flask_304)
        assert [k for k, _ in answer.headers.items()][:2] == ["ETag", "Cache-Control"]
        assert "Content-Type" not in answer.headers and "Content-Length" not in answer.headers
        assert answer.headers["X-RateLimit-Limit"] == "200"
    assert client.get(RECIPE, headers={"If-None-Match": '"other"'}).status_code == 200
    assert calls == ["flask"]
    # a Flask-made 304 (first sight of this query string) has the same shape
    other_query = RECIPE + "&os=any"
    via_flask = client.get(other_query, headers={"If-None-Match": "*"})
    assert calls == ["flask", "flask"]
    assert via_flask.status_code == 304 and shape(via_flask) == shape(flask_304)


def test_over_the_limit_on_the_cached_path_is_the_documented_429(make_app):
    app = make_app(CNS_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [client.get(RECIPE).status_code for _ in range(2)] == [200, 200]  # Flask, then fast
    refused = client.get(RECIPE)
    assert refused.status_code == 429
    body = refused.json
    assert body["code"] == "RATE_LIMIT_EXCEEDED" and body["retryable"] is True
    assert body["details"] == {"limit": 2, "rule": "2 per 1 minute"}
    assert refused.headers["X-RateLimit-Limit"] == "2"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert refused.headers["X-Request-Id"] == body["requestId"]
    assert refused.headers["Cache-Control"] == "no-store"
    assert app.extensions["cns"].metrics.rate_limit_rejects._value.get() == 1


def test_what_the_fast_path_leaves_to_flask(make_app):
    app = make_app()
    calls = flask_calls(app)
    client = app.test_client()
    client.get(RECIPE)
    assert client.head(RECIPE).status_code == 200  # HEAD: Flask
    assert client.get(RECIPE, data=b"x").status_code == 200  # a body: Flask (and its checks)
    assert client.get(RECIPE + "&colour=red").status_code == 400  # unseen query: Flask
    assert client.get(RECIPE + "&colour=red").status_code == 400  # an error is never memoised
    assert client.get("/v1/recipe/?service=eks").status_code in (308, 404)
    assert len(calls) == 6  # every one of them


def test_fast_answers_are_counted_and_logged_like_the_others(make_app, caplog):
    app = make_app(CNS_LOG_LEVEL="info")
    client = app.test_client()
    for _ in range(3):
        client.get(RECIPE)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'cns_http_requests_total{method="GET",path="/v1/recipe",status="200"} 3.0' in text
    assert "cns_recipe_cache_hits_total 2.0" in text
    assert "cns_recipe_cache_misses_total 1.0" in text


def gate_of(app: Flask) -> RateLimitGate:
    gate = app.extensions["cns.ratelimit"]
    assert isinstance(gate, RateLimitGate)
    return gate


def test_flask_limiter_hooks_are_replaced_by_the_gate(make_app):
    app = make_app()
    hooks = [*app.before_request_funcs[None], *app.after_request_funcs.get(None, [])]
    assert not any("limiter" in repr(hook).lower() for hook in hooks)
    assert app.extensions["limiter"]  # flask-limiter is initialised on the app


def test_each_worker_enforces_its_share_of_a_memory_limit(make_app):
    app = make_app(CNS_RATE_LIMIT="10 per minute;100 per hour")
    gate_of(app).share(3)  # what the gunicorn hook does in each of 3 workers
    client = app.test_client()
    statuses = [client.get("/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/")
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.json["details"] == {"limit": 3, "rule": "3 per 1 minute"}


def test_a_shared_storage_is_not_divided(make_app, redis_url):
    app = make_app(CNS_RATE_LIMIT="2 per minute", CNS_RATE_LIMIT_STORAGE=redis_url)
    gate_of(app).share(4)
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_the_storage_is_retried_with_a_back_off_and_recovers(make_app, redis_url, caplog):
    app = make_app(CNS_RATE_LIMIT="2 per minute", CNS_RATE_LIMIT_STORAGE=redis_url)
    gate = gate_of(app)
    limiter = gate.limiter
    limiter._storage_dead = True  # as after a failure
    client = app.test_client()
    gate._last_check = time.time()
    assert client.get("/").status_code == 200  # counted in the fallback: no retry yet
    assert limiter._storage_dead
    gate._last_check = time.time() - 2  # the back-off has passed
    with caplog.at_level("INFO", logger="cns_web.ratelimit"):
        assert client.get("/").status_code == 200
    assert not limiter._storage_dead
    assert any("recovered" in r.getMessage() for r in caplog.records)
    assert [client.get("/").status_code for _ in range(2)] == [200, 429]  # Redis counts again
