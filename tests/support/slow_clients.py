"""Slow clients on loopback, for the slow-client tests and bench/bench_slow_clients.py.

Three kinds, each a real TCP connection driven from one background thread:

- ``headers``: sends a request line, then one more header line every ``interval`` seconds
  and never finishes the header block (slowloris);
- ``idle``: connects and sends nothing;
- ``body``: sends complete headers announcing a body, then one byte of it every
  ``interval`` seconds.

A connection the server closes is opened again at once, so the server faces ``count``
slow connections for as long as the attack runs. Everything stops after ``seconds`` at
the latest, or when the context manager exits.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

KINDS = ("headers", "idle", "body")
BODY_LENGTH = 4096


@dataclass
class _Conn:
    kind: str
    sock: socket.socket
    next_send: float


@dataclass
class SlowClients:
    """``count`` slow connections to ``127.0.0.1:port``, kinds in turn, for at most ``seconds``."""

    port: int
    count: int = 64
    kinds: tuple[str, ...] = KINDS
    interval: float = 2.0
    seconds: float = 60.0
    opened: int = 0
    _conns: list[_Conn] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def _open(self, kind: str) -> _Conn | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            return None
        sock.settimeout(0)  # never block the driver on one connection
        self.opened += 1
        n = next(self._serial)
        try:
            if kind == "headers":
                sock.send(f"GET /v1/recipe?slow={n} HTTP/1.1\r\nHost: x\r\n".encode())
            elif kind == "body":
                sock.send(
                    b"POST /v1/recipe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(BODY_LENGTH).encode() + b"\r\n\r\n{"
                )
        except OSError:
            sock.close()
            return None
        return _Conn(kind, sock, time.monotonic() + self.interval)

    @property
    def connected(self) -> int:
        """Slow connections open right now."""
        return len(self._conns)

    def _closed_by_server(self, conn: _Conn) -> bool:
        try:
            conn.sock.recv(65536)  # b"" (closed) or an answer (a 400, a 408): either way, done
        except BlockingIOError:
            return False
        except OSError:
            pass
        return True

    def _drive(self) -> None:
        deadline = time.monotonic() + self.seconds
        kinds = itertools.cycle(self.kinds)
        while not self._stop.is_set() and time.monotonic() < deadline:
            now = time.monotonic()
            alive = []
            for conn in self._conns:
                if self._closed_by_server(conn):
                    conn.sock.close()
                    continue
                if conn.kind != "idle" and now >= conn.next_send:
                    try:
                        conn.sock.send(b"X-Slow: 1\r\n" if conn.kind == "headers" else b" ")
                    except OSError:
                        conn.sock.close()
                        continue
                    conn.next_send = now + self.interval
                alive.append(conn)
            self._conns = alive
            while len(self._conns) < self.count and not self._stop.is_set():
                conn = self._open(next(kinds))
                if conn is None:
                    break
                self._conns.append(conn)
            self._stop.wait(0.05)
        for conn in self._conns:
            conn.sock.close()
        self._conns = []

    def start(self) -> SlowClients:
        """Open the connections (before returning) and keep them slow in the background."""
        kinds = itertools.cycle(self.kinds)
        for _ in range(self.count):
            conn = self._open(next(kinds))
            if conn is not None:
                self._conns.append(conn)
        self._thread = threading.Thread(target=self._drive, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
