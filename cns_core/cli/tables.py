"""Tables a person reads in a terminal: one renderer for every ``--format table`` view.

A view is a list of blocks separated by blank lines: a :class:`Table` (left-aligned
columns two spaces apart under upper-case headers) or a list of plain lines
(``key: value`` facts, a summary). :func:`render` writes them; each ``render_*``
function below only decides what goes in the blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_COLOURS = {
    "passed": "32",
    "failed": "31",
    "skipped": "33",
    "pass": "32",
    "fail": "31",
    "partial": "33",
    "added": "32",
    "removed": "31",
    "changed": "33",
}
NONE = "-"


def paint(word: str, text: str, *, colour: bool) -> str:
    """``text`` in the colour of a status ``word`` (passed, failed, ...), when asked."""
    return f"\033[{_COLOURS[word]}m{text}\033[0m" if colour and word in _COLOURS else text


def columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    first_column_colour: bool = False,
) -> list[str]:
    """Left-aligned columns two spaces apart, trailing spaces stripped. With
    ``first_column_colour`` the first cell is painted by its (lowercased) word."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        cells[0] = paint(row[0].lower(), cells[0], colour=first_column_colour)
        lines.append("  ".join(cells).rstrip())
    return lines


@dataclass(frozen=True)
class Table:
    """Rows under headers; ``status`` paints each first cell by its word; ``empty`` is
    the line written instead when there are no rows (``""``: leave the block out)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    status: bool = False
    empty: str = ""


Block = Table | Sequence[str]


def render(blocks: Iterable[Block], *, colour: bool = False) -> str:
    """The blocks one after another, a blank line between them, a newline at the end."""
    out: list[list[str]] = []
    for block in blocks:
        if isinstance(block, Table):
            if block.rows:
                out.append(
                    columns(block.headers, block.rows, first_column_colour=colour and block.status)
                )
            elif block.empty:
                out.append([block.empty])
        elif block:
            out.append(list(block))
    return "\n\n".join("\n".join(lines) for lines in out) + "\n" if out else "<empty>\n"


def cell(value: Any) -> str:
    """A value as one table cell: lists comma-joined, nothing as ``-``, never two lines."""
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value).replace("\n", "\\n")


# --- views ------------------------------------------------------------------------------------


def render_validation_table(doc: Mapping[str, Any], *, colour: bool = False) -> str:
    """A validation report at a glance: one row per constraint, then the summary."""
    rows = [
        (r["status"].upper(), r["name"], r["expected"], r["actual"] or NONE, r.get("message", ""))
        for r in doc["results"]
    ]
    summary = doc["summary"]
    status = paint(summary["status"], summary["status"].upper(), colour=colour)
    return render(
        [
            Table(("STATUS", "CONSTRAINT", "EXPECTED", "ACTUAL", "MESSAGE"), rows, status=True),
            [
                f"{status}: {summary['passed']} passed, {summary['failed']} failed, "
                f"{summary['skipped']} skipped of {summary['total']} (in {summary['duration']})",
                f"recipe: {doc['recipeSource']}  snapshot: {doc['snapshotSource']}",
            ],
        ],
        colour=colour,
    )


#: A component's chart name and namespace, as the bundle deploys it.
ChartOf = Callable[[str], tuple[str, str]]


def render_recipe_table(doc: Mapping[str, Any], chart_of: ChartOf | None = None) -> str:
    """A recipe at a glance: what it is for, its components in deployment order (name,
    version, chart, source, dependencies, namespace), then its constraints."""
    meta = doc.get("metadata") or {}
    criteria = doc.get("criteria") or {}
    pinned = " ".join(f"{k}={v}" for k, v in criteria.items() if v not in ("any", 0))
    facts = [f"criteria: {pinned or 'any'}"]
    facts.append(f"overlays: {cell(meta.get('appliedOverlays'))}")
    if meta.get("excludedOverlays"):
        facts.append(f"excluded: {cell(meta['excludedOverlays'])}")
    if meta.get("version"):
        facts.append(f"version: {meta['version']}")
    refs = {ref["name"]: ref for ref in doc.get("componentRefs") or []}
    order = [n for n in doc.get("deploymentOrder") or [] if n in refs]
    order += sorted(set(refs) - set(order))
    rows = []
    for name in order:
        ref = refs[name]
        chart, namespace = chart_of(name) if chart_of else (name, name)
        chart = chart or "(manifests)"  # a component that is only its recipe manifests
        version = ref.get("version") or ref.get("tag")
        rows.append(
            (
                name,
                cell(version),
                chart,
                cell(ref.get("source")),
                cell(ref.get("dependencyRefs")),
                namespace,
            )
        )
    constraints = [(c["name"], c["value"]) for c in doc.get("constraints") or []]
    return render(
        [
            facts,
            Table(("COMPONENT", "VERSION", "CHART", "SOURCE", "DEPENDS ON", "NAMESPACE"), rows),
            Table(("CONSTRAINT", "EXPECTED"), constraints, empty="no constraints"),
        ]
    )


def render_snapshot_table(doc: Mapping[str, Any]) -> str:
    """The snapshot's metadata, then TYPE / SUBTYPE / KEY / VALUE rows in measurement order."""
    from ..snapshot.model import reading_str

    meta = doc.get("metadata") or {}
    rows = [
        (m["type"], s.get("subtype") or NONE, key, reading_str(value).replace("\n", "\\n"))
        for m in doc.get("measurements") or []
        for s in m.get("subtypes") or []
        for key, value in (s.get("data") or {}).items()
    ]
    return render(
        [
            [f"{k}: {v}" for k, v in meta.items()],
            Table(("TYPE", "SUBTYPE", "KEY", "VALUE"), rows, empty="no readings"),
        ]
    )


