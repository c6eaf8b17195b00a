"""In-process cost of one fresh bundle (no server): build and zip a recipe.

    .venv/bin/python -m bench.inprocess_bundle            # warm: memos of earlier builds kept
    .venv/bin/python -m bench.inprocess_bundle --cold     # every memo emptied before each build

The body is bench_bundle's (the EKS GB200 Ubuntu training recipe, Helm, one accelerated
toleration) and every build has its own ``set`` override, as in bench_bundle's ``fresh``
load. Warm is what a running service sees: the body parsed once (the service does not
parse a body posted again), and what earlier bundles wrote reused (the planned values of
the components the set does not touch, their YAML, deflated files, recipe.yaml, the
README). Cold is a first build: the body parsed, every memo empty. Best of 7 batches of
50 builds.
"""

from __future__ import annotations

import argparse
import json
import time

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.bundle.generate import forget_reused
from cns_core.criteria import Criteria
from cns_core.recipes import RecipeResult, build_recipe, load_store

from .bench_bundle import CRITERIA


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cold", action="store_true")
    opts = parser.parse_args()
    store = load_store()
    body = json.dumps(build_recipe(Criteria.parse(CRITERIA), store).to_dict())
    parsed = RecipeResult.from_dict(json.loads(body), source="bench")

    def one(i: int) -> bytes:
        recipe = parsed
        if opts.cold:
            forget_reused()
            recipe = RecipeResult.from_dict(json.loads(body), source="bench")
        options = BundleOptions.parse(
            sets=[f"gpu-operator:bench.id=b{i}"],
            accelerated_node_toleration=["nvidia.com/gpu:NoSchedule"],
        )
        return generate_bundle(recipe, store, options).zip

    for i in range(20):
        one(i)
    best = float("inf")
    for batch in range(7):
        started = time.perf_counter()
        for i in range(50):
            one(1000 * batch + i)
        best = min(best, (time.perf_counter() - started) / 50)
    print(f"{'cold' if opts.cold else 'warm'}: {best * 1000:.2f} ms per bundle")


if __name__ == "__main__":
    main()
