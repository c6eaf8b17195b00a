"""Docs match the code: every CLI option, every HTTP route, every setting is documented."""

from __future__ import annotations

import re

import click
import pytest

from cns_core.cli import COMMANDS, cli

from .support.paths import REPO

CLI_DOC = (REPO / "docs" / "cli.md").read_text()


def _section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert match, f"docs/cli.md has no '## {title}' section"
    return match.group(1)


def _command(name: str) -> click.Command:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_of_every_command_is_documented(name):
    section = _section(CLI_DOC, f"`cns {name}`")
    for param in _command(name).params:
        if isinstance(param, click.Option) and param.name != "help":
            longest = max(param.opts, key=len)
            assert (
                f"`{longest}" in section or f"{longest}`" in section or f" {longest}" in section
            ), f"cns {name} {longest} is not documented in docs/cli.md"


def test_every_command_is_listed_and_global_options_documented():
    for name in COMMANDS:
        assert f"`cns {name}`" in CLI_DOC
    for param in cli.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert max(param.opts, key=len) in _section(CLI_DOC, "Global options")


def test_documented_exit_codes_are_the_ones_the_code_uses():
    from cns_core.cli.exit_codes import (
        EXIT_FAILURE,
        EXIT_INVALID_INPUT,
        EXIT_UNAVAILABLE,
        EXIT_USAGE,
    )

    table = _section(CLI_DOC, "Exit codes")
    for code in (0, EXIT_FAILURE, EXIT_USAGE, EXIT_INVALID_INPUT, EXIT_UNAVAILABLE):
        assert f"| {code} |" in table


def _settings_read_by_the_service() -> set[str]:
    names: set[str] = set()
    for module in ("config.py", "gunicorn_config.py"):
        text = (REPO / "cns_web" / module).read_text()
        names |= set(re.findall(r"""["']((?:CNS|PROMETHEUS|WEB)_[A-Z_]+|PORT)["']""", text))
    return names


def test_every_service_setting_is_in_the_readme_and_the_configuration_doc():
    from cns_web.config import ALLOWLIST_VARIABLES

    names = _settings_read_by_the_service() | set(ALLOWLIST_VARIABLES.values())
    assert {"PORT", "WEB_CONCURRENCY", "CNS_RATE_LIMIT_STORAGE", "CNS_ALLOWED_OS"} <= names
    readme = (REPO / "README.md").read_text()
    configuration = (REPO / "docs" / "configuration.md").read_text()
    for name in sorted(names):
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"
        assert f"`{name}`" in configuration, f"{name} missing from docs/configuration.md"


def test_every_route_is_documented():
    from cns_web import create_app

    api_doc = (REPO / "docs" / "api.md").read_text()
    app = create_app({"CNS_LOG_LEVEL": "warning"})
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/docs/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert f"`{method} {path}" in api_doc, (
                f"{method} {path} is not documented in docs/api.md"
            )


def test_the_docs_page_policy_is_the_documented_one():
    from cns_web.blueprints.apidocs import DOCS_CSP

    api_doc = " ".join((REPO / "docs" / "api.md").read_text().split())
    assert f"`Content-Security-Policy: {DOCS_CSP}`" in api_doc


def test_the_documented_limits_are_the_ones_the_code_enforces():
    from cns_core.bundle.overrides import MAX_PATH_SEGMENTS
    from cns_core.recipes.model import MAX_COMPONENT_REFS
    from cns_core.serialize import MAX_DEPTH, MAX_PURE_YAML_BYTES
    from cns_web.config import Settings
    from cns_web.request_body import MAX_BODY_NODES

    limits = (REPO / "docs" / "api.md").read_text().split("## Limits and threat model")[1]
    rows = {line.split(" | ")[0].strip("| "): line for line in limits.splitlines() if "|" in line}
    assert f"| {MAX_DEPTH} levels |" in rows["body nesting"]
    assert (
        f"| {MAX_BODY_NODES:,} |"
        in rows[
            "keys and values in a body (scalars, keys, lists and maps, counted alike for JSON and YAML)"
        ]
    )
    assert (
        f"up to {MAX_PURE_YAML_BYTES // 1024} KiB"
        in rows["YAML that libyaml refuses, parsed again in pure Python"]
    )
    assert f"| {MAX_COMPONENT_REFS} |" in rows["components in a recipe (`componentRefs`)"]
    assert f"| {MAX_PATH_SEGMENTS} |" in rows["segments of a `set=` path"]
    assert f"| {Settings().max_bundle_builds} (cache" in rows["bundle builds at once, per worker"]
    memory = (REPO / "docs" / "configuration.md").read_text()
    bound = re.search(r"stays under \*\*(\d+) MiB\*\*", memory)
    assert bound is not None
    assert f"under {bound.group(1)} MiB" in rows["memory of a worker"]
    gunicorn_test = (REPO / "tests" / "web" / "test_web_hostile_gunicorn.py").read_text()
    assert f"WORKER_RSS_BOUND_MIB = {bound.group(1)}\n" in gunicorn_test
