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
            server = StreamServer(
                sock,
                handle=partial(self.handle, _Listener(sock.getsockname())),
                spawn=Pool(self.worker_connections),
                **ssl_args,
            )
            if self.cfg.workers > 1:
                server.max_accept = 1
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
