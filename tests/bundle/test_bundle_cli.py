"""``cns bundle``: folders, zips, printed files and next steps, exit codes of every bad input."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from tests.support.cli import run_cns


def test_folder_output_lists_files_and_next_steps(runner, tmp_path, recipe_file):
    out = tmp_path / "bundle"
    result = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", out, "--set", "gpu-operator:driver.version=1"]
    )
    assert result.exit_code == 0, result.output
    assert f"Helm umbrella chart written to {out}" in result.output
    assert "  Chart.yaml\n" in result.output
    assert f"1. {out}/deploy.sh " in result.output
    assert (out / "deploy.sh").stat().st_mode & 0o777 == 0o755
    assert (
        yaml.safe_load((out / "values.yaml").read_text())["gpu-operator"]["driver"]["version"] == 1
    )
    assert (out / "recipe.yaml").is_file()


def test_zip_output_is_repeatable_byte_for_byte(runner, tmp_path, recipe_file):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    for dest in (first, second):
        result = runner.invoke(
            [
                "bundle",
                "-r",
                recipe_file,
                "-o",
                dest,
                "-d",
                "argocd",
                "--repo",
                "https://github.com/a/b.git",
            ]
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert f"1. unzip {second} -d {tmp_path / 'b'}" in result.stdout
    with zipfile.ZipFile(io.BytesIO(first.read_bytes())) as archive:
        assert "app-of-apps.yaml" in archive.namelist()


def test_argocd_without_repo_warns_on_stderr(runner, tmp_path, recipe_file):
    result = runner.invoke(["bundle", "-r", recipe_file, "-o", tmp_path / "o", "-d", "argocd"])
    assert result.exit_code == 0
    assert "warning: no --repo given" in result.stderr
    assert "warning:" not in result.stdout
    assert "no --repo given" in (tmp_path / "o" / "warnings.txt").read_text()


def test_placement_a_chart_cannot_apply_is_warned_on_stderr(runner, tmp_path, recipe_file):
    result = runner.invoke(
        [
            "bundle",
            "-r",
            recipe_file,
            "-o",
            tmp_path / "o",
            "--accelerated-node-selector",
            "pool=gpu",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "warning: gpu-operator: --accelerated-node-selector does not reach the GPU operands" in (
        result.stderr
    )
    assert (
        "--accelerated-node-selector does not reach" in (tmp_path / "o" / "README.md").read_text()
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--set", "nosuch:a=1"], 3, "'nosuch' is not a component"),
        (["--set", "gpu-operator:a..b=1"], 3, "empty segment"),
        (["--set", "gpu-operator:a="], 3, "the value is empty"),
        (["--system-node-selector", "x"], 3, "invalid system-node-selector 'x'"),
        (["--accelerated-node-toleration", "k=v:Always"], 3, "effect 'Always'"),
        (["-d", "fleet"], 3, "invalid deployer 'fleet'"),
        (["--bundlers", "gpu"], 3, "unknown bundler 'gpu'"),
        (["--repo", "nope"], 3, "invalid repo 'nope'"),
        (["-o", "oci://ghcr.io/X/y"], 3, "invalid repository format 'X/y'"),
        (["-o", "s3://bucket/x"], 3, "a directory, a .zip file or oci://"),
    ],
)
def test_bad_inputs_exit_codes_and_messages(runner, tmp_path, recipe_file, args, code, message):
    output = [] if "-o" in args else ["-o", tmp_path / "out"]
    result = runner.invoke(["bundle", "-r", recipe_file, *output, *args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_missing_recipe_file_exits_4(runner, tmp_path):
    result = runner.invoke(["bundle", "-r", tmp_path / "nope.yaml", "-o", tmp_path / "out"])
    assert result.exit_code == 4
    assert "nope.yaml" in result.output


def test_recipe_is_required_exit_2(runner):
    assert runner.invoke(["bundle"]).exit_code == 2


def test_installed_cli_from_another_directory(tmp_path, recipe_file):
    run = run_cns("bundle", "-r", recipe_file, "-o", "b.zip", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "b.zip").is_file()


def test_recipe_yaml_from_cns_recipe_and_from_the_bundle_are_the_same_bytes(runner, tmp_path):
    """One YAML emitter: `cns recipe -o recipe.yaml` writes what the bundle's recipe.yaml holds."""
    recipe = tmp_path / "recipe.yaml"
    made = runner.invoke(
        [
            "recipe",
            "--service",
            "eks",
            "--accelerator",
            "gb200",
            "--intent",
            "training",
            "--os",
            "ubuntu",
            "-o",
            str(recipe),
        ]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(["bundle", "-r", recipe, "-o", tmp_path / "bundle"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bundle" / "recipe.yaml").read_bytes() == recipe.read_bytes()
