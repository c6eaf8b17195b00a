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
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from cns_core.serialize import dump_json, load_yaml
from tests.support.paths import REPO
from tests.support.wheel import install_wheel

SNAPSHOT = REPO / "examples" / "snapshots" / "h100-eks-ubuntu.yaml"


def wall(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=SNAPSHOT,
        help="YAML node snapshot to validate (default: examples/snapshots/h100-eks-ubuntu.yaml)",
    )
    args = parser.parse_args()
    snapshot = args.snapshot.resolve()
    lines = len(snapshot.read_text().splitlines())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bin_dir = install_wheel(tmp)
        recipe = tmp / "recipe.json"
        criteria = [
            "--service",
            "eks",
            "--accelerator",
            "h100",
            "--os",
            "ubuntu",
            "--intent",
            "inference",
        ]
        subprocess.run(
            [str(bin_dir / "cns"), "recipe", *criteria, "-t", "json", "-o", str(recipe)], check=True
        )
        snapshot_json = tmp / "snapshot.json"
        snapshot_json.write_text(dump_json(load_yaml(snapshot.read_text())))
        validate = [str(bin_dir / "cns"), "validate", "-r", str(recipe), "--no-fail-on-error", "-s"]
        commands = {
            "floor: python -c 'import click, ruamel.yaml'": [
                str(bin_dir / "python"),
                "-c",
                "import click, ruamel.yaml",
            ],
            "cns recipe (eks h100 ubuntu inference)": [
                str(bin_dir / "cns"),
                "recipe",
                *criteria,
                "-t",
                "json",
            ],
            f"cns validate ({snapshot.name}, YAML, {lines:,} lines)": [*validate, str(snapshot)],
            "cns validate (the same snapshot as JSON)": [*validate, str(snapshot_json)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd, tmp))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor_times = next(iter(times.values()))
    floor = statistics.median(floor_times)
    print(f"| command | median wall ms ({args.runs} runs) | x floor | x floor, paired |")
    print("|---|---|---|---|")
    for name, value in medians.items():
        # each run of a command against the floor's run of the same round (the rounds
        # interleave them): what a slow spell of a shared machine does to both cancels out
        paired = statistics.median(t / f for t, f in zip(times[name], floor_times, strict=True))
        print(f"| {name} | {value * 1000:.1f} | {value / floor:.2f} | {paired:.2f} |")


if __name__ == "__main__":
    main()
