"""Every object the charts of a bundle render from our own templates is valid, custom
resources against the CRD of the chart they belong to (GitHub issue 10, items 4 and 6):
the Skyhook against skyhook-operator-v0.11.1/crds/, the NicClusterPolicy against
network-operator-25.4.0/crds/, any other custom resource against its shared CRD;
built-in kinds strictly with kubernetes-validate. Real ``helm template``; the umbrella
chart's dependencies are stubs (their objects are not ours and are left out)."""

from __future__ import annotations

import pytest

from tests.support.chart_bundles import (
    check_rendered_objects,
    load_bundle,
    recipe_for,
    variant_id,
    variants,
)


@pytest.mark.parametrize(
    ("case", "deployer", "placed"),
    variants(),
    ids=[variant_id(*v) for v in variants()],
)
def test_rendered_objects_are_valid(charts, helm, store, tmp_path, case, deployer, placed):
    files = load_bundle(store, case, deployer, placed)
    check_rendered_objects(helm, store, recipe_for(store, case), files, tmp_path / "bundle")
