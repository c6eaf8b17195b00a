"""Many instances for real: two cns instances (Procfile gunicorn, 2 workers each) behind
haproxy, sharing one redis-server, all on loopback.

Shows that the per-client rate limit is one limit across the fleet, that every instance
answers the same bytes, that SIGTERM to one instance under load loses no request through
the balancer, and that losing Redis fails open and the shared limit comes back with it.
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
import signal
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fleet import Answer, HAProxy, Instance, Redis, request

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

LIMIT = 20
ENV = {
    "CNS_RATE_LIMIT": f"{LIMIT} per 10 seconds",
    "CNS_TRUSTED_PROXIES": "1",  # haproxy's X-Forwarded-For entry names the client
    "CNS_GRACEFUL_TIMEOUT": "10",
    "CNS_LOG_LEVEL": "warning",
}
RECIPE = "/v1/recipe?service=eks&accelerator=h100&intent=training&os=ubuntu"

_sources = itertools.count(1)
_sources_lock = threading.Lock()


def new_client() -> str:
    """A loopback address no request has come from yet: a new client for the rate limit."""
    with _sources_lock:
        n = next(_sources)
    return f"127.1.{n // 250}.{n % 250 + 1}"


def sbin_which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


@dataclass
class Fleet:
    redis: Redis
    a: Instance
    b: Instance
    lb: HAProxy


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """redis-server, instances ``a`` and ``b`` sharing it, haproxy in front; all stopped after."""
    haproxy, redis_server = sbin_which("haproxy"), sbin_which("redis-server")
    if haproxy is None:
        pytest.skip("haproxy is not installed (apt-get install -y haproxy)")
    if redis_server is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    workdir = tmp_path_factory.mktemp("fleet")
    redis = Redis(redis_server)
    env = {**ENV, "CNS_RATE_LIMIT_STORAGE": redis.url}
    a, b = Instance("a", env, workdir), Instance("b", env, workdir)
    lb = HAProxy(haproxy, [a, b], workdir)
    try:
        redis.start()
        a.start()
        b.start()
        lb.start()
        yield Fleet(redis, a, b, lb)
    finally:
        lb.stop()
        a.stop()
        b.stop()
        redis.stop()


def test_the_rate_limit_is_one_per_client_across_the_fleet(fleet: Fleet) -> None:
    client = new_client()
    answers = [request(fleet.lb.port, "/v1/recipe?service=eks", source=client) for _ in range(30)]
    assert [a.status for a in answers] == [200] * LIMIT + [429] * 10
    assert {a.headers["x-backend"] for a in answers[:LIMIT]} == {"a", "b"}  # both served it
    assert {a.headers["x-backend"] for a in answers[LIMIT:]} == {"a", "b"}  # both refuse now
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in answers[:LIMIT]]
    assert remaining == list(range(LIMIT - 1, -1, -1))
    # the same client straight to an instance, or with a forged X-Forwarded-For: still refused
    assert request(fleet.a.port, "/", source=client).status == 429
    assert request(fleet.b.port, "/", source=client).status == 429
    forged = request(fleet.lb.port, "/", source=client, headers={"X-Forwarded-For": "10.9.9.9"})
    assert forged.status == 429
    # another client has its own budget
    assert request(fleet.lb.port, "/", source=new_client()).status == 200


def test_every_instance_answers_the_same_recipe_bytes_and_etag(fleet: Fleet) -> None:
    client = new_client()
    via_lb = [request(fleet.lb.port, RECIPE, source=client) for _ in range(4)]
    assert {a.headers["x-backend"] for a in via_lb} == {"a", "b"}
    direct = [request(i.port, RECIPE, source=client) for i in (fleet.a, fleet.b)]
    answers = via_lb + direct
    assert [a.status for a in answers] == [200] * 6
    assert len({a.body for a in answers}) == 1
    assert len({a.headers["etag"] for a in answers}) == 1
    assert json.loads(answers[0].body)["componentRefs"]
    # a tag from one instance is current on the other
    tag = direct[0].headers["etag"]
    again = request(fleet.b.port, RECIPE, source=client, headers={"If-None-Match": tag})
    assert (again.status, again.body) == (304, b"")


@pytest.mark.parametrize("query", ["deployer=helm", "deployer=argocd&repo=https://x.test/g.git"])
def test_a_bundle_built_on_either_instance_is_byte_identical(fleet: Fleet, query: str) -> None:
    client = new_client()
    recipe = request(fleet.lb.port, "/v1/recipe?service=eks&accelerator=gb200", source=client)
    assert recipe.status == 200
    zips: list[Answer] = [
        request(
            i.port,
            f"/v1/bundle?{query}",
            method="POST",
            body=recipe.body,
            headers={"Content-Type": "application/json"},
            source=client,
        )
        for i in (fleet.a, fleet.b)
    ]
    assert [z.status for z in zips] == [200, 200], zips[0].body[:300]
    assert zips[0].headers["content-type"] == "application/zip"
    assert zips[0].body == zips[1].body
    with zipfile.ZipFile(io.BytesIO(zips[0].body)) as archive:
        assert archive.testzip() is None
        assert any(name.endswith("checksums.txt") for name in archive.namelist())


def test_sigterm_to_one_instance_under_load_loses_no_request(fleet: Fleet) -> None:
    """Load through haproxy (each request its own client, far below the limit) while ``a`` stops."""
    recipe = request(fleet.lb.port, RECIPE, source=new_client()).body
    results: list[tuple[float, Answer | Exception]] = []
    stop = threading.Event()

    def load(bundles: bool) -> None:
        while not stop.is_set():
            try:
                if bundles:  # long enough to be in flight when SIGTERM arrives
                    answer = request(
                        fleet.lb.port,
                        "/v1/bundle",
                        method="POST",
                        body=recipe,
                        headers={"Content-Type": "application/json"},
                        source=new_client(),
                    )
                else:
                    answer = request(fleet.lb.port, RECIPE, source=new_client())
                results.append((time.monotonic(), answer))
            except Exception as exc:
                results.append((time.monotonic(), exc))

    threads = [threading.Thread(target=load, args=(i % 2 == 0,)) for i in range(6)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        assert fleet.a.proc is not None
        signalled = time.monotonic()
        fleet.a.proc.send_signal(signal.SIGTERM)
        fleet.lb.wait_for({"b"}, timeout=10)  # haproxy's /ready check took `a` out
        down = time.monotonic()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    try:
        assert fleet.a.proc is not None and fleet.a.proc.wait(20) == 0
        failed = [r for _, r in results if isinstance(r, Exception) or r.status != 200]
        assert not failed, failed[:5]
        answers = [(t, r) for t, r in results if isinstance(r, Answer)]
        assert len(answers) >= 100
        before = {r.headers["x-backend"] for t, r in answers if t < signalled}
        after = [r.headers["x-backend"] for t, r in answers if t > down + 0.1]
        assert before == {"a", "b"}
        assert after and set(after) == {"b"}
        # the requests `a` refused while haproxy still had it UP were sent to `b` instead
        assert int(fleet.lb.server_stats()["a"]["wredis"]) > 0
    finally:
        fleet.a.proc = None
        fleet.a.start()
        fleet.lb.wait_for({"a", "b"})


def rate_limit_errors(instance: Instance) -> float:
    text = request(instance.port, "/metrics").body.decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cns_rate_limit_errors_total")
    )


def test_without_redis_both_serve_and_the_shared_limit_returns_with_it(fleet: Fleet) -> None:
    fleet.redis.kill()
    try:
        client = new_client()
        answers = [
            request(fleet.lb.port, "/v1/recipe?service=eks", source=client) for _ in range(30)
        ]
        # fail open: each worker counts in memory, so 30 requests spread over 4 workers all pass
        assert [a.status for a in answers] == [200] * 30
        assert {a.headers["x-backend"] for a in answers} == {"a", "b"}
        for instance in (fleet.a, fleet.b):
            assert request(instance.port, RECIPE, source=client).status == 200
            assert rate_limit_errors(instance) > 0  # the failure is counted, per instance
    finally:
        fleet.redis.start()  # same port, empty
    # each worker re-checks Redis after a back-off (1, 2, 4 … s): poll with fresh clients
    deadline = time.monotonic() + 30
    while True:
        client = new_client()
        statuses = [
            request(fleet.lb.port, "/v1/recipe?service=eks", source=client).status
            for _ in range(30)
        ]
        if statuses == [200] * LIMIT + [429] * 10:
            break
        assert time.monotonic() < deadline, f"shared limit not back: {statuses}"
        time.sleep(0.5)


def test_fleet_logs_show_no_worker_crash(fleet: Fleet) -> None:
    for instance in (fleet.a, fleet.b):
        log = Path(instance.log).read_text(errors="replace")
        assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-2000:]
