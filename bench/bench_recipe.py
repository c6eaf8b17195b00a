"""Benchmark ``GET /v1/recipe`` (full middleware) against the bare-Flask ceiling, same run.

    .venv/bin/python -m bench.bench_recipe                 # our config (gevent worker)
    .venv/bin/python -m bench.bench_recipe --worker-class config gthread sync --rounds 3

For each worker class (``config``: gunicorn.conf.py's gevent worker), three servers run
side by side: the bare-Flask ceiling, cns with the full middleware (its rate limit
raised so that it is measured, not hit) and cns without the rate limiter; each round
loads every server of every worker class in turn with the same wrk settings. Reported:
req/s, p50/p99, the ratios to the ceiling of the same worker class and round (and their
medians), and each worker class against the first; cold start to /ready and worker RSS
go to stderr.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.server import Server

from .wrk_run import WrkResult, run_wrk, wrk_available

RECIPE_PATH = "/v1/recipe?service=eks&accelerator=h100&intent=training&os=ubuntu"
BENCH_ENV = {"CNS_RATE_LIMIT": "100000000 per 1 second"}
#: The worker class named "config": gunicorn.conf.py's own (no -k).
CONFIG = "config"
BASELINE = "baseline"
#: The servers measured in each round: name, WSGI app, extra environment, path.
TARGETS = (
    ("ceiling", "bench.ceiling_app:app", {}, "/v1/recipe"),
    ("cns", "wsgi:app", BENCH_ENV, RECIPE_PATH),
    ("cns-nolimit", "wsgi:app", {"CNS_RATE_LIMIT_ENABLED": "false"}, RECIPE_PATH),
)


@dataclass
class Sample:
    """One round: a wrk result per target (``name`` or ``name/worker-class``)."""

    results: dict[str, WrkResult]
    suffix: str = ""
    #: Server CPU time per answered request, in µs (less sensitive than req/s to other load).
    cpu_us: dict[str, float] = field(default_factory=dict)

    def of(self, name: str) -> WrkResult:
        return self.results[name + self.suffix]

    def ratio(self, name: str) -> float:
        return self.of(name).requests_per_second / self.of("ceiling").requests_per_second

    def p99_ratio(self, name: str) -> float:
        return self.of(name).p99_ms / self.of("ceiling").p99_ms

    def cpu_ratio(self, name: str) -> float:
        """The ceiling's CPU per request over ``name``'s: the req/s ratio of CPU-bound
        servers given the same CPU."""
        return self.cpu_us["ceiling" + self.suffix] / self.cpu_us[name + self.suffix]


def run_rounds(
    worker_classes: list[str],
    connections: int,
    seconds: int,
    rounds: int,
    baseline: Path | None = None,
) -> dict[str, list[Sample]]:
    """Start every target under every worker class, then run wrk on each in turn, ``rounds``
    times: one round measures all of them, so that the ratios of a round share its load.

    The order rotates every round, so that drift in the machine's load (other jobs)
    spreads over all targets instead of favouring the one measured first.
    """
    with ExitStack() as stack:
        servers: dict[str, str] = {}
        handles: dict[str, Server] = {}
        for worker_class in worker_classes:
            args = [] if worker_class == CONFIG else ["--worker-class", worker_class]
            for name, app, env, path in TARGETS:
                server = stack.enter_context(Server(app, env=env, args=args))
                key = f"{name}/{worker_class}"
                servers[key] = server.url(path)
                handles[key] = server
                run_wrk(servers[key], connections=connections, seconds=1)  # warm-up
                print(
                    f"{key}: ready in {server.startup_seconds:.2f} s, worker RSS "
                    f"{', '.join(f'{r:.1f}' for r in server.worker_rss_mib())} MiB",
                    file=sys.stderr,
                )
        if baseline is not None:  # another checkout's cns, with its own gunicorn config
            server = stack.enter_context(Server("wsgi:app", env=BENCH_ENV, cwd=baseline))
            servers[BASELINE] = server.url(RECIPE_PATH)
            handles[BASELINE] = server
            run_wrk(servers[BASELINE], connections=connections, seconds=1)
        results: list[dict[str, WrkResult]] = []
        cpu: list[dict[str, float]] = []
        names = list(servers)
        for i in range(rounds):
            shift = i % len(names)
            results.append({})
            cpu.append({})
            for key in names[shift:] + names[:shift]:
                before = handles[key].cpu_seconds()
                result = run_wrk(servers[key], connections=connections, seconds=seconds)
                used = handles[key].cpu_seconds() - before
                if result.non_2xx or result.socket_errors:
                    raise RuntimeError(f"errors during the {key} run: {result}")
                results[-1][key] = result
                cpu[-1][key] = used * 1e6 / max(result.requests, 1)
    return {
        wc: [Sample(r, f"/{wc}", c) for r, c in zip(results, cpu, strict=True)]
        for wc in worker_classes
    }


def report(worker_class: str, samples: list[Sample]) -> str:
    """Markdown table rows for the samples, plus the median ratios."""
    label = "gevent (gunicorn.conf.py)" if worker_class == CONFIG else worker_class
    lines = [
        f"#### worker class `{label}`",
        "",
        "| round | ceiling req/s | ceiling p99 ms | cns req/s | cns p50 ms | cns p99 ms "
        "| req/s ratio | p99 ratio | no-limiter req/s | no-limiter ratio "
        "| CPU µs/req ceiling, cns, no-limiter | CPU ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate(samples, 1):
        ceiling, cns, bare = (s.of(t[0]) for t in TARGETS)
        cpu = ", ".join(f"{s.cpu_us[t[0] + s.suffix]:.0f}" for t in TARGETS)
        lines.append(
            f"| {i} | {ceiling.requests_per_second:,.0f} | {ceiling.p99_ms:.2f} "
            f"| {cns.requests_per_second:,.0f} | {cns.p50_ms:.2f} | {cns.p99_ms:.2f} "
            f"| {s.ratio('cns'):.2f} | {s.p99_ratio('cns'):.2f} "
            f"| {bare.requests_per_second:,.0f} | {s.ratio('cns-nolimit'):.2f} "
            f"| {cpu} | {s.cpu_ratio('cns'):.2f} |"
        )
    ratio = statistics.median(s.ratio("cns") for s in samples)
    p99 = statistics.median(s.p99_ratio("cns") for s in samples)
    bare_ratio = statistics.median(s.ratio("cns-nolimit") for s in samples)
    cpu_ratio = statistics.median(s.cpu_ratio("cns") for s in samples)
    lines += [
        "",
        f"Median: req/s ratio {ratio:.2f} (target >= 0.85), p99 ratio {p99:.2f} (target <= 2); "
        f"without the rate limiter {bare_ratio:.2f}; CPU per request, ceiling's over cns's, "
        f"{cpu_ratio:.2f}.",
    ]
    return "\n".join(lines)


def compare(by_class: dict[str, list[Sample]]) -> str:
    """Each worker class against the first one, round by round (same load): median ratios;
    the baseline checkout's cns against each worker class's ceiling."""
    first, *others = by_class
    lines = []
    for worker_class, samples in by_class.items():
        if BASELINE in samples[0].results:
            ratios = [
                s.results[BASELINE].requests_per_second / s.of("ceiling").requests_per_second
                for s in samples
            ]
            p99 = [s.results[BASELINE].p99_ms / s.of("ceiling").p99_ms for s in samples]
            cpu = [s.cpu_us["ceiling" + s.suffix] / s.cpu_us[BASELINE] for s in samples]
            lines.append(
                f"baseline cns / ceiling under {worker_class}: median req/s ratio "
                f"{statistics.median(ratios):.2f}, p99 ratio {statistics.median(p99):.2f}, "
                f"CPU ratio {statistics.median(cpu):.2f} (baseline CPU µs/req "
                f"{', '.join(f'{s.cpu_us[BASELINE]:.0f}' for s in samples)})"
            )
    for other in others:
        for name in ("ceiling", "cns"):
            ratios = [
                b.of(name).requests_per_second / a.of(name).requests_per_second
                for a, b in zip(by_class[first], by_class[other], strict=True)
            ]
            lines.append(
                f"{name} under {other} / under {first}: median req/s ratio "
                f"{statistics.median(ratios):.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker-class", nargs="+", default=[CONFIG])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. a git worktree of main) whose cns is measured in the "
        "same rounds, with its own gunicorn config",
    )
    opts = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    by_class = run_rounds(
        opts.worker_class, opts.connections, opts.seconds, opts.rounds, opts.baseline
    )
    for worker_class, samples in by_class.items():
        print(report(worker_class, samples), "\n", flush=True)
    print(compare(by_class), flush=True)


if __name__ == "__main__":
    main()
