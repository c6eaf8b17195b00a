"""docs/bundles.md names every node-placement path of the registry, per component."""

from __future__ import annotations

import re

from tests.support.paths import REPO

DOC = (REPO / "docs" / "bundles.md").read_text()


def _placement_rows() -> dict[str, str]:
    section = DOC.split("### Node placement", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"\| ([a-z0-9-]+) \| (.*)", line)
        if match:
            rows[match.group(1)] = rows.get(match.group(1), "") + match.group(2)
    return rows


def test_every_registry_placement_path_is_in_the_docs_table(store):
    rows = _placement_rows()
    for component in store.registry.components:
        paths = component.node_scheduling
        every = (
            *paths.system_node_selector_paths,
            *paths.system_toleration_paths,
            *paths.accelerated_node_selector_paths,
            *paths.accelerated_toleration_paths,
        )
        assert component.name in rows, component.name
        for path in every:
            parent, _, leaf = path.rpartition(".")
            assert f"`{path}`" in rows[component.name] or (
                f"`{parent}`" in rows[component.name] and leaf in rows[component.name]
            ), (component.name, path)
        for flag in paths.not_reached:
            assert "**warned**" in rows[component.name], (component.name, flag)
