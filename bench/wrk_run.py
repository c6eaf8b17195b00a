"""Running wrk against a URL and parsing its ``--latency`` report.

Used by bench_recipe.py and bench_bundle.py with the gunicorn of tests/support/server.py
(pass a wrk Lua ``script`` to set the method, headers and body):

    from tests.support.server import Server
    from bench.wrk_run import run_wrk
    with Server("wsgi:app", env={"CNS_RATE_LIMIT": "1000000/second"}) as server:
        result = run_wrk(server.url("/v1/recipe?service=eks"), connections=8)
        print(result.requests_per_second, result.p99_ms, server.worker_rss_mib())
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    *,
    connections: int = 8,
    threads: int = 2,
    seconds: int = 8,
    script: str | None = None,
) -> WrkResult:
    """Run wrk against ``url`` (``script``: optional Lua source, e.g. to POST a body)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script is not None:
            lua.write(script)
            lua.flush()
            cmd[1:1] = ["-s", lua.name]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> WrkResult:
    """Parse wrk's ``--latency`` report."""

    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if match is None:
            raise ValueError(f"wrk output has no {percent}% latency:\n{out}")
        return float(match.group(1)) * _UNIT_MS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if rps is None or total is None:
        raise ValueError(f"cannot parse wrk output:\n{out}")
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
