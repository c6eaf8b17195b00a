"""The layers hold: the domain imports neither front end, the front ends not each other.

- ``cns_core`` (but ``cns_core.cli``) is the domain: it imports neither ``cns_core.cli``
  nor ``cns_web``.
- ``cns_core.cli`` (the command line) imports ``cns_web`` only to launch it
  (``cns serve``).
- ``cns_web`` (the service) does not import the command line.

And the tests import shared helpers from ``tests/support/`` only:

- no module under ``tests/`` imports from a conftest (conftests hold fixtures, which
  pytest finds by itself; a helper imported from one is a helper in the wrong place);
- none imports a test module (its helpers belong in ``tests/support/``);
- none imports ``bench/`` (the benchmarks import ``tests.support``, not the other way
  round), but for the test whose subject is a documented bench command.

Checked on the source (every import statement, top level or inside a function), so a
lazy import cannot slip through.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .support.paths import REPO

LAUNCHES_THE_SERVICE = {"cns_core.cli.serve"}
#: test module -> the bench modules it may import: the ones it has as its subject
#: (``bench.bench_cli`` is a documented command that must run on a fresh clone)
BENCH_SUBJECTS = {"tests.test_examples": {"bench", "bench.bench_cli"}}


def _modules(package: str) -> dict[str, Path]:
    root = REPO / package.replace(".", "/")
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def _violations(package: str, forbidden: tuple[str, ...], allowed: set[str] = set()) -> list[str]:  # noqa: B006
    out = []
    for name, path in _modules(package).items():
        if name in allowed:
            continue
        for imported in sorted(_imports(name, path)):
            if any(imported == f or imported.startswith(f + ".") for f in forbidden):
                out.append(f"{name} imports {imported}")
    return out


def test_the_domain_imports_neither_front_end():
    domain = {n: p for n, p in _modules("cns_core").items() if not n.startswith("cns_core.cli")}
    bad = [
        f"{name} imports {imported}"
        for name, path in domain.items()
        for imported in sorted(_imports(name, path))
        if imported.startswith(("cns_core.cli", "cns_web"))
    ]
    assert bad == []


def test_the_cli_imports_the_service_only_to_launch_it():
    assert _violations("cns_core.cli", ("cns_web",), LAUNCHES_THE_SERVICE) == []


def test_the_service_does_not_import_the_cli():
    assert _violations("cns_web", ("cns_core.cli",)) == []


def _test_import_violations(modules: dict[str, Path]) -> list[str]:
    out = []
    for name, path in modules.items():
        for imported in sorted(_imports(name, path)):
            parts = imported.split(".")
            from_conftest = "conftest" in parts
            from_test = any(part.startswith("test_") for part in parts)
            from_bench = imported == "bench" or imported.startswith("bench.")
            if (
                from_conftest
                or from_test
                or (from_bench and imported not in BENCH_SUBJECTS.get(name, set()))
            ):
                out.append(f"{name} imports {imported}")
    return out


def test_tests_import_neither_a_conftest_nor_a_test_module_nor_bench():
    assert _test_import_violations(_modules("tests")) == []


def test_the_tests_check_sees_every_kind_of_import(tmp_path):
    """Relative, absolute, lazy, rootdir-style (``from conftest``): each is seen."""
    path = tmp_path / "test_x.py"
    # (spelt with {c} and {b} so that a grep for such imports finds only real ones)
    sample = (
        "from ..{c} import REPO\n"
        "from . import {c}\n"
        "from tests.web.{c} import free_port\n"
        "from {c} import DATA\n"
        "from .{t}service import assert_error\n"
        "def test():\n"
        "    import {b}.wrk_run\n"
        "    from {b}.bench_cli import SNAPSHOT\n"
    )
    path.write_text(sample.format(c="conftest", b="bench", t="test_web_"))
    assert _test_import_violations({"tests.web.test_x": path}) == [
        "tests.web.test_x imports bench.bench_cli",
        "tests.web.test_x imports bench.bench_cli.SNAPSHOT",
        "tests.web.test_x imports bench.wrk_run",
        "tests.web.test_x imports conftest",
        "tests.web.test_x imports conftest.DATA",
        "tests.web.test_x imports tests.conftest",
        "tests.web.test_x imports tests.conftest.REPO",
        "tests.web.test_x imports tests.web.conftest",
        "tests.web.test_x imports tests.web.conftest.free_port",
        "tests.web.test_x imports tests.web.test_web_service",
        "tests.web.test_x imports tests.web.test_web_service.assert_error",
    ]


@pytest.mark.parametrize(
    ("package", "name", "expected"),
    [
        ("cns_core", "cns_core.bundle.helm", "cns_core.serialize.dump_yaml"),
        ("cns_core", "cns_core.validate.report", "cns_core.recipes.builder"),
    ],
)
def test_relative_imports_are_resolved(package, name, expected):
    """The check sees through relative imports (else it could not fail)."""
    assert expected in _imports(name, _modules(package)[name])
