"""The builder on small synthetic data sets: matching, inheritance, merge, defaults, exclusion."""

from __future__ import annotations

import pytest

from cns_core.criteria import Criteria
from cns_core.errors import InvalidRequestError
from cns_core.nested_maps import deep_copy
from cns_core.recipes import build_recipe
from cns_core.recipes.model import Constraint

from .synthetic import overlay


def test_base_only_when_nothing_matches(synthetic):
    store = synthetic({"overlays/x.yaml": overlay("x", "criteria: {service: eks}")})
    result = build_recipe(Criteria(service="gke"), store, version="9.9.9")
    assert result.applied_overlays == ("base",)
    assert result.deployment_order == ("alpha", "beta")
    doc = result.to_dict()
    assert list(doc) == [
        "kind",
        "apiVersion",
        "metadata",
        "criteria",
        "constraints",
        "componentRefs",
        "deploymentOrder",
    ]
    assert doc["metadata"] == {"version": "9.9.9", "appliedOverlays": ["base"]}


def test_overlay_without_criteria_applies_only_as_a_parent(synthetic):
    store = synthetic(
        {
            "overlays/parent.yaml": overlay(
                "parent", "constraints: [{name: K8s.server.version, value: '>= 1.30'}]"
            ),
            "overlays/child.yaml": overlay("child", "base: parent\ncriteria: {service: eks}"),
        }
    )
    assert build_recipe(Criteria(), store).applied_overlays == ("base",)
    result = build_recipe(Criteria(service="eks"), store)
    assert result.applied_overlays == ("base", "parent", "child")
    assert result.constraints == (Constraint("K8s.server.version", ">= 1.30"),)


def test_ties_in_specificity_break_by_name_and_omitted_fields_are_wildcards(synthetic):
    store = synthetic(
        {
            "overlays/zz.yaml": overlay(
                "zz",
                "criteria: {service: eks}\nconstraints: [{name: K8s.server.version, value: '>= 1.28'}]",
            ),
            "overlays/aa.yaml": overlay(
                "aa",
                "criteria: {accelerator: h100}\nconstraints: [{name: K8s.server.version, value: '>= 1.31'}]",
            ),
            "overlays/wide.yaml": overlay("wide", "criteria: {intent: any}"),
        }
    )
    result = build_recipe(Criteria(service="eks", accelerator="h100"), store)
    # wide pins nothing (0), aa and zz pin one field each: name order decides, so zz wins last
    assert result.applied_overlays == ("base", "wide", "aa", "zz")
    assert result.constraints[0].value == ">= 1.28"


def test_more_specific_overlay_applies_last(synthetic):
    store = synthetic(
        {
            "overlays/a.yaml": overlay(
                "a",
                "criteria: {service: eks, accelerator: h100}\ncomponentRefs: [{name: alpha, version: 3.0.0}]",
            ),
            "overlays/b.yaml": overlay(
                "b", "criteria: {service: eks}\ncomponentRefs: [{name: alpha, version: 2.0.0}]"
            ),
        }
    )
    result = build_recipe(Criteria(service="eks", accelerator="h100"), store)
    assert result.applied_overlays == ("base", "b", "a")
    assert result.component("alpha").version == "3.0.0"


def test_component_refs_merge_field_by_field_and_overrides_deeply(synthetic):
    store = synthetic(
        {
            "components/alpha/values-x.yaml": "b: 2\n",
            "components/alpha/manifests/one.yaml": "kind: ConfigMap\n",
            "components/alpha/manifests/two.yaml": "kind: ConfigMap\n",
            "overlays/x.yaml": overlay(
                "x",
                """
                criteria: {service: eks}
                componentRefs:
                  - name: alpha
                    valuesFile: components/alpha/values-x.yaml
                    overrides: {driver: {version: "2"}, cdi: {enabled: true}}
                    manifestFiles: [components/alpha/manifests/one.yaml]
                """,
            ),
            "overlays/y.yaml": overlay(
                "y",
                """
                base: x
                criteria: {service: eks, intent: training}
                componentRefs:
                  - name: alpha
                    manifestFiles: [components/alpha/manifests/two.yaml, components/alpha/manifests/one.yaml]
                """,
            ),
        }
    )
    alpha = build_recipe(Criteria(service="eks", intent="training"), store).component("alpha")
    assert alpha.values_file == "components/alpha/values-x.yaml"
    assert alpha.overrides == {
        "driver": {"version": "2", "enabled": True},
        "cdi": {"enabled": True},
    }
    assert alpha.manifest_files == (
        "components/alpha/manifests/one.yaml",
        "components/alpha/manifests/two.yaml",
    )


