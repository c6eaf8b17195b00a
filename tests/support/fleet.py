"""A fleet on loopback: cns instances (the Procfile's gunicorn), one redis-server, haproxy.

Each part is a real process on a free 127.0.0.1 port, started and stopped by the test.
Clients pick their own loopback source address (127.0.0.0/8 is all loopback on Linux),
so that each test is a different client for the per-client rate limit.
"""

from __future__ import annotations

import http.client
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .paths import REPO
from .server import free_port

VENV_BIN = REPO / ".venv" / "bin"


def procfile_command() -> list[str]:
    """The ``web:`` command of the Procfile, as a platform would run it."""
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.removeprefix("web:"))
    raise AssertionError("the Procfile has no web: process")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    path: str,
    *,
    source: str = "127.0.0.1",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """One request on a fresh connection from loopback address ``source``."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def _wait(check: Callable[[], bool], what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not ready after {timeout}s\n{tail}")


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


@dataclass
class Redis:
    """redis-server on loopback without persistence; ``kill`` and ``start`` keep the port."""

    binary: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.ping, "redis-server", 10)
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: Redis disappears as in a crash."""
        _stop(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None


@dataclass
class Instance:
    """One cns instance: the Procfile's command with PORT, 2 workers, bound to loopback."""

    name: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> Instance:
        metrics = self.workdir / f"{self.name}-metrics"
        if metrics.exists():
            for stale in metrics.iterdir():
                stale.unlink()
        metrics.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CNS_")}
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": "2",
                # the Procfile binds 0.0.0.0:$PORT; tests listen on loopback only
                "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{self.port}",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                **self.env,
            }
        )
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                procfile_command(), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        _wait(self.ready, f"instance {self.name}", 30, self.log)
        return self

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"instance {self.name} exited:\n{self.log.read_text()[-3000:]}")
        try:
            return request(self.port, "/ready", timeout=1).status == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> int | None:
        """SIGTERM (graceful) and wait; the master's exit code."""
        code = _stop(self.proc)
        self.proc = None
        return code


HAPROXY_CONFIG = """\
global
    maxconn 512
    stats socket {stats} mode 600 level admin
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    option log-health-checks
    timeout connect 1s
    timeout client 15s
    timeout server 15s
    timeout http-request 5s
    # a server that refuses the connection or closes it without answering (it is
    # stopping): try again, on another server; the whole request is buffered first
    # (bodies included) so that it can be sent again
    option http-buffer-request
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option forwardfor
frontend cns
    bind 127.0.0.1:{port}
    default_backend cns
backend cns
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    http-response set-header X-Backend %[srv_name]
    default-server inter 200ms fall 2 rise 2
{servers}
"""


@dataclass
class HAProxy:
    """haproxy in front of the instances, health-checking ``/ready``, adding X-Forwarded-For."""

    binary: str
    instances: list[Instance]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def stats_socket(self) -> Path:
        return self.workdir / "haproxy.sock"

    def config(self) -> str:
        servers = "\n".join(f"    server {i.name} 127.0.0.1:{i.port} check" for i in self.instances)
        return HAPROXY_CONFIG.format(stats=self.stats_socket, port=self.port, servers=servers)

    def start(self) -> HAProxy:
        conf = self.workdir / "haproxy.cfg"
        conf.write_text(self.config())
        log = self.workdir / "haproxy.log"
        check = subprocess.run([self.binary, "-c", "-f", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [self.binary, "-db", "-f", str(conf)], stdout=out, stderr=subprocess.STDOUT
            )
        _wait(lambda: self.servers_up() == {i.name for i in self.instances}, "haproxy", 15, log)
        return self

    def server_stats(self) -> dict[str, dict[str, str]]:
        """haproxy's ``show stat`` row of each backend server (``status``, ``wredis``, …)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row
            for row in rows
            if row.get("pxname") == "cns" and row.get("svname") not in ("BACKEND", "FRONTEND")
        }

    def servers_up(self) -> set[str]:
        try:
            return {name for name, row in self.server_stats().items() if row["status"] == "UP"}
        except OSError:
            return set()

    def wait_for(self, up: set[str], timeout: float = 15) -> None:
        _wait(lambda: self.servers_up() == up, f"haproxy servers {sorted(up)} UP", timeout)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None
