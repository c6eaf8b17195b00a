"""CLI wall time against the import floor of the libraries the commands need.

Installs the cns wheel (not editable: no editable-finder overhead) into a temporary venv
that borrows this venv's dependencies, then times, interleaved, N runs each of:
the floor ``python -c "import click, ruamel.yaml"``, ``cns recipe`` and ``cns validate``
(on a node snapshot as YAML and as JSON: by default the example H100 EKS snapshot; the
figures in docs/benchmarks.md used a real 1,900-line one, ``--snapshot`` takes any).
Prints a markdown table of medians and ratios: the ratio of the medians, and the median
of each round's ratio (a command's run over the floor's run of the same round).

    .venv/bin/python -m bench.bench_cli --runs 30
    .venv/bin/python -m bench.bench_cli --snapshot ../shared/fixtures/snapshots/h100-eks-ubuntu.yaml
    .venv/bin/python -m bench.bench_cli --runs 60 --baseline ../base   # another checkout too
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from cns_core.serialize import dump_json, load_yaml
from tests.support.paths import REPO
from tests.support.wheel import install_wheel

SNAPSHOT = REPO / "examples" / "snapshots" / "h100-eks-ubuntu.yaml"


class Command(NamedTuple):
    """A command line, and the cache directory of its cns (each wheel has its own:
    ``cns`` keeps one cache of parsed recipe documents, which another build rewrites)."""

    argv: list[str]
    cache: Path


def wall(command: Command, cwd: Path) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": str(command.cache)}
    start = time.perf_counter()
    subprocess.run(
        command.argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


CRITERIA = ["--service", "eks", "--accelerator", "h100", "--os", "ubuntu", "--intent", "inference"]


def cns_commands(bin_dir: Path, recipe: Path, snapshot: Path, as_json: Path) -> list[Command]:
    """``cns recipe`` and ``cns validate`` of the YAML and the JSON snapshot, as run from
    ``bin_dir`` (its cache beside it)."""
    cns = str(bin_dir / "cns")
    validate = [cns, "validate", "-r", str(recipe), "--no-fail-on-error", "-s"]
    cache = bin_dir.parent.parent / "cache"
    return [
        Command([cns, "recipe", *CRITERIA, "-t", "json"], cache),
        Command([*validate, str(snapshot)], cache),
        Command([*validate, str(as_json)], cache),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=SNAPSHOT,
        help="YAML node snapshot to validate (default: examples/snapshots/h100-eks-ubuntu.yaml)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout: its wheel's commands are timed in the same rounds",
    )
    args = parser.parse_args()
    snapshot = args.snapshot.resolve()
    lines = len(snapshot.read_text().splitlines())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bin_dir = install_wheel(tmp / "cns")
        recipe = tmp / "recipe.json"
        subprocess.run(
            [str(bin_dir / "cns"), "recipe", *CRITERIA, "-t", "json", "-o", str(recipe)], check=True
        )
        snapshot_json = tmp / "snapshot.json"
        snapshot_json.write_text(dump_json(load_yaml(snapshot.read_text())))
        names = [
            "cns recipe (eks h100 ubuntu inference)",
            f"cns validate ({snapshot.name}, YAML, {lines:,} lines)",
            "cns validate (the same snapshot as JSON)",
        ]
        floor = Command([str(bin_dir / "python"), "-c", "import click, ruamel.yaml"], tmp)
        commands = {"floor: python -c 'import click, ruamel.yaml'": floor}
        commands.update(
            zip(names, cns_commands(bin_dir, recipe, snapshot, snapshot_json), strict=True)
        )
        if args.baseline is not None:
            base_bin = install_wheel(tmp / "baseline", source=args.baseline.resolve())
            base = cns_commands(base_bin, recipe, snapshot, snapshot_json)
            commands.update(
                (f"baseline: {name}", cmd) for name, cmd in zip(names, base, strict=True)
            )
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd, tmp))
    print(table(times, args.runs))


def table(times: dict[str, list[float]], runs: int) -> str:
    """Medians, their ratio to the floor's (the first row), and the median of each round's
    ratio (a command's run over the floor's run of the same round: what a slow spell of a
    shared machine does to both cancels out)."""
    floor_times = next(iter(times.values()))
    floor = statistics.median(floor_times)
    rows = [
        f"| command | median wall ms ({runs} runs) | x floor | x floor, paired |",
        "|---|---|---|---|",
    ]
    for name, values in times.items():
        value = statistics.median(values)
        paired = statistics.median(t / f for t, f in zip(values, floor_times, strict=True))
        rows.append(f"| {name} | {value * 1000:.1f} | {value / floor:.2f} | {paired:.2f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
