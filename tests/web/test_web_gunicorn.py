"""End to end under real gunicorn (2 workers): readiness, metrics across workers, graceful
SIGTERM with a request in flight, a rate limit shared through a real redis-server, ``cns serve``."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cns_web.state import mark_not_ready_on_sigterm
from tests.support.cli import CNS
from tests.support.fleet import request
from tests.support.paths import REPO
from tests.support.server import Server, free_port

pytestmark = pytest.mark.slow


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (so that both workers get traffic)."""
    request = urllib.request.Request(url, headers={"Connection": "close", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def counter_pids(metrics_dir: Path) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("counter_*.db")}


def served_by_worker(metrics_dir: Path, path: str) -> dict[int, float]:
    """``cns_http_requests_total`` of ``path`` in each worker's own multiprocess file."""
    from prometheus_client.mmap_dict import MmapedDict

    out: dict[int, float] = {}
    for file in metrics_dir.glob("counter_*.db"):
        pid = int(file.stem.rsplit("_", 1)[1])
        values = MmapedDict(str(file), read_mode=True)
        try:
            for key, value, _ in values.read_all_values():
                _name, sample, labels, _help = json.loads(key)
                if sample == "cns_http_requests_total" and labels.get("path") == path:
                    out[pid] = out.get(pid, 0.0) + value
        finally:
            values.close()
    return out


def wait_for_workers(server: Server, count: int) -> set[int]:
    deadline = time.monotonic() + 10
    while len(pids := set(server.worker_pids())) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == count
    return pids


def metric_value(text: str, line_start: str) -> float:
    return sum(float(li.rsplit(" ", 1)[1]) for li in text.splitlines() if li.startswith(line_start))


def until_every_worker_served(server: Server, metrics_dir: Path, workers: set[int]) -> None:
    """Concurrent /health bursts until each worker has answered one (a worker still booting,
    gevent's monkey patching included, leaves all connections to the other)."""
    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):
            list(pool.map(lambda _: get(server.url("/health")), range(16)))
            if workers <= counter_pids(metrics_dir):
                return
            time.sleep(0.1)
    raise AssertionError(f"workers {workers - counter_pids(metrics_dir)} never answered")


def test_two_workers_serve_and_metrics_sum_across_them(tmp_path):
    with Server("wsgi:app", env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as server:
        workers = wait_for_workers(server, 2)
        until_every_worker_served(server, tmp_path, workers)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda _: get(server.url("/v1/recipe?service=eks"))[0], range(60))
            )
        assert statuses == [200] * 60
        status, body = get(server.url("/metrics"))
        text = body.decode()
        assert status == 200
        served = 'cns_http_requests_total{method="GET",path="/v1/recipe",status="200"}'
        assert metric_value(text, served) == 60
        assert (
            metric_value(text, "cns_recipe_cache_hits_total")
            + metric_value(text, "cns_recipe_cache_misses_total")
            == 60
        )
        assert 'cns_build_info{python="' in text and text.count("cns_build_info{") == 1
        health = served_by_worker(tmp_path, "/health")
        assert set(health) == workers and all(health.values())  # both workers answered
        total = 'cns_http_requests_total{method="GET",path="/health",status="200"}'
        assert metric_value(text, total) == sum(health.values())  # /metrics sums both


def test_sigterm_lets_the_request_in_flight_finish(tmp_path):
    body = b'{"kind": "recipeCriteria", "spec": {"service": "eks", "accelerator": "h100"}}'
    with Server("wsgi:app") as server:
        expected = get(server.url("/v1/recipe?service=eks&accelerator=h100"))[1]
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        slow.sendall(
            b"POST /v1/recipe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body[:10]
        )
        time.sleep(0.5)  # the worker is now reading the body
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        slow.sendall(body[10:])
        response = b""
        while chunk := slow.recv(65536):
            response += chunk
        slow.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert payload == expected
        assert server.process.wait(20) == 0
        assert "Shutting down: Master" in server.log()


def test_sigterm_turns_readiness_off_before_the_worker_exits(app):
    calls = []
    previous = signal.getsignal(signal.SIGTERM)
    try:
        mark_not_ready_on_sigterm(app, lambda signum, frame: calls.append(signum))
        os.kill(os.getpid(), signal.SIGTERM)
        assert calls == [signal.SIGTERM]
        assert app.test_client().get("/ready").status_code == 503
    finally:
        signal.signal(signal.SIGTERM, previous)


def burst(port: int, count: int, source: str) -> list[int]:
    """``count`` requests at once from loopback address ``source``, each on its own connection
    (concurrent, so that both workers accept some): their statuses, sorted."""
    with ThreadPoolExecutor(count) as pool:
        answers = pool.map(lambda _: request(port, "/", source=source).status, range(count))
        return sorted(answers)


def test_rate_limit_is_shared_by_workers_through_redis(redis_url, tmp_path):
    env = {
        "CNS_RATE_LIMIT_STORAGE": redis_url,
        "CNS_RATE_LIMIT": "10 per minute",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    with Server("wsgi:app", env=env) as server:
        workers = wait_for_workers(server, 2)
        until_every_worker_served(server, tmp_path, workers)
        for client in range(1, 11):  # a new client each time, until both workers answered
            assert burst(server.port, 16, f"127.0.3.{client}") == [200] * 10 + [429] * 6
            if set(served_by_worker(tmp_path, "/")) == workers:
                break
        assert set(served_by_worker(tmp_path, "/")) == workers  # both answered, one limit held


def test_without_redis_the_limit_holds_for_the_service_not_per_worker(tmp_path):
    """memory:// with 2 workers: each enforces half the limit, so 800 requests from one client
    get at most the documented 200 through (2 workers x their own 200 let 400 through)."""
    env = {"CNS_RATE_LIMIT": "200 per minute", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with Server("wsgi:app", env=env) as server:
        workers = wait_for_workers(server, 2)
        until_every_worker_served(server, tmp_path, workers)

        def one(_: int) -> tuple[int, str]:
            answer = request(server.port, "/v1/recipe?service=eks", source="127.0.4.1")
            return answer.status, answer.headers["x-ratelimit-limit"]

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(one, range(800)))
        both = set(served_by_worker(tmp_path, "/v1/recipe")) == workers
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) == {200, 429}, statuses
    assert 100 <= statuses[200] <= 200, statuses
    assert {limit for _, limit in answers} == {"100"}  # the share each worker enforces
    if both:  # (almost always: 16 connections at once reach both workers)
        assert statuses[200] > 100


def test_chunked_body_over_the_cap_is_413():
    with Server("wsgi:app", env={"CNS_MAX_BODY_BYTES": "100"}) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        chunks = iter([b'{"spec": {"service": "', b"e" * 300, b'"}}'])
        conn.request(
            "POST",
            "/v1/recipe",
            body=chunks,
            encode_chunked=True,
            headers={"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        assert response.status == 413
        assert b"PAYLOAD_TOO_LARGE" in response.read()
        conn.close()


def test_cns_serve_starts_the_same_service():
    port = free_port()
    proc = subprocess.Popen(
        [
            CNS,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and status != 200:
            try:
                status = get(f"http://127.0.0.1:{port}/ready")[0]
            except OSError:
                time.sleep(0.05)
        assert status == 200
        assert get(f"http://127.0.0.1:{port}/v1/recipe?service=eks")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    assert b"Using worker: cns_web.gevent_worker.GeventWorker" in proc.stderr.read()  # type: ignore[union-attr]
