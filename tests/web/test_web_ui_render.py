"""Server-side rendering helpers of the UI: YAML/JSON highlighting and the dependency graph."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cns_core.serialize import dump_json, dump_yaml
from cns_web.ui.graph import dependency_svg, depths, layout
from cns_web.ui.highlight import highlight_json, highlight_yaml

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=10), documents, max_size=5))
def test_highlighting_never_changes_the_text(doc):
    yaml_text, json_text = dump_yaml(doc), dump_json(doc)
    assert plain(highlight_yaml(yaml_text)) == yaml_text
    assert plain(highlight_json(json_text)) == json_text


def test_yaml_tokens_get_their_classes():
    text = dump_yaml(
        {
            "driver": {
                "version": "580.1",
                "enabled": True,
                "n": 3,
                "x": None,
                "l": ["a"],
                "m": "a\nb",
            }
        }
    )
    out = str(highlight_yaml(text))
    assert '<span class="y-key">driver</span><span class="y-punct">:</span>' in out
    assert '<span class="y-str">&#39;580.1&#39;</span>' in out or "580.1" in out
    assert '<span class="y-bool">true</span>' in out
    assert '<span class="y-num">3</span>' in out
    assert '<span class="y-null">null</span>' in out
    assert '<span class="y-punct">- </span><span class="y-str">a</span>' in out
    assert '<span class="y-punct">|-</span>' in out and '<span class="y-str">    a</span>' in out


def test_markup_is_escaped():
    out = str(highlight_yaml(dump_yaml({"<script>": "</pre>&"})))
    assert "<script>" not in out and "</pre>" not in out


def test_graph_columns_follow_dependency_depth():
    deps = {"a": (), "b": ("a",), "c": ("a", "b"), "d": ()}
    assert depths(deps) == {"a": 0, "b": 1, "c": 2, "d": 0}
    nodes = layout(["a", "d", "b", "c"], deps)
    assert [(n.name, n.position, n.column, n.row) for n in nodes] == [
        ("a", 1, 0, 0),
        ("d", 2, 0, 1),
        ("b", 3, 1, 0),
        ("c", 4, 2, 0),
    ]


def test_graph_svg_has_a_node_per_component_an_edge_per_dependency_and_no_styles():
    svg = str(dependency_svg(["a", "b", "c"], {"b": ["a"], "c": ["a", "b"]}, ident="g1"))
    assert svg.count('<g class="g-node"') == 3
    assert svg.count('<path class="g-edge"') == 3
    assert 'aria-labelledby="g1-title g1-desc"' in svg and 'id="g1-arrow"' in svg
    assert "1. a; 2. b (after a); 3. c (after a, b)." in svg
    assert "style=" not in svg and "<script" not in svg
    assert str(dependency_svg([], {})) == ""
