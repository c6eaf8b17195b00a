"""Dependency validation and the deterministic deployment order."""

from __future__ import annotations

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.recipes.graph import deployment_order
from cns_core.recipes.model import ComponentRef


def refs(**deps: list[str]) -> list[ComponentRef]:
    def dash(name: str) -> str:
        return name.replace("_", "-")

    return [
        ComponentRef(name=dash(n), dependency_refs=tuple(map(dash, d))) for n, d in deps.items()
    ]


def test_no_dependencies_is_alphabetical():
    assert deployment_order(refs(zeta=[], alpha=[], mu=[])) == ("alpha", "mu", "zeta")


def test_linear_chain():
    assert deployment_order(refs(c=["b"], b=["a"], a=[])) == ("a", "b", "c")


def test_diamond_is_lexicographically_smallest_topological_order():
    order = deployment_order(
        refs(
            nvsentinel=["cert_manager"],
            network_operator=["cert_manager"],
            gpu_operator=["cert_manager"],
            cert_manager=[],
        )
    )
    assert order == ("cert-manager", "gpu-operator", "network-operator", "nvsentinel")


def test_ready_component_goes_before_later_dependents():
    # b depends on z: a and z are ready first, then b once z is placed
    assert deployment_order(refs(b=["z"], a=[], z=[])) == ("a", "z", "b")


def test_unknown_dependency_names_both_components():
    with pytest.raises(InvalidRequestError) as info:
        deployment_order(refs(a=["ghost"]), where="test recipe")
    assert info.value.message == (
        "test recipe: component 'a' depends on unknown component 'ghost'; components in this recipe: a"
    )


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": ["a"]}, "a -> a"),
        ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, "a -> b -> c -> a"),
    ],
)
def test_cycles_are_reported_with_their_path(graph, cycle):
    with pytest.raises(
        InvalidRequestError, match=f"circular dependency between components: {cycle}"
    ):
        deployment_order(refs(**graph))
