"""``cns bundle`` as a group: generation as before, ``pull`` beside it, both documented."""

from __future__ import annotations

import re

import click

from cns_core.cli import cli
from tests.support.paths import REPO


def test_bundle_without_a_recipe_is_still_a_usage_error(runner):
    result = runner.invoke(["bundle"])
    assert result.exit_code == 2
    assert "Missing option '-r' / '--recipe'" in result.stderr


def test_generation_options_before_pull_are_a_usage_error(runner, tmp_path):
    result = runner.invoke(["bundle", "-r", "x.yaml", "pull", "oci://h.io/a"])
    assert result.exit_code == 2
    assert "-r belongs to 'cns bundle' itself, not to 'cns bundle pull'" in result.stderr.replace(
        "--recipe", "-r"
    )


def test_pull_needs_a_reference(runner):
    result = runner.invoke(["bundle", "pull"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_help_shows_pull_and_the_registry_options(runner):
    text = runner.invoke(["bundle", "--help"]).stdout
    assert "pull" in text and "--plain-http" in text and "oci://HOST/REPO[:TAG]" in text
    pull = runner.invoke(["bundle", "pull", "--help"]).stdout
    assert "Usage: cns bundle pull [OPTIONS] oci://HOST[:PORT]/REPO[:TAG][@DIGEST]" in pull
    assert "--insecure-tls" in pull and "--ca-file" in pull


def test_every_pull_option_is_documented():
    doc = (REPO / "docs" / "cli.md").read_text()
    section = re.search(r"^## `cns bundle pull`\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert section, "docs/cli.md has no '## `cns bundle pull`' section"
    bundle = cli.get_command(click.Context(cli), "bundle")
    assert isinstance(bundle, click.Group)
    pull = bundle.get_command(click.Context(bundle), "pull")
    assert pull is not None
    for param in pull.params:
        if isinstance(param, click.Option):
            assert f"`{max(param.opts, key=len)}" in section.group(1), param.opts


def test_bundles_doc_has_the_oci_section_and_readme_an_example():
    bundles = (REPO / "docs" / "bundles.md").read_text()
    assert "## OCI registries" in bundles
    for text in ("helm push", "helm install cns-stack oci://", "cns bundle pull", "credsStore"):
        assert text in bundles, text
    assert "-o oci://" in (REPO / "README.md").read_text()
