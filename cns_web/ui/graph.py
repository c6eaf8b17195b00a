"""The deployment order as a small dependency graph, drawn as inline SVG on the server.

Components sit in columns by dependency depth (a component is one column right of
its deepest dependency), rows in deployment order; each edge runs from a
dependency to its dependent. The SVG carries no style attributes or scripts (the
page's Content-Security-Policy forbids inline styles): classes only, styled in
``ui.css``. A ``<title>`` and ``<desc>`` say the same in words for screen readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_HEIGHT = 34
ROW_GAP = 12
COLUMN_GAP = 48
PADDING = 6
CHAR_WIDTH = 7.9  # the label font (13px monospace) advance, a little generous
MIN_NODE_WIDTH = 110


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    position: int  # 1-based place in the deployment order
    column: int
    row: int


def depths(dependencies: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Column of each component: 0 without dependencies, else 1 + its deepest dependency's.

    Dependencies outside the mapping are ignored; the mapping is acyclic (the builder
    checked it).
    """
    memo: dict[str, int] = {}

    def depth(name: str, path: frozenset[str]) -> int:
        if name not in memo:
            deps = [d for d in dependencies.get(name, ()) if d in dependencies and d not in path]
            memo[name] = 1 + max((depth(d, path | {name}) for d in deps), default=-1)
        return memo[name]

    for name in dependencies:
        depth(name, frozenset())
    return memo


def layout(order: Sequence[str], dependencies: Mapping[str, Sequence[str]]) -> list[Node]:
    """Nodes with their column (depth) and row (rank within the column, in deployment order)."""
    columns = depths({name: dependencies.get(name, ()) for name in order})
    rows: dict[int, int] = {}
    nodes = []
    for position, name in enumerate(order, start=1):
        column = columns[name]
        nodes.append(Node(name, position, column, rows.get(column, 0)))
        rows[column] = rows.get(column, 0) + 1
    return nodes


def _describe(order: Sequence[str], dependencies: Mapping[str, Sequence[str]]) -> str:
    parts = []
    for position, name in enumerate(order, start=1):
        deps = [d for d in dependencies.get(name, ()) if d in order]
        after = f" (after {', '.join(deps)})" if deps else ""
        parts.append(f"{position}. {name}{after}")
    return "; ".join(parts) + "."


def dependency_svg(
    order: Sequence[str], dependencies: Mapping[str, Iterable[str]], *, ident: str = "graph"
) -> Markup:
    """The SVG markup; ``ident`` prefixes the element ids (two graphs may share a page)."""
    deps = {name: tuple(dependencies.get(name, ())) for name in order}
    nodes = layout(order, deps)
    if not nodes:
        return Markup("")
    width = max(MIN_NODE_WIDTH, round(CHAR_WIDTH * (max(len(n.name) for n in nodes) + 4)) + 16)
    by_name = {node.name: node for node in nodes}

    def x(node: Node) -> int:
        return PADDING + node.column * (width + COLUMN_GAP)

    def y(node: Node) -> int:
        return PADDING + node.row * (NODE_HEIGHT + ROW_GAP)

    total_w = PADDING * 2 + (max(n.column for n in nodes) + 1) * (width + COLUMN_GAP) - COLUMN_GAP
    total_h = PADDING * 2 + (max(n.row for n in nodes) + 1) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    title_id, desc_id, arrow_id = f"{ident}-title", f"{ident}-desc", f"{ident}-arrow"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dep-graph" role="img" '
        f'viewBox="0 0 {total_w} {total_h}" width="{total_w}" height="{total_h}" '
        f'aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">Deployment order and dependencies</title>',
        f'<desc id="{desc_id}">{escape(_describe(order, deps))}</desc>',
        f'<defs><marker id="{arrow_id}" class="g-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    half = NODE_HEIGHT // 2
    for node in nodes:
        for dep in deps[node.name]:
            source = by_name.get(dep)
            if source is None:
                continue
            x1, y1 = x(source) + width, y(source) + half
            x2, y2 = x(node) - 2, y(node) + half
            bend = COLUMN_GAP // 2 + 8
            out.append(
                f'<path class="g-edge" data-from="{escape(dep)}" data-to="{escape(node.name)}" '
                f'd="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" '
                f'marker-end="url(#{arrow_id})"/>'
            )
    for node in nodes:
        nx, ny = x(node), y(node)
        out.append(
            f'<g class="g-node" data-name="{escape(node.name)}">'
            f'<rect x="{nx}" y="{ny}" width="{width}" height="{NODE_HEIGHT}" rx="6"/>'
            f'<text class="g-pos" x="{nx + 10}" y="{ny + half}">{node.position}</text>'
            f'<text class="g-label" x="{nx + 30}" y="{ny + half}">{escape(node.name)}</text>'
            "</g>"
        )
    out.append("</svg>")
    return Markup("".join(out))