def test_building_never_mutates_the_store(synthetic):
    store = synthetic(
        {
            "overlays/x.yaml": overlay(
                "x",
                "criteria: {service: eks}\ncomponentRefs: [{name: alpha, overrides: {driver: {version: '2'}}}, {name: gamma, overrides: {k: {v: 1}}}]",
            ),
        }
    )
    before = deep_copy([ref.overrides for ref in store.base.component_refs])
    first = build_recipe(Criteria(service="eks"), store)
    first.component("gamma").overrides["k"]["v"] = 99  # a caller scribbling on its result
    first.component("alpha").overrides["driver"]["version"] = "x"
    again = build_recipe(Criteria(service="eks"), store)
    assert [ref.overrides for ref in store.base.component_refs] == before
    assert again.component("gamma").overrides == {"k": {"v": 1}}
    assert again.component("alpha").overrides["driver"]["version"] == "2"


def test_registry_defaults_fill_only_empty_fields(synthetic):
    store = synthetic(
        {
            "overlays/x.yaml": overlay(
                "x",
                "criteria: {service: eks}\ncomponentRefs: [{name: kappa}, {name: stray, source: 'https://x', version: '1'}]",
            )
        }
    )
    result = build_recipe(Criteria(service="eks"), store)
    alpha, beta, kappa, stray = (result.component(n) for n in ("alpha", "beta", "kappa", "stray"))
    assert (alpha.type, alpha.source, alpha.version) == (
        "Helm",
        "https://charts.example.com",
        "1.0.0",
    )
    assert beta.version == "2.0.0"  # set by the recipe, kept
    assert (kappa.type, kappa.source, kappa.path, kappa.tag) == (
        "Kustomize",
        "https://git.example.com/kappa",
        "deploy",
        "v1",
    )
    assert (stray.type, stray.source) == ("", "https://x")  # not in the registry: untouched


def test_merged_dependency_errors_are_invalid_request(synthetic):
    store = synthetic(
        {
            "overlays/x.yaml": overlay(
                "x",
                "criteria: {service: eks}\ncomponentRefs: [{name: alpha, dependencyRefs: [beta]}]",
            )
        }
    )
    with pytest.raises(
        InvalidRequestError,
        match="merged recipe: circular dependency between components: alpha -> beta -> alpha",
    ):
        build_recipe(Criteria(service="eks"), store)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {
                "overlays/a.yaml": overlay("a", "base: b"),
                "overlays/b.yaml": overlay("b", "base: a"),
            },
            "circular inheritance in recipe data: a -> b -> a",
        ),
        (
            {"overlays/a.yaml": overlay("a", "base: a")},
            "circular inheritance in recipe data: a -> a",
        ),
        (
            {"overlays/a.yaml": overlay("a", "base: ghost")},
            "overlays/a.yaml: recipe 'a' names base 'ghost', which does not exist",
        ),
        (
            {"overlays/a.yaml": overlay("a", "criteria: {service: windows}")},
            "overlays/a.yaml: criteria: invalid service 'windows'",
        ),
        (
            {
                "overlays/a.yaml": overlay(
                    "a", "componentRefs: [{name: alpha, valuesFile: components/alpha/nope.yaml}]"
                )
            },
            "references 'components/alpha/nope.yaml', which is not in the recipe data",
        ),
        (
            {"overlays/a.yaml": overlay("a", "componentRefs: [{name: alpha, type: Docker}]")},
            "invalid type 'Docker'",
        ),
        (
            {"overlays/a.yaml": overlay("a", "componentRefs: [{nam: alpha}]")},
            r"unknown componentRef field\(s\) nam",
        ),
        (
            {"overlays/a.yaml": overlay("a", "constraints: [{name: K8s.server.version}]")},
            "value must be a string",
        ),
        (
            {"overlays/a.yaml": overlay("base2"), "overlays/b.yaml": overlay("base2")},
            "recipe name 'base2' is defined twice",
        ),
        (
            {"overlays/a.yaml": "- not a mapping\n"},
            "overlays/a.yaml: expected a recipeMetadata mapping",
        ),
        (
            {"overlays/a.yaml": "kind: recipeMetadata\nspec: {}\n"},
            "overlays/a.yaml: metadata.name is required",
        ),
        ({"overlays/a.yaml": "a: [\n"}, "invalid YAML in overlays/a.yaml"),
    ],
)
def test_bad_data_fails_at_load_with_a_message_naming_the_file(synthetic, files, message):
    with pytest.raises(InvalidRequestError, match=message):
        synthetic(files)


