"""Tables a person reads in a terminal: one renderer for every `--format table` view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_COLOURS = {
    "passed": "32",
    "failed": "31",
    "skipped": "33",
    "pass": "32",
    "fail": "31",
    "partial": "33",
}


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


def render_validation_table(doc: Mapping[str, Any], *, colour: bool = False) -> str:
    """A validation report at a glance: one row per constraint, then the summary."""
    headers = ("STATUS", "CONSTRAINT", "EXPECTED", "ACTUAL", "MESSAGE")
    rows = [
        (r["status"].upper(), r["name"], r["expected"], r["actual"] or "-", r.get("message", ""))
        for r in doc["results"]
    ]
    summary = doc["summary"]
    status = paint(summary["status"], summary["status"].upper(), colour=colour)
    lines = columns(headers, rows, first_column_colour=colour)
    lines += [
        "",
        f"{status}: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped of {summary['total']} (in {summary['duration']})",
        f"recipe: {doc['recipeSource']}  snapshot: {doc['snapshotSource']}",
    ]
    return "\n".join(lines) + "\n"
