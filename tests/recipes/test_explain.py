"""``--explain``: what each recipe layer changed, without changing the recipe."""

from __future__ import annotations

from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe
from cns_core.recipes.explain import Change

from .synthetic import overlay

GB200 = Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu")


def test_gb200_trace_shows_the_gpu_operator_downgrade_and_each_layer(store):
    changes: list[Change] = []
    result = build_recipe(GB200, store, explain=changes)
    assert (
        Change("gb200-eks-training", "gpu-operator version v25.10.1 → v25.3.3 (lowered)") in changes
    )
    assert Change("gb200-eks-training", "gpu-operator sets driver.version=580.82.07") in changes
    assert Change("gb200-eks-training", "gpu-operator sets cdi.enabled=true") in changes
    assert Change("gb200-eks-training", "adds nvidia-dra-driver-gpu 25.8.1") in changes
    assert Change("eks", "K8s.server.version: >= 1.25 → >= 1.28") in changes
    assert Change("base", "adds cert-manager v1.17.2") in changes
    assert changes[0].layer == "base"
    assert list(dict.fromkeys(c.layer for c in changes)) == list(result.applied_overlays)


def test_explaining_does_not_change_the_recipe(store):
    assert build_recipe(GB200, store, explain=[]) == build_recipe(GB200, store)


def test_raised_versions_and_unparseable_ones(synthetic):
    store = synthetic(
        {
            "overlays/up.yaml": overlay(
                "up", "criteria: {service: eks}\ncomponentRefs: [{name: beta, version: 2.1.0}]"
            ),
            "overlays/odd.yaml": overlay(
                "odd",
                "criteria: {service: eks, os: cos}\ncomponentRefs: [{name: beta, version: latest}]",
            ),
        }
    )
    changes: list[Change] = []
    build_recipe(Criteria(service="eks", os="cos"), store, explain=changes)
    assert Change("up", "beta version 2.0.0 → 2.1.0 (raised)") in changes
    assert Change("odd", "beta version 2.1.0 → latest") in changes


def test_cli_explain_goes_to_stderr_and_leaves_stdout_unchanged(runner):
    args = [
        "recipe",
        "--service",
        "eks",
        "--accelerator",
        "gb200",
        "--intent",
        "training",
        "-t",
        "json",
    ]
    plain = runner.invoke(args)
    explained = runner.invoke([*args, "--explain"])
    assert explained.exit_code == 0
    assert explained.stdout == plain.stdout
    lines = explained.stderr.splitlines()
    assert (
        lines[0]
        == "How the recipe for criteria(service=eks, accelerator=gb200, intent=training) was built:"
    )
    assert any("gpu-operator version v25.10.1 → v25.3.3 (lowered)" in line for line in lines)
    assert lines[-1].startswith(
        "Deployment order: aws-ebs-csi-driver, prometheus, cert-manager, gpu-operator, aws-efa, "
        "nvidia-dra-driver-gpu"
    )