def test_inheritance_depth_is_limited(synthetic):
    files = {"overlays/o0.yaml": overlay("o0")}
    for i in range(1, 20):
        files[f"overlays/o{i}.yaml"] = overlay(f"o{i}", f"base: o{i - 1}")
    with pytest.raises(InvalidRequestError, match="inheritance chain deeper than 16"):
        synthetic(files)


def test_missing_base_is_an_error(synthetic):
    with pytest.raises(InvalidRequestError, match="no base recipe"):
        synthetic({}, base=None)


def test_base_dependency_errors_fail_at_load(synthetic):
    bad_base = overlay("base", "componentRefs: [{name: alpha, dependencyRefs: [ghost]}]")
    with pytest.raises(
        InvalidRequestError,
        match="base recipe: component 'alpha' depends on unknown component 'ghost'",
    ):
        synthetic({}, base=bad_base)


def evaluator_failing(names: set[str]):
    def evaluate(constraint: Constraint) -> tuple[bool, str | None, str]:
        if constraint.value in names:
            return False, "v1.20", f"expected {constraint.value}, got v1.20"
        return True, "v1.33", "ok"

    return evaluate


def test_evaluator_excludes_failing_overlays_and_their_descendants(synthetic):
    store = synthetic(
        {
            "overlays/p.yaml": overlay(
                "p",
                "criteria: {service: eks}\nconstraints: [{name: K8s.server.version, value: '>= 1.30'}]",
            ),
            "overlays/c.yaml": overlay("c", "base: p\ncriteria: {service: eks, os: ubuntu}"),
            "overlays/other.yaml": overlay(
                "other",
                "criteria: {os: ubuntu}\nconstraints: [{name: OS.release.ID, value: ubuntu}]",
            ),
        }
    )
    result = build_recipe(
        Criteria(service="eks", os="ubuntu"), store, evaluator=evaluator_failing({">= 1.30"})
    )
    assert result.applied_overlays == ("base", "other")
    assert result.excluded_overlays == ("p", "c")
    warnings = [w.to_dict() for w in result.constraint_warnings]
    assert warnings == [
        {
            "overlay": "p",
            "constraint": "K8s.server.version",
            "expected": ">= 1.30",
            "actual": "v1.20",
            "reason": "expected >= 1.30, got v1.20",
        },
        {
            "overlay": "c",
            "constraint": "K8s.server.version",
            "expected": ">= 1.30",
            "actual": "v1.20",
            "reason": "inherits from excluded recipe 'p'",
        },
    ]
    assert result.to_dict()["metadata"]["excludedOverlays"] == ["p", "c"]


def test_evaluator_that_passes_everything_changes_nothing(synthetic):
    store = synthetic(
        {
            "overlays/p.yaml": overlay(
                "p",
                "criteria: {service: eks}\nconstraints: [{name: K8s.server.version, value: '>= 1.30'}]",
            )
        }
    )
    plain = build_recipe(Criteria(service="eks"), store)
    checked = build_recipe(Criteria(service="eks"), store, evaluator=evaluator_failing(set()))
    assert plain == checked