def render_flat_table(doc: Any) -> str:
    """Any document as FIELD / VALUE rows, keys flattened with dots (lists indexed)."""
    rows = sorted(_flatten(doc, ""))
    return render([Table(("FIELD", "VALUE"), rows)])


def _flatten(obj: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(obj, Mapping) and obj:
        out: list[tuple[str, str]] = []
        for key, value in obj.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(obj, list) and obj:
        out = []
        for i, value in enumerate(obj):
            out += _flatten(value, f"{prefix}[{i}]")
        return out
    if not prefix:
        return []
    if isinstance(obj, bool):
        return [(prefix, "true" if obj else "false")]
    if isinstance(obj, Mapping | list):
        return [(prefix, "{}" if isinstance(obj, Mapping) else "[]")]
    return [(prefix, "" if obj is None else str(obj).replace("\n", "\\n"))]


def render_catalog_table(doc: Mapping[str, Any]) -> str:
    """``cns list``: each criterion with its values and aliases; every overlay with what it
    matches and builds on; then, overlay by overlay, what it adds."""
    criteria_rows = [
        (
            c["name"] + "".join(f" ({alias})" for alias in c.get("fieldAliases", ())),
            ", ".join(c["values"]) if "values" in c else f"integer >= {c.get('minimum', 0)}",
            ", ".join(f"{a}={v}" for a, v in c.get("aliases", {}).items()) or NONE,
        )
        for c in doc["criteria"]
    ]
    overlays = doc["overlays"]
    overlay_rows = [
        (o["name"], _matches(o["matches"]), o.get("base") or NONE, str(len(o["adds"])))
        for o in overlays
    ]
    details = [
        [f"{o['name']} ({_matches(o['matches'])}; on {o['base']}):", *(f"  {a}" for a in o["adds"])]
        for o in overlays
        if o["adds"]
    ]
    return render(
        [
            Table(("CRITERION", "VALUES", "ALIASES"), criteria_rows),
            Table(("OVERLAY", "MATCHES", "BASE", "CHANGES"), overlay_rows, empty="no overlays"),
            *details,
            [
                "An overlay applies when each criterion it names has that value (one it does "
                "not name matches anything); the most specific apply last.",
            ],
        ]
    )


def _matches(pinned: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in pinned.items()) or "(only inherited)"


def render_diff_table(doc: Mapping[str, Any], *, colour: bool = False) -> str:
    """``cns diff``: one row per difference (CHANGE, WHERE, WHAT, A, B), then a verdict."""
    recipe = doc["kind"] == "RecipeDiff"
    rows = _recipe_diff_rows(doc) if recipe else _snapshot_diff_rows(doc)
    if doc["identical"]:
        verdict = "A and B are identical"
    elif recipe:
        counts = ", ".join(f"{n} {k}" for k, n in doc["summary"].items() if n and k != "unchanged")
        verdict = f"A and B differ: {len(rows)} difference(s); components: {counts or 'the same'}"
    else:
        counts = ", ".join(f"{n} {k}" for k, n in doc["summary"].items() if n)
        verdict = f"A and B differ: {counts} reading(s)"
    return render(
        [
            [f"A: {_side(doc['a'])}", f"B: {_side(doc['b'])}"],
            Table(("CHANGE", "WHERE", "WHAT", "A", "B"), rows, status=True),
            [paint("changed" if rows else "passed", verdict, colour=colour)],
        ],
        colour=colour,
    )


def _side(side: Mapping[str, Any]) -> str:
    facts = [f"{k}={v}" for k, v in (side.get("criteria") or {}).items() if v not in ("any", 0)]
    facts += [f"{k}={v}" for k in ("sourceNode", "timestamp") if (v := side.get(k))]
    return f"{side['source']} ({' '.join(facts) or 'any'})"


def _row(change: str, where: str, what: str, item: Mapping[str, Any]) -> tuple[str, ...]:
    return (change.upper(), where, what, cell(item.get("before")), cell(item.get("after")))


def _field_kind(change: Mapping[str, Any]) -> str:
    """A componentRef field is "" (or []) when unset."""
    if not change.get("before"):
        return "added"
    return "removed" if not change.get("after") else "changed"


def _recipe_diff_rows(doc: Mapping[str, Any]) -> list[tuple[str, ...]]:
    overlays = doc["overlays"]
    rows = [_row("added", "overlay", name, {"after": "applied"}) for name in overlays["added"]]
    rows += [
        _row("removed", "overlay", name, {"before": "applied"}) for name in overlays["removed"]
    ]
    for component in doc["components"]:
        name, kind = component["name"], component["kind"]
        if kind in ("added", "removed"):
            versions = {
                "before": component.get("beforeVersion"),
                "after": component.get("afterVersion"),
            }
            rows.append(_row(kind, name, "component", versions))
            continue
        rows += [_row(_field_kind(f), name, f["field"], f) for f in component.get("fields", ())]
        rows += [
            _row(v["kind"], name, f"values.{v['path']}", v) for v in component.get("values", ())
        ]
    rows += [_row(c["kind"], "constraint", c["name"], c) for c in doc["constraints"]]
    order = doc["deploymentOrder"]
    if order["changed"]:
        rows.append(_row("changed", "deployment order", NONE, order))
    return rows


def _snapshot_diff_rows(doc: Mapping[str, Any]) -> list[tuple[str, ...]]:
    return [_row(r["kind"], f"{r['type']}.{r['subtype']}", r["key"], r) for r in doc["readings"]]
