"""Finding one's way: ``cns list``, "did you mean", and ``cns recipe --snapshot`` guidance."""

from __future__ import annotations

import json

import pytest

from cns_core.criteria import ACCELERATORS, ENUM_FIELDS, SERVICES, AllowLists, Criteria
from cns_core.recipes.catalog import build_catalog, reachable_overlays
from cns_core.serialize import load_yaml
from tests.support.paths import EXAMPLE_SNAPSHOTS, EXAMPLES

H100 = str(EXAMPLE_SNAPSHOTS / "h100-eks-ubuntu.yaml")
GB200 = str(EXAMPLE_SNAPSHOTS / "gb200-eks-ubuntu.yaml")


def guidance(result) -> list[str]:
    """The guidance lines on stderr (log lines, if an earlier test left logging on, aside)."""
    return [line for line in result.stderr.splitlines() if not line.startswith("[cns]")]


# --- cns list ------------------------------------------------------------------------------


def test_list_json_has_every_criterion_and_overlay(runner, store):
    result = runner.invoke(["list", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by_name = {c["name"]: c for c in doc["criteria"]}
    assert list(by_name) == [*ENUM_FIELDS, "nodes"]
    assert by_name["service"]["values"] == [*SERVICES, "any"]
    assert by_name["accelerator"]["values"] == [*ACCELERATORS, "any"]
    assert by_name["accelerator"]["aliases"] == {"l40s": "l40"}
    assert by_name["accelerator"]["fieldAliases"] == ["gpu"]
    assert by_name["os"]["aliases"]["al2023"] == "amazonlinux"
    assert by_name["nodes"] == {"name": "nodes", "type": "integer", "minimum": 0, "default": 0}
    assert [o["name"] for o in doc["overlays"]] == sorted(store.overlays)


def test_list_says_what_each_overlay_matches_and_adds(runner):
    overlays = {
        o["name"]: o for o in json.loads(runner.invoke(["list", "-t", "json"]).stdout)["overlays"]
    }
    gb200 = overlays["gb200-eks-training"]
    assert gb200["matches"] == {"service": "eks", "accelerator": "gb200", "intent": "training"}
    assert gb200["base"] == "eks-training"
    assert gb200["file"] == "overlays/gb200-eks-training.yaml"
    # relative to its base: the version it lowers, the component it adds, the constraint
    assert "gpu-operator version v25.10.1 → v25.3.3 (lowered)" in gb200["adds"]
    assert "adds nvidia-dra-driver-gpu 25.8.1" in gb200["adds"]
    assert "K8s.server.version: >= 1.30 → >= 1.32.4" in gb200["adds"]
    assert overlays["eks"]["matches"] == {"service": "eks"} and overlays["eks"]["base"] == "base"


def test_list_table_is_criteria_then_overlays_then_details(runner):
    result = runner.invoke(["list"])
    assert result.exit_code == 0, result.output
    blocks = result.stdout.split("\n\n")
    assert blocks[0].splitlines()[0].split() == ["CRITERION", "VALUES", "ALIASES"]
    accelerator = next(line for line in blocks[0].splitlines() if line.startswith("accelerator"))
    assert [c.strip() for c in accelerator.split("  ") if c.strip()] == [
        "accelerator (gpu)",
        "a100, gb200, h100, l40, any",
        "l40s=l40",
    ]
    assert blocks[1].splitlines()[0].split() == ["OVERLAY", "MATCHES", "BASE", "CHANGES"]
    row = next(line for line in blocks[1].splitlines() if line.startswith("gb200-eks-training "))
    assert row.split() == [
        "gb200-eks-training",
        *["service=eks", "accelerator=gb200", "intent=training"],
        "eks-training",
        "13",
    ]
    detail = next(b for b in blocks if b.startswith("gb200-eks-training ("))
    assert "  adds nvidia-dra-driver-gpu 25.8.1" in detail.splitlines()


def test_list_yaml_and_output_file(runner, tmp_path):
    out = tmp_path / "catalog.yaml"
    assert runner.invoke(["list", "-o", str(out)]).exit_code == 0
    assert load_yaml(out.read_text())["criteria"][0]["name"] == "service"


def test_catalog_honours_allowlists(store):
    allow = AllowLists({"service": ("eks",), "accelerator": ("h100",)})
    doc = build_catalog(store, allow).to_dict()
    assert doc["criteria"][0]["values"] == ["eks", "any"]
    assert doc["criteria"][0]["aliases"] == {"self": "any", "self-managed": "any", "vanilla": "any"}
    assert doc["criteria"][1]["values"] == ["h100", "any"] and doc["criteria"][1]["aliases"] == {}
    names = {o["name"] for o in doc["overlays"]}
    assert "eks-training" in names and "h100-inference" in names
    assert not names & {"gke", "aks", "gb200-eks-training"}  # unreachable on this server


# --- did you mean ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["recpie"], 2, "No such command 'recpie'. Did you mean 'recipe'?"),
        (["vaildate"], 2, "Did you mean 'validate'?"),
        (["frobnicate"], 2, "No such command 'frobnicate'.\n"),
        (
            ["recipe", "--service", "ekss"],
            3,
            "; did you mean 'eks'?",
        ),
        (["recipe", "--gpu", "H10"], 3, "did you mean 'h100'?"),
        (["recipe", "--service", "eks", "-t", "jsn"], 3, "did you mean 'json'?"),
        (["recipe", "--servce", "eks"], 2, "Did you mean '--service'?"),
        (["query", "--service", "eks", "--selector", "componets"], 4, "did you mean 'components'?"),
        (["bundle", "-r", "-", "-d", "argo"], 3, "did you mean 'argocd'?"),
    ],
)
def test_mistyped_words_get_the_closest_valid_spelling(runner, args, code, message):
    recipe = (EXAMPLES / "recipes" / "gb200-eks-ubuntu-training.yaml").read_text()
    result = runner.invoke(args, input=recipe)
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_unknown_bundler_suggests_a_component(runner, tmp_path):
    recipe = str(EXAMPLES / "recipes" / "gb200-eks-ubuntu-training.yaml")
    result = runner.invoke(
        ["bundle", "-r", recipe, "--bundlers", "gpu-operater", "-o", str(tmp_path / "b")]
    )
    assert result.exit_code == 3
    assert "did you mean 'gpu-operator'?" in result.stderr


