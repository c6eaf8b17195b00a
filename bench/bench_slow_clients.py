"""Other clients' answers while 64 slow clients are connected, per gunicorn worker class.

    .venv/bin/python -m bench.bench_slow_clients --worker-class config gthread

For each worker class: gunicorn (our config, 2 workers) faces 64 slow connections of one
kind (tests/support/slow_clients.py: header lines trickled every 2 s, idle sockets, bodies
trickled a byte every 2 s, or the three mixed), while a probe requests ``/health``,
``/ready`` and ``/v1/recipe`` in turn on fresh connections for ``--seconds``, each with a
3 s timeout. Reported: answered and failed probes, and the p50 / p99 / max latency of the
answered ones.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time

from tests.support.server import Server
from tests.support.slow_clients import KINDS, SlowClients

from .bench_recipe import CONFIG

PATHS = ("/health", "/ready", "/v1/recipe?service=eks&accelerator=h100&intent=training")
TIMEOUT = 3.0


def status(port: int, path: str) -> int:
    """One GET on a fresh connection (the status), within TIMEOUT seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def probe(port: int, seconds: float) -> tuple[list[float], int]:
    """(latencies of the answered probes in ms, failed probes)."""
    latencies: list[float] = []
    failed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PATHS:
            started = time.perf_counter()
            try:
                ok = status(port, path) == 200
            except OSError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
        time.sleep(0.05)
    return latencies, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worker-class", nargs="+", default=[CONFIG, "gthread"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=64)
    opts = parser.parse_args()
    print(
        "| worker class | slow clients | probes answered | failed | p50 ms | p99 ms | max ms |\n"
        "|---|---|---|---|---|---|---|"
    )
    for worker_class in opts.worker_class:
        args = [] if worker_class == CONFIG else ["--worker-class", worker_class]
        for kinds in [*((kind,) for kind in KINDS), KINDS]:
            server = Server("wsgi:app", env={"CNS_LOG_LEVEL": "warning"}, args=args)
            with server, SlowClients(server.port, count=opts.connections, kinds=kinds):
                time.sleep(0.5)
                latencies, failed = probe(server.port, opts.seconds)
            name = "mixed" if len(kinds) > 1 else kinds[0]
            if latencies:
                cuts = (
                    statistics.quantiles(latencies, n=100, method="inclusive")
                    if len(latencies) > 1
                    else latencies * 99
                )
                stats = (
                    f"{statistics.median(latencies):.1f} | {cuts[98]:.1f} | {max(latencies):.1f}"
                )
            else:
                stats = "- | - | -"
            label = "gevent (config)" if worker_class == CONFIG else worker_class
            print(
                f"| {label} | {opts.connections} {name} | {len(latencies)} | {failed} | {stats} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
