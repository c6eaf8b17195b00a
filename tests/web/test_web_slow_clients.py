"""Slow clients cannot take the service down: the Procfile's gunicorn (2 workers) on loopback
faces 64 real slow connections (slowloris headers, idle sockets, trickled bodies, and all
three mixed) and still answers everyone else's ``/health``, ``/ready`` and ``/v1/recipe``.

The only clock in these tests is "answers within a generous timeout while under attack".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fleet import Instance, request
from tests.support.slow_clients import KINDS, SlowClients

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SLOW_CONNECTIONS = 64
PROBE_SECONDS = 6.0
#: Generous: an answer takes milliseconds; a worker held by a slow client never answers.
PROBE_TIMEOUT = 3.0
PATHS = ("/health", "/ready", "/v1/recipe?service=eks&accelerator=h100&intent=training")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    server = Instance("slow", {"CNS_LOG_LEVEL": "warning"}, tmp_path_factory.mktemp("slow"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def probe(port: int, seconds: float) -> tuple[int, list[str]]:
    """Request every path in turn for ``seconds``: (answers, what failed)."""
    answered, failures = 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PATHS:
            started = time.monotonic()
            try:
                status = request(port, path, timeout=PROBE_TIMEOUT).status
            except OSError as exc:
                failures.append(
                    f"{path}: {type(exc).__name__} after {time.monotonic() - started:.1f}s"
                )
                continue
            if status == 200:
                answered += 1
            else:
                failures.append(f"{path}: {status}")
        time.sleep(0.1)
    return answered, failures


@pytest.mark.parametrize("kinds", [(kind,) for kind in KINDS] + [KINDS], ids=[*KINDS, "mixed"])
def test_64_slow_clients_do_not_stop_others_being_served(
    instance: Instance, kinds: tuple[str, ...]
) -> None:
    with SlowClients(instance.port, count=SLOW_CONNECTIONS, kinds=kinds) as attack:
        assert attack.connected == SLOW_CONNECTIONS
        time.sleep(0.5)  # let them reach the workers
        answered, failures = probe(instance.port, PROBE_SECONDS)
        still_connected = attack.connected
    assert not failures, failures[:10]
    assert answered >= 3 * len(PATHS)
    assert still_connected >= SLOW_CONNECTIONS - 8  # the attack was still on at the end


def test_slow_headers_are_cut_off_by_the_header_deadline(instance: Instance) -> None:
    """A client that never finishes its headers is disconnected, then connects again."""
    with SlowClients(instance.port, count=8, kinds=("headers", "idle"), interval=1.0) as attack:
        deadline = time.monotonic() + 20
        while attack.opened < 16 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert attack.opened >= 16  # every one of the 8 was dropped at least once


def test_the_workers_survived(instance: Instance) -> None:
    log = Path(instance.log).read_text(errors="replace")
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-2000:]
