"""Benchmark ``GET /v1/recipe`` (full middleware) against the bare-Flask ceiling, same run.

    .venv/bin/python -m bench.bench_recipe                 # gthread (our config)
    .venv/bin/python -m bench.bench_recipe --worker-class sync gthread --rounds 3

For each worker class, each round runs the ceiling then cns (same wrk settings),
and reports req/s, p50/p99, the ratios to the ceiling, cold start to /ready and
worker RSS. The rate limit is raised so that it is measured, not hit.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

from .wrk_run import Server, WrkResult, run_wrk, wrk_available

RECIPE_PATH = "/v1/recipe?service=eks&accelerator=h100&intent=training&os=ubuntu"
BENCH_ENV = {"CNS_RATE_LIMIT": "100000000 per 1 second"}


@dataclass
class Sample:
    ceiling: WrkResult
    cns: WrkResult
    cold_start_s: float
    rss_mib: list[float]


def run_round(worker_class: str, connections: int, seconds: int) -> Sample:
    """One ceiling run and one cns run, back to back."""
    args = ["--worker-class", worker_class]
    with Server("bench.ceiling_app:app", env=BENCH_ENV, args=args) as ceiling_server:
        run_wrk(ceiling_server.url("/v1/recipe"), connections=connections, seconds=1)
        ceiling = run_wrk(
            ceiling_server.url("/v1/recipe"), connections=connections, seconds=seconds
        )
    with Server("wsgi:app", env=BENCH_ENV, args=args) as server:
        cold_start = server.startup_seconds
        run_wrk(server.url(RECIPE_PATH), connections=connections, seconds=1)
        cns = run_wrk(server.url(RECIPE_PATH), connections=connections, seconds=seconds)
        rss = server.worker_rss_mib()
    for result in (ceiling, cns):
        if result.non_2xx or result.socket_errors:
            raise RuntimeError(f"errors during the run: {result}")
    return Sample(ceiling, cns, cold_start, rss)


def report(worker_class: str, samples: list[Sample]) -> str:
    """Markdown table rows for the samples, plus the median ratios."""
    lines = [
        f"### worker class `{worker_class}`",
        "",
        "| round | ceiling req/s | ceiling p99 ms | cns req/s | cns p50 ms | cns p99 ms "
        "| req/s ratio | p99 ratio | cold start s | worker RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate(samples, 1):
        lines.append(
            f"| {i} | {s.ceiling.requests_per_second:,.0f} | {s.ceiling.p99_ms:.2f} "
            f"| {s.cns.requests_per_second:,.0f} | {s.cns.p50_ms:.2f} | {s.cns.p99_ms:.2f} "
            f"| {s.cns.requests_per_second / s.ceiling.requests_per_second:.2f} "
            f"| {s.cns.p99_ms / s.ceiling.p99_ms:.2f} | {s.cold_start_s:.2f} "
            f"| {', '.join(f'{r:.1f}' for r in s.rss_mib)} |"
        )
    ratio = statistics.median(
        s.cns.requests_per_second / s.ceiling.requests_per_second for s in samples
    )
    p99 = statistics.median(s.cns.p99_ms / s.ceiling.p99_ms for s in samples)
    lines += [
        "",
        f"Median: req/s ratio {ratio:.2f} (target >= 0.85), p99 ratio {p99:.2f} (target <= 2).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker-class", nargs="+", default=["gthread"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=8)
    opts = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    for worker_class in opts.worker_class:
        samples = [
            run_round(worker_class, opts.connections, opts.seconds) for _ in range(opts.rounds)
        ]
        print(report(worker_class, samples), "\n", flush=True)


if __name__ == "__main__":
    main()
