"""The one table renderer (cns_core/cli/tables.py) and the views built on it."""

from __future__ import annotations

from cns_core.cli.tables import Table, render, render_flat_table, render_snapshot_table
from cns_core.serialize import load_yaml
from cns_core.snapshot import Snapshot
from tests.support.paths import EXAMPLE_SNAPSHOTS


def test_blocks_are_columns_or_lines_separated_by_a_blank_line():
    text = render(
        [
            ["a: 1"],
            Table(("NAME", "V"), [("x", "1"), ("longer", "")]),
            Table(("EMPTY",), [], empty="nothing here"),
            Table(("GONE",), []),  # no rows, no empty text: left out
            [],
        ]
    )
    assert text == "a: 1\n\nNAME    V\nx       1\nlonger\n\nnothing here\n"
    assert render([]) == "<empty>\n"


def test_status_tables_are_painted_only_when_asked():
    table = Table(("CHANGE", "X"), [("ADDED", "a"), ("REMOVED", "b")], status=True)
    assert "\033[" not in render([table])
    coloured = render([table], colour=True)
    assert "\033[32mADDED  \033[0m" in coloured and "\033[31mREMOVED\033[0m" in coloured
    assert "\033[" not in render([Table(("A",), [("ADDED",)])], colour=True)  # not a status table


def test_the_flat_view_lists_every_leaf():
    assert render_flat_table({"b": [True, {"c": None}], "a": {"x": "1\n2"}, "e": {}, "l": []}) == (
        "FIELD   VALUE\na.x     1\\n2\nb[0]    true\nb[1].c\ne       {}\nl       []\n"
    )
    assert render_flat_table({}) == "<empty>\n"


def test_snapshot_table_metadata_then_readings_in_document_order():
    raw = load_yaml((EXAMPLE_SNAPSHOTS / "h100-eks-ubuntu.yaml").read_text())
    doc = Snapshot.from_dict(raw).to_dict()  # as cns snapshot writes it
    meta, readings = render_snapshot_table(doc).rstrip("\n").split("\n\n")
    assert "source-node: ip-10-0-158-18.ec2.internal" in meta.splitlines()
    header, *rows = readings.splitlines()
    assert header.split() == ["TYPE", "SUBTYPE", "KEY", "VALUE"]
    types = list(dict.fromkeys(row.split()[0] for row in rows))
    assert types == [m["type"] for m in doc["measurements"] if m.get("subtypes")]  # document order
    assert ["K8s", "server", "version", "v1.30.14-eks-3025e55"] in [r.split() for r in rows]


def test_any_document_without_its_own_view_is_listed_flat(runner, tmp_path):
    out = tmp_path / "v.txt"
    result = runner.invoke(["list", "-t", "table", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("CRITERION")
