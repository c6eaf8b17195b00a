"""A real gunicorn on a free 127.0.0.1 port, timed to ready: for the tests and bench/.

    from tests.support.server import Server
    with Server("wsgi:app", env={"CNS_RATE_LIMIT_ENABLED": "false"}) as server:
        urllib.request.urlopen(server.url("/v1/recipe?service=eks"))
        print(server.startup_seconds, server.worker_rss_mib())

(No pytest here: the benchmarks import it too.)
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .paths import REPO

GUNICORN_CONF = REPO / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """gunicorn serving ``app`` with our gunicorn.conf.py, bound to 127.0.0.1 (a context manager)."""

    app: str
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    ready_path: str = "/ready"
    workers: int = 2
    port: int = field(default_factory=free_port)
    startup_seconds: float = 0.0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    #: The checkout to serve (another one measures a baseline: its wsgi.py, config, code).
    cwd: Path = REPO

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, timeout: float = 30.0) -> Server:
        """Start gunicorn and wait until ``ready_path`` answers 200 (time kept in startup_seconds)."""
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update({"WEB_CONCURRENCY": str(self.workers), **self.env})
        if self.cwd != REPO:
            env["PYTHONPATH"] = str(self.cwd)
        handle, log_name = tempfile.mkstemp(prefix="cns-bench-gunicorn-", suffix=".log")
        self.log_path = Path(log_name)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "-c",
            str(self.cwd / GUNICORN_CONF.name),
            "--bind",
            f"127.0.0.1:{self.port}",
            *self.args,
        ]
        started = time.perf_counter()
        self.process = subprocess.Popen(
            cmd, cwd=self.cwd, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        os.close(handle)
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            if _answers_200(self.url(self.ready_path)):
                self.startup_seconds = time.perf_counter() - started
                return self
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"gunicorn not ready after {timeout}s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def cpu_seconds(self) -> float:
        """CPU time the master and its workers (all their threads) have run so far, from
        /proc/PID/task/TID/schedstat (ns)."""
        assert self.process is not None
        total = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    total += int(stat.read_text().split()[0])
        return total / 1e9

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker, in MiB."""
        out = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                out.append(int(match.group(1)) / 1024)
        return out

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM the master (graceful shutdown) and wait for it; returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
