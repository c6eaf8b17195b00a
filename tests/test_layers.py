"""The layers hold: the domain imports neither front end, the front ends not each other.

- ``cns_core`` (but ``cns_core.cli``) is the domain: it imports neither ``cns_core.cli``
  nor ``cns_web``.
- ``cns_core.cli`` (the command line) imports ``cns_web`` only to launch it
  (``cns serve``).
- ``cns_web`` (the service) does not import the command line.

Checked on the source (every import statement, top level or inside a function), so a
lazy import cannot slip through.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .support.paths import REPO

LAUNCHES_THE_SERVICE = {"cns_core.cli.serve"}


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
