"""Hostile clients against the real service (gunicorn, the Procfile's configuration, two
workers, 127.0.0.1 only; GitHub issue 11): bundle bodies built to burn CPU, memory after
many large bodies, chunked bodies, paths and methods that redirected or answered HTML,
and gunicorn's own log lines."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe, load_store
from cns_core.serialize import dump_yaml
from cns_web.blueprints.bundle import CACHE_BYTES
from cns_web.request_body import MAX_BODY_NODES
from tests.support.errors import ERROR_KEYS
from tests.support.server import Server

pytestmark = pytest.mark.slow

#: Generous: a request must answer within this while the service is under attack.
ANSWER_WITHIN = 15.0
#: The documented bound (docs/configuration.md, "Memory") on a worker's resident memory.
WORKER_RSS_BOUND_MIB = 180


def gb200(**overrides: Any) -> dict[str, Any]:
    """The EKS GB200 training recipe, with ``overrides`` on its first component."""
    criteria = Criteria.parse({"service": "eks", "accelerator": "gb200", "intent": "training"})
    recipe = build_recipe(criteria, load_store()).to_dict()
    if overrides:
        first, *rest = recipe["componentRefs"]
        recipe["componentRefs"] = [{**first, "overrides": overrides}, *rest]
    return recipe


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = ANSWER_WITHIN,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def json_error(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["Content-Type"] == "application/json", (status, body[:300])
    doc = json.loads(body)
    assert set(doc) == ERROR_KEYS
    return dict(doc)


# --- item 2: bodies built to burn CPU ----------------------------------------------------


def cpu_burning_bodies() -> list[tuple[str, bytes]]:
    """~950 KB bodies: YAML that libyaml refuses (a pure-Python parse took ~13 s each),
    YAML and JSON far over the key cap, and valid recipes just under it."""
    flat = {f"k{i}": f"v{i}" for i in range(50_000)}
    refused = "x: [a:b]\n" + dump_yaml({**gb200(), "metadata": {"pad": flat}})
    many = gb200(**flat)
    heavy = gb200(**{f"k{i}": "v" * 80 for i in range((MAX_BODY_NODES - 400) // 2)})
    bodies = [
        ("application/yaml", refused.encode()),
        ("application/yaml", dump_yaml(many).encode()),
        ("application/json", json.dumps(many).encode()),
        ("application/json", json.dumps(heavy).encode()),
    ]
    return [
        (kind, data.replace(b"k0", f"q{n}".encode(), 1)) for n in range(2) for kind, data in bodies
    ]


def test_eight_cpu_burning_bodies_do_not_starve_the_service():
    bodies = cpu_burning_bodies()
    assert len(bodies) == 8 and all(len(data) > 600_000 for _, data in bodies)
    env = {"CNS_RATE_LIMIT_ENABLED": "false", "CNS_THREADS": "4"}
    with Server("wsgi:app", env=env) as server, ThreadPoolExecutor(len(bodies) + 2) as pool:
        attacks = [
            pool.submit(
                request, server.port, "POST", "/v1/bundle", data, {"Content-Type": kind}, 120.0
            )
            for kind, data in bodies
        ]
        time.sleep(0.3)  # the bodies are in
        for path in ("/health", "/v1/recipe?service=eks"):
            status, _, _ = pool.submit(request, server.port, "GET", path).result(ANSWER_WITHIN)
            assert status == 200, path
        results = [future.result(120.0) for future in attacks]
    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {200, 400, 503}, statuses  # never a 504 after a minute of CPU
    for status, headers, body in results:
        if status != 200:
            error = json_error(status, headers, body)
            if status == 503:
                assert headers["Retry-After"] == "1"
                assert "CNS_MAX_BUNDLE_BUILDS" in error["message"]
            else:
                assert re.search(r"at most \d+|invalid YAML", error["message"]), error


# --- item 3: memory after many varied large bodies ---------------------------------------


def test_worker_memory_stays_under_the_documented_bound_after_many_large_bodies():
    """Unique ~800 KB recipes whose zips hardly compress, until the bundle cache has evicted
    (it is bounded by bytes): the worker's RSS stays under WORKER_RSS_BOUND_MIB."""

    def body(n: int) -> bytes:
        noise = base64.b64encode(os.urandom(600 * 1024)).decode()
        return json.dumps(gb200(pad=noise, n=n)).encode()

    first = body(0)
    kind = {"Content-Type": "application/json"}
    with Server("wsgi:app", env={"CNS_RATE_LIMIT_ENABLED": "false"}, workers=1) as server:
        status, _headers, zipped = request(server.port, "POST", "/v1/bundle", first, kind)
        assert status == 200
        count = CACHE_BYTES // len(zipped) + 2  # the noise is in three files of each zip

        def post(n: int) -> int:
            return request(server.port, "POST", "/v1/bundle", body(n), kind)[0]

        statuses = [post(n) for n in range(1, count + 1)]
        again = request(server.port, "POST", "/v1/bundle", first, kind)
        rss = server.worker_rss_mib()
    assert statuses == [200] * count
    assert again[1]["X-Bundle-Cache"] == "miss"  # evicted: the cache held its byte bound
    assert len(rss) == 1 and rss[0] < WORKER_RSS_BOUND_MIB, rss


# --- item 10: chunked bodies on POST /v1/bundle -------------------------------------------


