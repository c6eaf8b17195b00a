"""Rate limiting (per client, headers, exemptions, Redis fail-over), metrics and settings."""

from __future__ import annotations

import time

import pytest

from cns_core.errors import InvalidRequestError
from cns_web.config import Settings
from tests.support.server import free_port


def test_every_limited_answer_carries_the_rate_limit_headers(make_app):
    client = make_app(CNS_RATE_LIMIT="5 per minute").test_client()
    ok = client.get("/v1/recipe")
    assert ok.headers["X-RateLimit-Limit"] == "5"
    assert ok.headers["X-RateLimit-Remaining"] == "4"
    assert int(ok.headers["X-RateLimit-Reset"]) > time.time()
    assert "Retry-After" not in ok.headers
    assert client.get("/nope").headers["X-RateLimit-Remaining"] == "3"  # 404s count too


def test_over_the_limit_is_a_429_with_retry_after(make_app):
    app = make_app(CNS_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [client.get("/v1/recipe").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/v1/recipe")
    assert refused.status_code == 429
    body = refused.json
    assert body["code"] == "RATE_LIMIT_EXCEEDED" and body["retryable"] is True
    assert body["details"] == {"limit": 2, "rule": "2 per 1 minute"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-Request-Id"] == body["requestId"]
    assert app.extensions["cns"].metrics.rate_limit_rejects._value.get() == 1


def test_probes_and_metrics_are_never_limited(make_app):
    client = make_app(CNS_RATE_LIMIT="1 per minute").test_client()
    client.get("/v1/recipe")
    for path in ("/health", "/ready", "/metrics") * 3:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-RateLimit-Limit" not in response.headers
    assert client.get("/").status_code == 429


def test_limit_is_per_client_ip(make_app):
    client = make_app(CNS_RATE_LIMIT="1 per minute").test_client()
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app):
    client = make_app(CNS_RATE_LIMIT="1 per minute").test_client()
    assert client.get("/", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert client.get("/", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_forwarded_for_is_honoured_with_trusted_proxies(make_app):
    client = make_app(CNS_RATE_LIMIT="1 per minute", CNS_TRUSTED_PROXIES="1").test_client()
    assert client.get("/", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert client.get("/", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200
    assert client.get("/", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 429
    # one trusted hop: a spoofed left-most entry does not change the client's identity
    assert client.get("/", headers={"X-Forwarded-For": "9.9.9.9, 2.2.2.2"}).status_code == 429


def test_rate_limit_can_be_disabled(make_app):
    client = make_app(CNS_RATE_LIMIT="1 per minute", CNS_RATE_LIMIT_ENABLED="false").test_client()
    assert {client.get("/").status_code for _ in range(3)} == {200}


def test_unreachable_redis_fails_over_to_memory_logged_and_counted(make_app, caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(CNS_RATE_LIMIT_STORAGE=url, CNS_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with caplog.at_level("WARNING", logger="cns_web.ratelimit"):
        statuses = [client.get("/v1/recipe").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # still answering, still limiting (per worker)
    assert app.extensions["cns"].metrics.rate_limit_errors._value.get() == 1
    assert any("storage unreachable" in r.getMessage() for r in caplog.records)


def test_redis_storage_is_shared_between_app_instances(make_app, redis_url):
    first = make_app(CNS_RATE_LIMIT_STORAGE=redis_url, CNS_RATE_LIMIT="3 per minute").test_client()
    second = make_app(CNS_RATE_LIMIT_STORAGE=redis_url, CNS_RATE_LIMIT="3 per minute").test_client()
    statuses = [c.get("/").status_code for c in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def _samples(client) -> str:
    return client.get("/metrics").get_data(as_text=True)


def test_request_metrics_use_route_templates(client):
    client.get("/v1/recipe?service=eks")
    client.get("/v1/recipe?service=windows")
    for i in range(5):
        client.get(f"/random/{i}")
    client.open("/v1/recipe", method="BREW")
    text = _samples(client)
    assert 'cns_http_requests_total{method="GET",path="/v1/recipe",status="200"} 1.0' in text
    assert 'cns_http_requests_total{method="GET",path="/v1/recipe",status="400"} 1.0' in text
    assert 'cns_http_requests_total{method="GET",path="<unmatched>",status="404"} 5.0' in text
    assert 'method="OTHER"' in text
    assert "/random/" not in text
    assert 'cns_http_request_duration_seconds_count{method="GET",path="/v1/recipe"} 2.0' in text
    assert "cns_http_requests_in_flight 1.0" in text  # the /metrics request itself
    assert 'cns_build_info{python="' in text
    assert "cns_recipe_cache_misses_total 1.0" in text


def test_in_flight_returns_to_zero(app):
    client = app.test_client()
    client.get("/v1/recipe")
    client.get("/nope")
    assert app.extensions["cns"].metrics.in_flight._value.get() == 0


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CNS_LOG_FORMAT", "xml", ["text, json"]),
        ("CNS_LOG_LEVEL", "loud", ["debug, info"]),
        ("CNS_RATE_LIMIT", "lots", ["'200 per 2 seconds'"]),
        ("CNS_RATE_LIMIT_STRATEGY", "token-bucket", ["sliding-window-counter"]),
        ("CNS_RATE_LIMIT_STORAGE", "memcached://x", ["redis://"]),
        ("CNS_RATE_LIMIT_ENABLED", "maybe", ["true or false"]),
        ("CNS_TRUSTED_PROXIES", "-1", [">= 0"]),
        ("CNS_MAX_BODY_BYTES", "1MB", [">= 1"]),
        ("CNS_REQUEST_TIMEOUT", "0", ["> 0"]),
        ("CNS_REQUEST_TIMEOUT", "inf", ["> 0"]),
        ("CNS_RECIPE_CACHE_SIZE", "x", [">= 0"]),
        ("CNS_ALLOWED_INTENTS", "gaming", ["CNS_ALLOWED_INTENTS", "gaming"]),
    ],
)
def test_bad_settings_are_refused_naming_variable_and_valid_values(name, value, words):
    with pytest.raises(InvalidRequestError) as info:
        Settings.from_mapping({name: value})
    message = str(info.value)
    assert name in message
    for word in words:
        assert word in message


def test_defaults():
    settings = Settings.from_mapping({})
    assert settings == Settings()
    assert (settings.rate_limit, settings.rate_limit_storage) == ("200 per 2 seconds", "memory://")
    assert (settings.max_body_bytes, settings.cache_max_age) == (1024 * 1024, 600)
