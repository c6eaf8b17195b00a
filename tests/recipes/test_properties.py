"""Property tests over random criteria, and byte determinism of the recipe output."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cns_core.criteria import (
    ACCELERATORS,
    ANY,
    INTENTS,
    OPERATING_SYSTEMS,
    PLATFORMS,
    SERVICES,
    Criteria,
)
from cns_core.recipes import build_recipe, load_store, reset_store_cache
from cns_core.serialize import dump_json, dump_yaml

criteria = st.builds(
    Criteria,
    service=st.sampled_from((*SERVICES, ANY)),
    accelerator=st.sampled_from((*ACCELERATORS, ANY)),
    intent=st.sampled_from((*INTENTS, ANY)),
    os=st.sampled_from((*OPERATING_SYSTEMS, ANY)),
    nodes=st.integers(min_value=0, max_value=1024),
    platform=st.sampled_from((*PLATFORMS, ANY)),
)


@settings(max_examples=300, deadline=None)
@given(criteria)
def test_any_criteria_build_a_valid_recipe(crit):
    result = build_recipe(crit, load_store())
    names = [ref.name for ref in result.component_refs]
    assert sorted(result.deployment_order) == sorted(names)
    position = {name: i for i, name in enumerate(result.deployment_order)}
    registry = load_store().registry
    for ref in result.component_refs:
        if registry.get(ref.name).manifests_only:  # no chart: its manifests, nothing pinned
            assert ref.manifest_files and not (ref.source or ref.version), ref.name
        else:
            assert ref.source and ref.version, ref.name
        for dep in ref.dependency_refs:
            assert position[dep] < position[ref.name], (dep, ref.name)
    assert result.applied_overlays[0] == "base"
    assert len(set(result.applied_overlays)) == len(result.applied_overlays)
    assert [c.name for c in result.constraints] == sorted(c.name for c in result.constraints)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["service", "accelerator", "gpu", "intent", "os", "platform", "nodes"]),
        st.text(max_size=12),
    )
)
def test_arbitrary_strings_parse_or_fail_cleanly(raw):
    from cns_core.errors import InvalidRequestError

    try:
        crit = Criteria.parse(raw)
    except InvalidRequestError as exc:
        assert "valid" in exc.message or "nodes" in exc.message
    else:
        build_recipe(crit, load_store())


GB200 = Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu")


def test_same_criteria_same_bytes_20_times():
    outputs = set()
    for _ in range(20):
        reset_store_cache()
        doc = build_recipe(GB200, load_store()).to_dict()
        outputs.add((dump_json(doc), dump_yaml(doc)))
    assert len(outputs) == 1


@pytest.mark.parametrize(
    "criteria",
    [
        ["--service", "eks", "--accelerator", "h100", "--os", "ubuntu", "--intent", "inference"],
        # the platform leaves (many overlays of equal specificity, ordered by name)
        ["--service", "eks", "--gpu", "h100", "--os", "ubuntu", "--platform", "dynamo"],
        [
            "--service",
            "gke",
            "--gpu",
            "h100",
            "--os",
            "cos",
            "--intent",
            "training",
            "--platform",
            "kubeflow",
        ],
    ],
)
def test_same_bytes_across_processes_with_different_hash_seeds(criteria):
    args = ["recipe", *criteria, "-t", "json"]
    code = "from cns_core.cli import main; main()"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outs) == 1
