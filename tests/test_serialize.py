"""Safe, deterministic (de)serialisation: round trips, guards, formats."""

from __future__ import annotations

import contextlib
import gc

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


#: Plain scalars whose YAML 1.2 reading differs from YAML 1.1's, or that are easy to misread.
plain_scalars = st.sampled_from(
    [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "True",
        "TRUE",
        "tRue",
        "null",
        "Null",
        "~",
        "",
        "017",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "-_",
        "+1",
        "-0",
        ".5",
        "1.",
        "1e3",
        "1.5e3",
        "1E+3",
        ".inf",
        "-.Inf",
        ".NaN",
        "1:20",
        "1:20.5",
        "2001-12-14",
        "2001-12-14 21:59:43.10",
        "<<",
        "=",
        "0.1_1",
        "- x",
        "#x",
        "a #b",
        "12 ",
        "1,000",
        "0x",
        "00",
        "+.inf",
    ]
)
flow_text = st.recursive(
    plain_scalars | st.text(st.characters(blacklist_categories=["Cs"]), max_size=6).map(repr),
    lambda children: (
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(plain_scalars, children), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        )
    ),
    max_leaves=8,
)
block_text = st.lists(st.tuples(plain_scalars, flow_text | plain_scalars), max_size=6).map(
    lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs)
)
snippets = st.sampled_from(
    [
        "a: &x 1\nb: *x\n",
        "a: &x s\nb: *x\n",
        "- &x [a]\n- *x\n",
        "a: 'b & c'\n",
        "a: !!str 12\n",
        "a: !!int '12'\n",
        "a: ! 12\n",
        "a: !foo x\n",
        "%YAML 1.1\n---\na: yes\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\na: 2\n",
        "1: a\ntrue: b\n",
        "1: a\n1.0: b\n",
        "? [a]\n: b\n",
        "<<: {a: 1}\nb: 2\n",
        "a: !!binary aGk=\n",
        "---\n",
        "# only a comment\n",
        "a: [1, 2\n",
        "a: {b: c}: d\n",
        "- - - x\n",
        "a: |\n  x\n  y\n",
        "a: >-\n  x\n  y\n",
        "'a': \"b\\tc\"\n",
        "a: !!float 1\n",
        "a: !!null ''\n",
        "[a, b]\n",
        "just a scalar\n",
        "a: 'it''s'\n",
    ]
)


@settings(max_examples=600, deadline=None)
@given(
    snippets | block_text | flow_text | st.builds(dump_yaml, tricky),
    st.booleans(),
    st.none() | st.integers(min_value=0, max_value=12),
)
def test_the_libyaml_fast_path_reads_what_ruamel_reads(text, trusted, max_nodes):
    """Each document is read exactly as ruamel's guarded path reads it (trusted or not,
    with or without a cap on its keys and values), or handed to it."""
    from cns_core.serialize import _UNHANDLED, _load_fast, _load_ruamel

    fast = _load_fast(text, trusted=trusted, max_nodes=max_nodes)
    try:
        expected = _load_ruamel(text, "<input>", trusted=trusted, max_nodes=max_nodes)
    except Exception:  # refused (or failed) on ruamel's path: the fast path must not read it
        assert fast is _UNHANDLED, text
        return
    if fast is not _UNHANDLED:
        assert repr(fast) == repr(expected), text


@pytest.mark.parametrize("name", ["h100-eks-ubuntu.yaml", "gb200-eks-ubuntu.yaml"])
def test_real_snapshots_take_the_fast_path(name):
    from ruamel.yaml import YAML

    from cns_core.serialize import _UNHANDLED, _load_fast
    from tests.support.paths import EXAMPLE_SNAPSHOTS

    text = (EXAMPLE_SNAPSHOTS / name).read_text()
    fast = _load_fast(text, max_nodes=100_000)
    assert fast is not _UNHANDLED
    assert repr(fast) == repr(YAML(typ="safe").load(text))


def test_documents_with_aliases_or_deep_nesting_still_get_the_guarded_errors():
    with pytest.raises(InvalidRequestError, match="aliases are not allowed"):
        load_yaml("a: &x [1]\nb: *x\n")
    with pytest.raises(InvalidRequestError, match="maximum depth"):
        load_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(InvalidRequestError, match="duplicate key"):
        load_yaml("a: 1\na: 2\n")
    with pytest.raises(InvalidRequestError, match="at most 3 are allowed"):
        load_yaml("a: [1, 2]\n", max_nodes=3)
    with pytest.raises(InvalidRequestError, match="is not a string"):
        load_yaml("1: a\n")  # the plain-data check applies to what the fast path read
    assert load_yaml("t: 2001-12-14\n") == {"t": "2001-12-14"}  # untrusted: a string


