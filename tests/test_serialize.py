"""Safe, deterministic (de)serialisation: round trips, guards, formats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cns_core.errors import InvalidRequestError
from cns_core.serialize import (
    MAX_DEPTH,
    Format,
    dump,
    dump_json,
    dump_yaml,
    load_json,
    load_yaml,
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), documents, max_size=5))
def test_yaml_and_json_round_trip_any_plain_document(doc):
    assert load_yaml(dump_yaml(doc)) == doc
    assert load_json(dump_json(doc)) == doc


def test_yaml_output_keeps_field_order_and_quotes_ambiguous_strings():
    text = dump_yaml({"z": "24.04", "a": "true", "m": ">= 1.30", "n": [1, {"k": None}]})
    assert text == "z: '24.04'\na: 'true'\nm: '>= 1.30'\n'n':\n- 1\n- k: null\n"


@pytest.mark.parametrize("text", ["a\u2028b", "a\x85b", "x\u2029", "line1\n line2  \n", "\ttab\n"])
def test_yaml_strings_with_line_breaks_round_trip(text):
    assert load_yaml(dump_yaml({"k": text})) == {"k": text}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "YAML aliases are not allowed"),
        ("a: !!python/name:os.system\n", "could not determine a constructor"),
        ("a: 1\n---\nb: 2\n", "expected one document, got 2"),
        ("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2), "maximum depth"),
        ("a: [1, 2\n", "invalid YAML in body"),
    ],
)
def test_untrusted_yaml_guards(text, message):
    with pytest.raises(InvalidRequestError, match=message):
        load_yaml(text, source="body")


def test_json_depth_guard_and_errors():
    with pytest.raises(InvalidRequestError, match=f"nesting deeper than {MAX_DEPTH}"):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), source="body")
    with pytest.raises(InvalidRequestError, match="invalid JSON in body"):
        load_json("{", source="body")


def test_format_parse_and_table():
    assert Format.parse(" YAML ") is Format.YAML
    with pytest.raises(
        InvalidRequestError, match="invalid format 'xml': valid formats are json, yaml, table"
    ):
        Format.parse("xml")
    with pytest.raises(ValueError, match="render tables in the front end"):
        dump({}, Format.TABLE)  # the domain encodes documents; tables are the CLI's views


@pytest.mark.parametrize("text", ["y", "Y", "n", "N", "yes", "on", "0x1F", "1_000", "2001-01-01"])
def test_yaml_quotes_what_helms_yaml_1_1_reader_would_not_read_as_a_string(text):
    assert dump_yaml({"k": text}) == f"k: '{text}'\n"


#: Strings that push the emitter to its other styles: literal blocks (keep, strip, leading
#: blanks), quoting, long and non-ASCII keys, document markers.
tricky_text = st.sampled_from(
    [
        "",
        " ",
        "a\n",
        "a\n\n",
        "\n",
        " lead\nx",
        "x\n ",
        "---",
        "...",
        "- x",
        "? y",
        "yes",
        "0o17",
        "1e3",
        "k" * 200,
        "é\u2028",
        "#",
        "a: b",
        "\t",
        "null",
    ]
) | st.text(max_size=12)
tricky = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(tricky_text | st.integers(), tricky, max_size=5))
def test_yaml_written_entry_by_entry_is_the_same_bytes_as_one_dump(doc):
    from cns_core.serialize import _dump_yaml

    whole = _dump_yaml(doc)
    assert dump_yaml(doc) == whole
    assert dump_yaml(doc) == whole  # the second time from the memo
    assert dump_yaml({**doc}) == whole


def test_the_entry_memo_tells_apart_values_that_compare_equal():
    texts = {dump_yaml({"a": value}) for value in (1, 1.0, True, "1")}
    assert len(texts) == 4