# --- cns recipe --snapshot guidance ------------------------------------------------------------


def test_snapshot_guidance_names_what_was_detected_and_the_flags_that_would_add_overlays(runner):
    result = runner.invoke(["recipe", "-s", GB200, "-t", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "recipeResult"  # stdout is the document alone
    lines = guidance(result)
    assert lines[0] == (
        f"Detected in {GB200}: service=eks accelerator=gb200 os=ubuntu "
        "(not detected: intent, platform, nodes)"
    )
    # overlays the same flag brings in share a line, one flag before two
    assert lines[1:5] == [
        "eks-inference, gb200-eks-inference, gb200-eks-ubuntu-inference, monitoring-hpa "
        "would apply with --intent inference",
        "eks-training, gb200-eks-training, gb200-eks-ubuntu-training would apply with "
        "--intent training",
        "dynamo would apply with --platform dynamo",
        "kubeflow would apply with --platform kubeflow",
    ]
    assert (
        "gb200-eks-ubuntu-training-kubeflow would apply with --intent training --platform kubeflow"
        in lines
    )
    names = {n for line in lines[1:] for n in line.split(" would apply")[0].split(", ")}
    assert not any(n.startswith(("gke", "aks", "h100", "kind")) for n in names)  # out of reach


def test_snapshot_guidance_warns_when_the_flag_would_bring_an_overlay_the_node_fails(runner):
    lines = guidance(runner.invoke(["recipe", "-s", H100, "-o", "/dev/null"]))
    assert "eks-inference, monitoring-hpa would apply with --intent inference" in lines
    assert (
        "h100-inference would apply with --intent inference, but this node fails "
        "K8s.server.version: expected >= 1.31, got v1.30.14-eks-3025e55"
    ) in lines
    assert (
        "h100-eks-inference, h100-eks-ubuntu-inference would apply with --intent inference, "
        "but this node fails K8s.server.version: expected >= 1.32.4, got v1.30.14-eks-3025e55"
    ) in lines


def test_snapshot_guidance_with_the_flag_reports_the_exclusion(runner):
    result = runner.invoke(["recipe", "-s", H100, "--intent", "inference", "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    lines = guidance(result)
    assert lines[1] == "Recipe for: service=eks accelerator=h100 intent=inference os=ubuntu"
    assert (
        "h100-inference excluded: K8s.server.version: expected >= 1.31, got v1.30.14-eks-3025e55"
        in lines
    )
    assert not any("would apply with --intent" in line for line in lines)  # intent is pinned


def test_no_guidance_without_a_snapshot(runner):
    assert guidance(runner.invoke(["recipe", "--service", "eks", "-o", "/dev/null"])) == []


def test_reachable_overlays_need_only_open_fields(store):
    query = Criteria(service="eks", accelerator="gb200")
    found = {r.overlay: r.hint for r in reachable_overlays(store, query)}
    assert found["gb200-eks-training"] == "--intent training"
    assert found["gb200-eks-ubuntu-training"] == "--intent training --os ubuntu"
    assert "h100-inference" not in found  # pins h100 where the query pins gb200
    assert "eks" not in found  # already applies
    pinned = Criteria(service="gke", accelerator="h100", os="cos", intent="training")
    assert {r.overlay: r.hint for r in reachable_overlays(store, pinned)} == {
        name: f"--platform {store.overlays[name].criteria.platform}"  # type: ignore[union-attr]
        for name in store.overlays
        if (o := store.overlays[name].criteria) is not None
        and o.platform != "any"
        and o.replace(platform="any").matches(pinned)
    }
