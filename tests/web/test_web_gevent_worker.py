"""The gevent worker's listener leaves connections to the other workers after an accept
(cns_web.gevent_worker._SharingServer), in-process with gevent's own sockets."""

from __future__ import annotations

import itertools
import time

import gevent
import pytest
from gevent import socket
from gevent.event import Event
from gevent.pool import Pool

from cns_web.gevent_worker import ACCEPT_PAUSE, MAX_ACCEPT_PAUSE, _SharingServer


@pytest.fixture
def server():
    accepted: list[float] = []
    release = Event()

    def hold(sock, _addr):  # a keep-alive connection: held until the test ends
        accepted.append(time.monotonic())
        release.wait(10)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    srv = _SharingServer(listener, handle=hold, spawn=Pool(100))
    srv.start()
    yield srv, accepted
    release.set()
    srv.stop(timeout=1)


def _connect_at_once(port: int, count: int) -> list[socket.socket]:
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    gevent.sleep(0.1)  # let the server accept what it will
    return clients


def test_a_worker_holding_connections_pauses_before_the_next_accept(server):
    srv, accepted = server
    clients = _connect_at_once(srv.server_port, 5)
    assert len(accepted) == 5
    gaps = [b - a for a, b in itertools.pairwise(accepted)]
    # holding 1, 2, 3 other connections: 1, 2, 2 (the cap) pauses before the next accept
    for others, gap in zip((1, 2, 3), gaps[1:], strict=True):
        assert gap >= min(others * ACCEPT_PAUSE, MAX_ACCEPT_PAUSE) * 0.9, gaps
    for client in clients:
        client.close()
