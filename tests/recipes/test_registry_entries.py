"""Registry entries: components of manifests only, prerequisites, and their errors."""

from __future__ import annotations

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.recipes.registry import ComponentRegistry


def _registry(entry: dict) -> ComponentRegistry:
    return ComponentRegistry.from_document(
        {"kind": "ComponentRegistry", "components": [{"name": "c", **entry}]}, source="r.yaml"
    )


def test_manifests_only_component_has_no_type_or_chart():
    (entry,) = _registry({"manifestsOnly": True, "namespace": "ns"}).components
    assert entry.manifests_only and entry.type == "" and entry.chart_name == ""


def test_prerequisite_is_one_line():
    (entry,) = _registry({"prerequisite": "install\n  the CRDs\nfirst"}).components
    assert entry.prerequisite == "install the CRDs first"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"manifestsOnly": "yes"}, "manifestsOnly must be true or false"),
        ({"manifestsOnly": True, "helm": {"defaultChart": "x"}}, "no helm or kustomize"),
        ({"prerequisite": ["a"]}, "prerequisite must be a string"),
    ],
)
def test_bad_entries_are_errors_naming_the_component(entry, words):
    with pytest.raises(InvalidRequestError, match=words) as info:
        _registry(entry)
    assert "r.yaml: components[0] (c)" in info.value.message


def test_the_embedded_components_of_manifests_only(store):
    only = {c.name for c in store.registry.components if c.manifests_only}
    assert only == {"gke-nccl-tcpxo", "skyhook-customizations"}
