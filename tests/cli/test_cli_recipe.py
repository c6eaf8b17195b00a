"""``cns recipe`` and ``cns version`` through Click's runner (in process) and as a real process."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys

import pytest

from cns_core import __version__
from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe, load_store
from cns_core.serialize import dump_json, load_yaml
from tests.support.cli import run_cns

GB200 = ["--service", "eks", "--accelerator", "gb200", "--intent", "training", "--os", "ubuntu"]


def test_yaml_recipe_for_gb200_eks_ubuntu_training(runner):
    result = runner.invoke(["recipe", *GB200, "--format", "yaml"])
    assert result.exit_code == 0, result.output
    doc = load_yaml(result.stdout)
    assert doc["kind"] == "recipeResult"
    order = doc["deploymentOrder"]
    for name in (
        "cert-manager",
        "gpu-operator",
        "nvidia-dra-driver-gpu",
        "skyhook-operator",
        "nvsentinel",
    ):
        assert name in order
    assert (
        order.index("cert-manager")
        < order.index("gpu-operator")
        < order.index("nvidia-dra-driver-gpu")
    )


def test_json_output_is_the_engine_document_byte_for_byte(runner):
    result = runner.invoke(["recipe", *GB200, "-t", "json"])
    criteria = Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu")
    expected = build_recipe(criteria, load_store())
    assert result.stdout == dump_json(expected.to_dict())


def test_gpu_alias_and_case_insensitive_values(runner):
    a = runner.invoke(["recipe", "--gpu", "H100", "--service", "EKS", "-t", "json"]).stdout
    b = runner.invoke(["recipe", "--accelerator", "h100", "--service", "eks", "-t", "json"]).stdout
    assert a == b and json.loads(a)["criteria"]["accelerator"] == "h100"


def test_table_format_is_a_components_table_then_the_constraints(runner):
    result = runner.invoke(["recipe", *GB200, "-t", "table"])
    assert result.exit_code == 0, result.output
    facts, components, constraints = result.stdout.rstrip("\n").split("\n\n")
    assert facts.splitlines()[0] == (
        "criteria: service=eks accelerator=gb200 intent=training os=ubuntu"
    )
    assert "overlays: base, eks, eks-training, gb200-eks-training" in facts
    header, *rows = components.splitlines()
    assert header.split() == [
        "COMPONENT",
        "VERSION",
        "CHART",
        "SOURCE",
        "DEPENDS",
        "ON",
        "NAMESPACE",
    ]
    recipe = build_recipe(
        Criteria(service="eks", accelerator="gb200", intent="training", os="ubuntu"), load_store()
    )
    assert [row.split()[0] for row in rows] == list(recipe.deployment_order)
    prometheus = next(row.split() for row in rows if row.startswith("prometheus "))
    # the chart and namespace are the registry's (what the bundle deploys), not the name
    assert prometheus[2] == "kube-prometheus-stack" and prometheus[-1] == "monitoring"
    gpu_operator = next(row.split() for row in rows if row.startswith("gpu-operator "))
    assert gpu_operator[1] == recipe.component("gpu-operator").version
    assert gpu_operator[4] == "cert-manager"
    assert constraints.splitlines()[0].split() == ["CONSTRAINT", "EXPECTED"]
    assert [line.split()[0] for line in constraints.splitlines()[1:]] == [
        c.name for c in recipe.constraints
    ]


def test_output_file(runner, tmp_path):
    target = tmp_path / "recipe.json"
    result = runner.invoke(["recipe", "--service", "eks", "-t", "json", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["criteria"]["service"] == "eks"


def test_criteria_file_and_flags_override_it(runner, tmp_path):
    crit = tmp_path / "criteria.yaml"
    crit.write_text(
        "kind: recipeCriteria\napiVersion: cns.nvidia.com/v1alpha1\nmetadata: {name: t}\n"
        "spec: {service: eks, accelerator: gb200, intent: training, platform: kubeflow}\n"
    )
    from_file = json.loads(runner.invoke(["recipe", "-c", str(crit), "-t", "json"]).stdout)
    assert from_file["criteria"] == {
        "service": "eks",
        "accelerator": "gb200",
        "intent": "training",
        "os": "any",
        "platform": "kubeflow",
    }
    overridden = json.loads(
        runner.invoke(
            [
                "recipe",
                "-c",
                str(crit),
                "--intent",
                "inference",
                "--platform",
                "Dynamo",
                "-t",
                "json",
            ]
        ).stdout
    )
    assert overridden["criteria"]["intent"] == "inference"
    assert overridden["criteria"]["platform"] == "dynamo"


def test_platform_flag_is_validated_and_works_alone(runner):
    result = runner.invoke(["recipe", "--platform", "slurm"])
    assert result.exit_code == 3
    assert "invalid platform 'slurm': valid values are any, dynamo, kubeflow" in result.stderr
    doc = json.loads(runner.invoke(["recipe", "--platform", "kubeflow", "-t", "json"]).stdout)
    assert doc["criteria"]["platform"] == "kubeflow"


def test_criteria_from_stdin_json(runner):
    body = json.dumps({"kind": "recipeCriteria", "spec": {"service": "gke", "os": "cos"}})
    result = runner.invoke(["recipe", "-c", "-", "-t", "json"], input=body)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["criteria"]["os"] == "cos"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--service", "windows"],
            3,
            "invalid service 'windows': valid values are aks, any, eks, gke, kind, oke",
        ),
        (
            ["--accelerator", "b200"],
            3,
            "invalid accelerator 'b200': valid values are a100, any, gb200, h100, l40",
        ),
        (["--intent", "x"], 3, "invalid intent 'x': valid values are any, inference, training"),
        (
            ["--os", "win"],
            3,
            "invalid os 'win': valid values are amazonlinux, any, cos, rhel, ubuntu",
        ),
        (["--nodes", "-1"], 3, "invalid nodes '-1': must be >= 0"),
        (["--nodes", "3abc"], 3, "invalid nodes '3abc': expected an integer >= 0"),
        (
            ["--service", "eks", "-t", "xml"],
            3,
            "invalid format 'xml': valid formats are json, yaml, table",
        ),
        ([], 2, "no criteria given"),
        (["--bogus"], 2, "No such option '--bogus'"),
        (["-c", "/nonexistent/c.yaml"], 4, "/nonexistent/c.yaml: no such file"),
        (
            ["--service", "eks", "--data", "/nonexistent/data"],
            4,
            "external data directory not found",
        ),
    ],
)
def test_bad_input_gives_one_line_and_documented_exit_code(runner, args, code, message):
    result = runner.invoke(["recipe", *args])
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.yaml", "", "the document is empty"),
        ("c.yaml", "kind: Recipe\n", 'invalid kind "Recipe", expected "recipeCriteria"'),
        ("c.yaml", "spec: {service: windows}\n", "invalid service 'windows'"),
        ("c.json", "{not json", "invalid JSON in"),
        ("c.txt", "FIELD  VALUE\n", "the table format cannot be read back; use json or yaml"),
    ],
)
def test_bad_criteria_files(runner, tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(["recipe", "-c", str(path)])
    assert result.exit_code == 3
    assert message in result.stderr


def test_version_command_and_flag(runner):
    lines = runner.invoke(["version"]).stdout.splitlines()
    assert lines[0] == f"cns version {__version__}"
    assert [line.split(":")[0] for line in lines[1:]] == ["api", "python", "platform", "libraries"]
    assert f"python: {platform.python_version()} ({platform.python_implementation()}, " in lines[2]
    assert f"click {importlib.metadata.version('click')}" in lines[4]
    assert runner.invoke(["--version"]).stdout == f"cns version {__version__}\n"


def test_version_as_json_has_the_build_information(runner):
    info = json.loads(runner.invoke(["version", "--format", "json"]).stdout)
    assert info["version"] == __version__
    assert info["python"]["version"] == platform.python_version()
    assert info["python"]["executable"] == sys.executable
    assert info["platform"]["machine"] == platform.machine()
    assert info["libraries"]["ruamel.yaml"] == importlib.metadata.version("ruamel.yaml")
    assert load_yaml(runner.invoke(["version", "-t", "yaml"]).stdout) == info
    assert runner.invoke(["version", "-t", "xml"]).exit_code == 3


def test_installed_console_script_runs_with_exit_codes(tmp_path):
    """The real ``cns`` executable: stderr one line, exit code 3, no traceback."""
    proc = run_cns("recipe", "--service", "windows", cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        "Error: invalid service 'windows': valid values are aks, any, eks, gke, kind, oke"
    ]
    ok = run_cns("recipe", "--service", "eks", "-t", "json", cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)["kind"] == "recipeResult"


def test_unexpected_errors_are_one_line_exit_1_and_debug_shows_the_traceback(runner, monkeypatch):
    import cns_core.cli.recipe as recipe_command

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(recipe_command, "build_recipe", broken)
    result = runner.invoke(["recipe", "--service", "eks"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: internal error: RuntimeError: boom (rerun with --debug for details)\n"
    )
    debug = runner.invoke(["--debug", "recipe", "--service", "eks"], catch_exceptions=True)
    assert isinstance(debug.exception, RuntimeError)


def test_debug_keeps_the_cns_error_for_a_traceback(runner):
    result = runner.invoke(["recipe", "--service", "windows", "--debug"], catch_exceptions=True)
    assert type(result.exception).__name__ == "InvalidRequestError"
    assert "invalid service 'windows'" in str(result.exception)