def test_the_yaml_1_2_resolvers_are_still_ruamels():
    import re

    from ruamel.yaml import resolver

    from cns_core.serialize import RESOLVERS_1_2

    theirs = [
        (tag.rsplit(":", 1)[1], regexp.pattern, regexp.flags, "".join(first))
        for versions, tag, regexp, first in resolver.implicit_resolvers
        if (1, 2) in versions
    ]
    ours = [(name, pattern, "".join(first)) for name, pattern, first in RESOLVERS_1_2]
    assert [(n, p, f) for n, p, _, f in theirs] == ours
    for _, pattern, flags, _ in theirs:  # compiled with re.X here: the same where they lack it
        assert flags & re.X or not re.search(r"[\s#]", pattern)


@settings(max_examples=400, deadline=None)
@given(
    plain_scalars
    | st.text(st.sampled_from("-+._:0123456789eExXoObBtTfFnNuUlLaAiI~<=!&* TZ"), max_size=12)
)
def test_a_plain_scalar_gets_the_tag_ruamels_yaml_1_2_resolver_gives_it(value):
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    from cns_core.serialize import plain_scalar_tag

    resolver = VersionedResolver(version=(1, 2))
    assert plain_scalar_tag(value) == str(resolver.resolve(ScalarNode, value, (True, False)))


def test_reading_yaml_does_not_import_ruamel_when_libyaml_reads_it():
    import subprocess
    import sys

    code = (
        "import sys; from cns_core.serialize import load_yaml; "
        "assert load_yaml('a: [1, yes, 0o17]') == {'a': [1, 'yes', 15]}; "
        "print(any(m.startswith('ruamel') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=300, deadline=None)
@given(
    snippets
    | block_text
    | st.sampled_from(
        [
            'a: "\\ud800"\n',
            'a: "\\U0001F600"\n',
            'a: "\\ud83d\\ude00"\n',
            "\ud800: x\n",
            "a: [1, {2: b}]\n",
            "? !!str 1\n: x\n",
            "null: 1\n",
            "a: {true: 1}\n",
        ]
    )
)
def test_yaml_read_fast_passes_and_fails_the_plain_data_check_as_before(text):
    """load_yaml (fast path, its plain-data check folded into the walk) against ruamel's
    path followed by check_plain: same document, or the same error."""
    from cns_core.serialize import _load_ruamel, check_plain

    def reference():
        doc = _load_ruamel(text, "<input>", trusted=False, max_nodes=None)
        check_plain(doc, "YAML in <input>", max_nodes=None)
        return doc

    outcomes = []
    for read in (lambda: load_yaml(text), reference):
        try:
            outcomes.append(("ok", repr(read())))
        except InvalidRequestError as exc:
            outcomes.append(("error", str(exc)))
        except Exception as exc:  # the same failure on both paths
            outcomes.append(("failed", type(exc).__name__))
    assert outcomes[0] == outcomes[1], text


@pytest.mark.parametrize(
    "inner",
    [
        {"a": "x\n\ny\n", "b": [1, {"c": "d\n"}]},
        {"k" * 200: 1, "b": None},
        {"a": "x\n\n", "b": "keep\n\n\n"},
        {"a": {}, "b": [], "c": "", "d": " lead"},
        {"- x": "? y", "#": "a: b"},
    ],
)
def test_a_nested_document_written_from_its_entries_is_the_same_bytes(inner):
    from cns_core.serialize import _dump_yaml

    dump_yaml(inner)  # its entries are remembered: the outer documents reuse them
    for outer in ({"outer": inner}, {"first": 1, "outer": {"enabled": True, **inner}}):
        assert dump_yaml(outer) == _dump_yaml(outer)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(tricky_text | st.integers(), tricky, min_size=1, max_size=5), tricky_text)
def test_any_document_nesting_one_written_before_is_the_same_bytes(inner, name):
    from cns_core.serialize import _dump_yaml

    dump_yaml(inner)  # its entries are remembered
    for outer in ({name: inner}, {"first": 1, name: {**inner}}):
        assert dump_yaml(outer) == _dump_yaml(outer)


@pytest.mark.parametrize("read", [load_yaml, load_json], ids=["yaml", "json"])
@pytest.mark.parametrize("text", ['{"a": [1, 2]}', '{"a": [1, 2'], ids=["valid", "invalid"])
def test_reading_pauses_the_garbage_collector_only_while_it_parses(read, text):
    assert gc.isenabled()
    with contextlib.suppress(InvalidRequestError):
        read(text)
    assert gc.isenabled()  # enabled again, whether the document was read or refused
    gc.disable()
    try:
        with contextlib.suppress(InvalidRequestError):
            read(text)
        assert not gc.isenabled()  # and left off when the caller had turned it off
    finally:
        gc.enable()


@pytest.mark.parametrize("read", [load_yaml, load_json], ids=["yaml", "json"])
def test_the_garbage_collector_does_not_run_while_a_document_is_built(read):
    """Its passes come back once the collector is on again (one pass, not one per 700
    new objects)."""
    text = dump_json({f"k{i}": [i, {"v": str(i)}] for i in range(3000)})  # 12,000 objects
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        doc = read(text)
        during = len(collections)
        copy = {f"k{i}": [i, {"v": str(i)}] for i in range(3000)}  # the same, not read
        outside = len(collections) - during
    finally:
        gc.callbacks.remove(count)
    assert doc == copy
    assert outside >= 5
    assert during <= 2
