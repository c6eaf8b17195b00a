"""Node selectors and tolerations at each component's registry paths; no default toleration."""

from __future__ import annotations

import pytest

from cns_core.bundle import BundleOptions
from cns_core.bundle.plan import plan_bundle
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult
from tests.support.chart_bundles import cases as leaf_cases
from tests.support.chart_bundles import recipe_for as leaf_recipe


def _get(values, dotted):
    for key in dotted.split("."):
        values = values[key]
    return values


def _planned(store, recipe, **options):
    return {
        c.name: c.values
        for c in plan_bundle(recipe, store, BundleOptions.parse(**options)).components
    }


@pytest.mark.parametrize("case", leaf_cases())
def test_nothing_is_written_unless_asked(store, case):
    """No toleration at any placement path of any leaf recipe's components without the
    flags (defaults for GPU-node taints live in our templates, never in values)."""
    values = _planned(store, leaf_recipe(store, case))
    for name in values:
        paths = store.registry.get(name).node_scheduling
        for path in (*paths.system_toleration_paths, *paths.accelerated_toleration_paths):
            try:
                found = _get(values[name], path)
            except (KeyError, TypeError):
                continue
            assert found in ([], None), (name, path, found)  # an empty list tolerates nothing


def test_selectors_and_tolerations_land_at_every_registered_path(store, gb200):
    values = _planned(
        store,
        gb200,
        system_node_selector=["node-role.kubernetes.io/system=true"],
        system_node_toleration=["dedicated=system:NoSchedule"],
        accelerated_node_selector=["nvidia.com/gpu.present=true", "pool=gpu"],
        accelerated_node_toleration=["nvidia.com/gpu:NoSchedule", "spot"],
    )
    expected = {
        "system_node_selector_paths": {"node-role.kubernetes.io/system": "true"},
        "system_toleration_paths": [
            {"key": "dedicated", "operator": "Equal", "value": "system", "effect": "NoSchedule"}
        ],
        "accelerated_node_selector_paths": {"nvidia.com/gpu.present": "true", "pool": "gpu"},
        "accelerated_toleration_paths": [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "spot", "operator": "Exists"},
        ],
    }
    written = 0
    for name, component_values in values.items():
        scheduling = store.registry.get(name).node_scheduling
        for attr, value in expected.items():
            for path in getattr(scheduling, attr):
                assert _get(component_values, path) == value, (name, path)
                written += 1
    assert written >= 10


def test_component_without_paths_is_untouched(store, h100):
    """A recipe component the registry does not know gets no placement at all."""
    doc = h100.to_dict()
    doc["componentRefs"].append(
        {
            "name": "extra",
            "type": "Helm",
            "source": "https://example.com/charts",
            "version": "1.0.0",
        }
    )
    recipe = RecipeResult.from_dict(doc)
    plain = _planned(store, recipe)["extra"]
    placed = _planned(store, recipe, accelerated_node_toleration=["*"])["extra"]
    assert plain == placed == {}


def test_flags_a_chart_cannot_apply_are_warnings_naming_what_they_miss(store, gb200):
    plan = plan_bundle(
        gb200,
        store,
        BundleOptions.parse(
            system_node_selector=["role=system"], accelerated_node_selector=["pool=gpu"]
        ),
    )
    assert plan.warnings == [
        "gpu-operator: --system-node-selector does not reach the upgrade-crd hook Job "
        "(templates/upgrade_crd.yaml reads only operator.tolerations)",
        "gpu-operator: --accelerated-node-selector does not reach the GPU operands (driver, "
        "container toolkit, device plugin, GPU feature discovery, DCGM exporter, MIG manager, "
        "validator): the ClusterPolicy has no node selector for them; they run on the nodes "
        "labelled nvidia.com/gpu.present=true (set by NFD and the operator)",
        "skyhook-operator: --system-node-selector does not reach the webhook-cleanup pre-delete "
        "hook Job (templates/cleanup-webhook-job.yaml has no node selector)",
    ]
    tolerations_only = plan_bundle(
        gb200, store, BundleOptions.parse(accelerated_node_toleration=["nvidia.com/gpu"])
    )
    assert tolerations_only.warnings == []


def test_star_asks_for_tolerate_everything(store, gb200):
    values = _planned(store, gb200, accelerated_node_toleration=["*"])
    assert values["gpu-operator"]["daemonsets"]["tolerations"] == [{"operator": "Exists"}]


def test_placement_wins_over_set_on_the_same_path(store, gb200):
    values = _planned(
        store,
        gb200,
        sets=["gpu-operator:node-feature-discovery.worker.nodeSelector.a=b"],
        accelerated_node_selector=["pool=gpu"],
    )
    worker = values["gpu-operator"]["node-feature-discovery"]["worker"]
    assert worker["nodeSelector"] == {"pool": "gpu"}


def test_placement_through_a_non_map_is_an_error(store, gb200):
    with pytest.raises(InvalidRequestError, match="'daemonsets' is a string, not a map"):
        _planned(
            store,
            gb200,
            sets=["gpu-operator:daemonsets=oops"],
            accelerated_node_toleration=["nvidia.com/gpu"],
        )


@pytest.mark.parametrize(
    ("option", "item", "message"),
    [
        ("system_node_selector", "novalue", "invalid system-node-selector 'novalue'"),
        ("system_node_selector", "=v", "is not a valid label key"),
        ("accelerated_node_selector", "k=bad value", "is not a valid label value"),
        ("system_node_toleration", "k=v:Sometimes", "effect 'Sometimes' is not one of"),
        ("accelerated_node_toleration", ":NoSchedule", "invalid accelerated-node-toleration"),
        ("accelerated_node_toleration", "bad key:NoExecute", "is not a valid label key"),
    ],
)
def test_bad_selectors_and_tolerations_name_option_and_item(option, item, message):
    with pytest.raises(InvalidRequestError) as err:
        BundleOptions.parse(**{option: [item]})
    assert message in err.value.message
