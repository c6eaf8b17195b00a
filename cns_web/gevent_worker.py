"""The gunicorn worker of cns: gunicorn's gevent worker, which stops accepting at SIGTERM.

gunicorn's own gevent worker notices SIGTERM at the next tick of a one-second loop and
keeps accepting new connections until then; this one wakes that loop at once, so that a
stopping worker refuses new connections straight away (a load balancer retries them on
another instance: tests/deploy/test_fleet.py) while its in-flight requests finish within
``graceful_timeout``, as with gunicorn's other workers. Everything else (one greenlet per
connection, the request line and headers read within ``keepalive`` seconds, monkey
patching after the fork) is gunicorn's.
"""

from __future__ import annotations

import signal
import time
import warnings
from functools import partial
from typing import Any

import gevent
from gevent.event import Event
from gevent.monkey import MonkeyPatchWarning
from gevent.pool import Pool
from gevent.server import StreamServer
from gunicorn.workers.ggevent import GeventWorker as _GunicornGeventWorker

#: Seconds between heartbeats to the master (gunicorn's gevent worker uses the same).
TICK = 1.0
#: Seconds a worker waits after an accept, per other connection it holds, before the next.
ACCEPT_PAUSE = 0.001
MAX_ACCEPT_PAUSE = 0.002
_SSL_WARNING = (
    r"(?s)Monkey-patching ssl after ssl has already been imported.*Modules that had direct "
    r"imports \(NOT patched\): \['redis\.asyncio\.connection \([^)]*\)'\]\."
)


class _Listener:
    """What a connection's handler needs of its listening socket: the address, kept, since
    the socket is closed at SIGTERM while accepted connections are still being served."""

    def __init__(self, name: Any) -> None:
        self.name = name

    def getsockname(self) -> Any:
        return self.name


class _SharingServer(StreamServer):
    """A StreamServer that leaves new connections to the other workers for a moment after
    each accept: ``ACCEPT_PAUSE`` per other connection it holds, at most
    ``MAX_ACCEPT_PAUSE`` (a worker serving one connection at a time, as with clients that
    do not keep connections alive, never pauses). A worker holding connections so accepts
    at least 500 new ones a second, however many it holds.

    The workers share one listening socket and the first one awake takes what is waiting:
    without the pause one worker took all 4 keep-alive connections of a client opening
    them at once and kept them while the other worker's core stayed idle
    (docs/benchmarks.md). An idle worker, holding nothing, accepts at once.
    """

    #: one connection per wake-up of the shared socket (gevent's default takes up to 100)
    max_accept = 1

    def do_handle(self, *args: Any) -> None:
        super().do_handle(*args)
        others = self.pool.size - self.pool.free_count() - 1 if self.pool is not None else 0
        if others > 0:
            self.stop_accepting()  # also stops an earlier pause's timer
            self._timer = self.loop.timer(min(others * ACCEPT_PAUSE, MAX_ACCEPT_PAUSE))
            self._timer.start(self._start_accepting_if_started)


class GeventWorker(_GunicornGeventWorker):
    """gunicorn's gevent worker whose SIGTERM closes the listeners at once."""

    _exiting: Event | None = None

    def patch(self) -> None:
        """gunicorn's monkey patching, without gevent's warning about ssl imported before it
        when the only module it names is redis.asyncio's (ssl is always imported first:
        werkzeug needs http.client; redis.asyncio is never used in a worker)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_SSL_WARNING, category=MonkeyPatchWarning)
            super().patch()

    def init_process(self) -> None:
        # Until gunicorn installs the worker's handlers (after monkey patching and the app's
        # set-up), a SIGTERM would reach the master's handler, inherited by the fork, and be
        # lost: the worker would then run until the master kills it, graceful_timeout later.
        signal.signal(signal.SIGTERM, self._exit_while_booting)
        super().init_process()

    def _exit_while_booting(self, sig: int, frame: Any) -> None:
        self.alive = False

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> bool:
        """One request, then a turn for the other connections' greenlets.

        A keep-alive connection whose next request has already arrived would otherwise be
        served again at once, for as long as its client keeps up: the other connections of
        the worker wait (p99 in the tens of ms under load, docs/benchmarks.md).
        """
        try:
            return bool(super().handle_request(listener_name, req, sock, addr))
        finally:
            gevent.sleep(0)

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        if self._exiting is not None:
            self._exiting.set()

    def run(self) -> None:
        """gunicorn's ``GeventWorker.run`` (plain sockets), waiting on an event instead of a sleep."""
        self._exiting = Event()
        servers: list[StreamServer] = []
        ssl_args: dict[str, Any] = {}
        if self.cfg.is_ssl:
            from gunicorn.sock import ssl_context

            ssl_args = {"ssl_context": ssl_context(self.cfg)}
        for sock in self.sockets:
            sock.setblocking(1)
            server_class = _SharingServer if self.cfg.workers > 1 else StreamServer
            server = server_class(
                sock,
                handle=partial(self.handle, _Listener(sock.getsockname())),
                spawn=Pool(self.worker_connections),
                **ssl_args,
            )
            server.start()
            servers.append(server)

        while self.alive:
            self.notify()
            self._exiting.wait(TICK)

        try:
            for server in servers:  # stop accepting
                server.close()
            started = time.time()
            while time.time() - started <= self.cfg.graceful_timeout:
                if all(server.pool.free_count() == server.pool.size for server in servers):
                    return  # every in-flight request finished
                self.notify()
                gevent.sleep(0.1)
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
            for server in servers:
                server.stop(timeout=1)
        except Exception:  # as gunicorn: a failing shutdown must not raise
            pass
