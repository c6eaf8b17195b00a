"""Benchmark ``POST /v1/bundle`` (4 connections) against the bare-Flask ceiling, same run.

    .venv/bin/python -m bench.bench_bundle --rounds 3

Two loads on the same server: ``cached`` repeats one request (bundle cache hits);
``fresh`` gives every request a unique ``set`` override, so every bundle is built
from scratch (values pipeline, YAML, README templates, checksums, zip).
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe, load_store
from tests.support.server import Server

from .bench_recipe import BENCH_ENV
from .wrk_run import WrkResult, run_wrk, wrk_available

CRITERIA = {"service": "eks", "accelerator": "gb200", "intent": "training", "os": "ubuntu"}
BUNDLE_PATH = "/v1/bundle?deployer=helm&accelerated-node-toleration=nvidia.com/gpu:NoSchedule"

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[%(body)s]==]
local fresh = %(fresh)s
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  counter = 0
end
function request()
  if not fresh then
    return wrk.format(nil, "%(path)s")
  end
  counter = counter + 1
  return wrk.format(nil, "%(path)s&set=gpu-operator:bench.id=t" .. tid .. "-" .. counter)
end
"""


@dataclass
class Loads:
    """One server's cached and fresh loads, and its CPU time per fresh request (master
    and workers, ms: less moved than req/s by other jobs on the machine)."""

    cached: WrkResult
    fresh: WrkResult
    fresh_cpu_ms: float


@dataclass
class Sample:
    ceiling: WrkResult
    cns: Loads
    rss_mib: list[float]
    baseline: Loads | None = None


def lua_script(fresh: bool) -> str:
    recipe = build_recipe(Criteria.parse(CRITERIA), load_store())
    body = json.dumps(recipe.to_dict())
    return _LUA % {"body": body, "fresh": "true" if fresh else "false", "path": BUNDLE_PATH}


def bundle_loads(server: Server, connections: int, seconds: int) -> Loads:
    """The cached and the fresh load on one server."""
    url = server.url(BUNDLE_PATH)
    cached_lua, fresh_lua = lua_script(False), lua_script(True)
    run_wrk(url, connections=connections, seconds=1, script=cached_lua)
    cached = run_wrk(url, connections=connections, seconds=seconds, script=cached_lua)
    cpu_before = server.cpu_seconds()
    fresh = run_wrk(url, connections=connections, seconds=seconds, script=fresh_lua)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(1, fresh.requests)
    for result in (cached, fresh):
        if result.non_2xx or result.socket_errors:
            raise RuntimeError(f"errors during the run: {result}")
    return Loads(cached, fresh, cpu_ms)


def run_round(connections: int, seconds: int, baseline: Path | None = None) -> Sample:
    """The ceiling (8 connections, as DESIGN.md defines it), then cached and fresh bundles
    (and the same on the ``baseline`` checkout, with its own gunicorn config)."""
    with Server("bench.ceiling_app:app", env=BENCH_ENV) as ceiling_server:
        url = ceiling_server.url("/v1/recipe")
        run_wrk(url, connections=8, seconds=1)
        ceiling = run_wrk(url, connections=8, seconds=seconds)
    if ceiling.non_2xx or ceiling.socket_errors:
        raise RuntimeError(f"errors during the run: {ceiling}")
    with Server("wsgi:app", env=BENCH_ENV) as server:
        loads = bundle_loads(server, connections, seconds)
        rss = server.worker_rss_mib()
    sample = Sample(ceiling, loads, rss)
    if baseline is not None:
        # a checkout whose gthread workers limit builds (CNS_MAX_BUNDLE_BUILDS) would answer
        # some of 4 connections with 503: room for all of them, so that it is measured
        env = {**BENCH_ENV, "CNS_MAX_BUNDLE_BUILDS": "8"}
        with Server("wsgi:app", env=env, cwd=baseline) as server:
            sample.baseline = bundle_loads(server, connections, seconds)
    return sample


def report(samples: list[Sample], connections: int) -> str:
    """Markdown rows per round and the median ratios to the ceiling."""
    lines = [
        f"| round | ceiling req/s | cached req/s | p50 ms | p99 ms | fresh req/s | p50 ms "
        f"| p99 ms | fresh CPU ms/req | cached ratio | fresh ratio | worker RSS MiB |  "
        f"({connections} connections)",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate(samples, 1):
        ceiling, cached, fresh = s.ceiling.requests_per_second, s.cns.cached, s.cns.fresh
        lines.append(
            f"| {i} | {ceiling:,.0f} | {cached.requests_per_second:,.0f} "
            f"| {cached.p50_ms:.2f} | {cached.p99_ms:.2f} "
            f"| {fresh.requests_per_second:,.0f} | {fresh.p50_ms:.2f} | {fresh.p99_ms:.2f} "
            f"| {s.cns.fresh_cpu_ms:.2f} "
            f"| {cached.requests_per_second / ceiling:.3f} "
            f"| {fresh.requests_per_second / ceiling:.3f} "
            f"| {', '.join(f'{r:.1f}' for r in s.rss_mib)} |"
        )
    lines += ["", f"Median ratios: {_medians([(s.cns, s) for s in samples])}."]
    rows = [(s.baseline, s) for s in samples if s.baseline is not None]
    if len(rows) == len(samples):
        lines.append(
            "Baseline checkout, same rounds: cached "
            + ", ".join(f"{b.cached.requests_per_second:,.0f}" for b, _ in rows)
            + " req/s, fresh "
            + ", ".join(f"{b.fresh.requests_per_second:,.0f}" for b, _ in rows)
            + " req/s ("
            + ", ".join(f"{b.fresh_cpu_ms:.2f}" for b, _ in rows)
            + f" CPU ms/req); median ratios {_medians(rows)}."
        )
    return "\n".join(lines)


def _medians(rows: list[tuple[Loads, Sample]]) -> str:
    def ratio(result: WrkResult, sample: Sample) -> float:
        return result.requests_per_second / sample.ceiling.requests_per_second

    cached = statistics.median(ratio(loads.cached, s) for loads, s in rows)
    fresh = statistics.median(ratio(loads.fresh, s) for loads, s in rows)
    return f"cached {cached:.3f} (target >= 0.35), fresh {fresh:.3f} (target >= 0.11)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--baseline", type=Path, help="another checkout measured in each round")
    opts = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    samples = [run_round(opts.connections, opts.seconds, opts.baseline) for _ in range(opts.rounds)]
    print(report(samples, opts.connections), flush=True)


if __name__ == "__main__":
    main()
