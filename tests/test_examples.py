"""The example data in ``examples/`` is what cns builds and reads today.

Regenerate the recipes after a deliberate change to the recipe data with
``CNS_UPDATE_GOLDEN=1 pytest tests/test_examples.py``, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cns_core.cli.documents import format_from_path, read_document
from cns_core.criteria import Criteria, criteria_from_resource
from cns_core.recipes import RecipeResult, build_recipe
from cns_core.serialize import dump
from cns_core.snapshot import Snapshot
from cns_core.snapshot.infer import criteria_from_snapshot

from .support.golden import assert_golden
from .support.paths import EXAMPLE_SNAPSHOTS, EXAMPLES

RECIPES = sorted((EXAMPLES / "recipes").iterdir())


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_example_recipes_are_what_cns_builds(path: Path, store) -> None:
    doc = read_document(str(path))
    criteria = Criteria.parse(doc["criteria"])
    fmt = format_from_path(path.name)
    assert fmt is not None, f"{path.name}: name it .json, .yaml or .yml"
    built = dump(build_recipe(criteria, store).to_dict(), fmt)
    assert_golden(path, built)
    RecipeResult.from_dict(doc, source=str(path))


def test_the_criteria_file_builds_the_gb200_example_recipe(store) -> None:
    criteria = criteria_from_resource(read_document(str(EXAMPLES / "criteria.yaml")))
    recipe = read_document(str(EXAMPLES / "recipes" / "gb200-eks-ubuntu-training.yaml"))
    assert build_recipe(criteria, store).to_dict() == recipe


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("h100-eks-ubuntu.yaml", Criteria(service="eks", accelerator="h100", os="ubuntu")),
        ("gb200-eks-ubuntu.yaml", Criteria(service="eks", accelerator="gb200", os="ubuntu")),
    ],
)
def test_example_snapshots_describe_the_nodes_their_names_say(
    name: str, expected: Criteria
) -> None:
    snapshot = Snapshot.from_dict(read_document(str(EXAMPLE_SNAPSHOTS / name)))
    assert criteria_from_snapshot(snapshot) == expected
    assert snapshot.measurements, name


def test_every_example_file_is_listed_in_its_readme() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for path in sorted(EXAMPLES.rglob("*")):
        if path.is_file() and path.name != "README.md":
            assert f"`{path.relative_to(EXAMPLES)}`" in readme, path


def test_the_cli_benchmark_reads_its_snapshot_from_the_repository() -> None:
    """``bench.bench_cli`` runs on a fresh clone (it used to read ../shared)."""
    from bench import bench_cli

    assert bench_cli.SNAPSHOT.is_file()
    assert EXAMPLES in bench_cli.SNAPSHOT.parents