def chunked(port: int, path: str, chunks: list[bytes], kind: str = "application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN)
    try:
        conn.request(
            "POST", path, body=iter(chunks), encode_chunked=True, headers={"Content-Type": kind}
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_chunked_bundle_bodies_are_read_once():
    body = json.dumps(gb200()).encode()
    pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    env = {"CNS_RATE_LIMIT_ENABLED": "false", "CNS_MAX_BODY_BYTES": str(len(body) + 10)}
    with Server("wsgi:app", env=env) as server:
        status, headers, zipped = chunked(server.port, "/v1/bundle", pieces)
        assert status == 200, zipped[:300]
        assert headers["Content-Type"] == "application/zip" and zipped[:2] == b"PK"
        # the same bytes in a declared-length body are the same bundle
        status, same, _ = request(
            server.port, "POST", "/v1/bundle", body, {"Content-Type": "application/json"}
        )
        assert status == 200 and same["ETag"] == headers["ETag"]
        status, headers, error = chunked(server.port, "/v1/bundle", [*pieces, b" " * 20])
        assert status == 413
        assert json_error(status, headers, error)["code"] == "PAYLOAD_TOO_LARGE"


# --- item 11: paths and methods ------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    with Server("wsgi:app", env={"CNS_RATE_LIMIT_ENABLED": "false"}) as server:
        yield server


@pytest.mark.parametrize("path", ["//health", "//v1/recipe", "/v1//recipe", "/health/", "///"])
def test_paths_are_matched_as_sent_never_redirected(served, path):
    answer = raw(
        served.port,
        f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode(),
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), head
    assert b"\r\nLocation:" not in head and b"evil.example" not in answer
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert json.loads(body)["details"]["path"] == path
    assert f" {path} 404 " in served.log()  # the access log shows the path as sent


#: What gunicorn cannot parse (it answers itself) and a chunked body it cannot decode (the
#: app answers, as it reads the body).
UNPARSABLE = [
    (b"GET /\x1b[31mred\x07 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Invalid Request Line"),
    (b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Invalid"),
    (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "Invalid HTTP Header"),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "Request Line is too large"),
    (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431, "Error parsing headers"),
    (
        b"POST /v1/bundle HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        "Invalid chunk size",
    ),
]


@pytest.mark.parametrize(("data", "status", "says"), UNPARSABLE)
def test_requests_gunicorn_cannot_parse_get_the_json_error_body(served, data, status, says):
    head, _, body = raw(served.port, data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), head
    headers = dict(line.split(": ", 1) for line in lines[1:])
    doc = json_error(status, headers, body)
    assert doc["code"] == "INVALID_REQUEST" and not doc["retryable"], doc
    assert says.lower() in doc["message"].lower() and len(doc["message"]) <= 201, doc
    assert headers["X-Request-Id"] == doc["requestId"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert int(headers["Content-Length"]) == len(body)
    assert request(served.port, "GET", "/health")[0] == 200  # the worker serves on


@pytest.mark.parametrize("path", ["/", "/v1/recipe", "/v1/bundle", "/health"])
def test_options_answers_json(served, path):
    status, headers, body = request(served.port, "OPTIONS", path)
    assert status == 405
    assert json_error(status, headers, body)["code"] == "METHOD_NOT_ALLOWED"
    assert "OPTIONS" not in headers["Allow"]


# --- items 8 and 13: gunicorn's own lines --------------------------------------------------

HOSTILE_LINE = b"GET /\x1b[31mred\x07 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _log_after_traffic(tmp_path: Path, log_format: str) -> str:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    env = {
        "CNS_LOG_FORMAT": log_format,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "CNS_RATE_LIMIT_ENABLED": "false",
    }
    server = Server("wsgi:app", env=env).start()
    try:
        assert raw(server.port, HOSTILE_LINE).startswith(b"HTTP/1.1 400")
        assert request(server.port, "GET", "/health")[0] == 200
        time.sleep(0.2)
    finally:
        assert server.stop() == 0
    log = server.log()
    if server.log_path is not None:
        server.log_path.unlink(missing_ok=True)
    # gunicorn's control socket is off (control_socket_disable): nothing under HOME or XDG
    assert not [p for p in (*home.rglob("*"), *runtime.rglob("*")) if p.name.endswith(".ctl")]
    return log


def test_with_json_logs_every_line_gunicorn_writes_is_json(tmp_path):
    log = _log_after_traffic(tmp_path, "json")
    records = [json.loads(line) for line in log.splitlines()]  # every line is one object
    messages = {r["logger"]: [] for r in records}
    for record in records:
        messages[record["logger"]].append(record["message"])
        assert {"time", "level", "logger", "message", "service", "version"} <= set(record)
    gunicorn = " | ".join(messages["gunicorn.error"])
    for text in ("Listening at", "Booting worker", "Invalid request", "Shutting down: Master"):
        assert text in gunicorn, gunicorn
    assert any("GET /health 200" in m for m in messages["cns_web.access"])
    assert all(isinstance(r["pid"], int) for r in records if r["logger"] == "gunicorn.error")


def test_with_text_logs_no_line_carries_a_raw_control_character(tmp_path):
    log = _log_after_traffic(tmp_path, "text")
    assert "Invalid request" in log and "Booting worker" in log
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", log), repr(log[-2000:])
    assert re.search(r"^\S+Z INFO \[\d+\] gunicorn\.error: Booting worker", log, re.M), log
