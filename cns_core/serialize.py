"""Safe, deterministic JSON and YAML encoding and decoding.

YAML is read as ruamel's safe loader reads it (YAML 1.2): no tags that build objects, no
aliases (a billion-laughs document cannot expand), bounded nesting depth. Documents made
of plain data are composed by libyaml through PyYAML and built by one walk
(:func:`_load_fast`, 3 to 4 times faster); anything else goes through ruamel
(libyaml-backed with ruamel.yaml.clib), imported only then. Untrusted documents (JSON and YAML alike) must be plain data: mappings
with string keys, lists, strings, numbers, booleans and null (YAML timestamps stay
strings, as Helm reads them), no lone surrogates, integers of at most 4300 digits, and,
when the caller caps it, at most ``max_nodes`` keys and values. YAML is written with
PyYAML's libyaml emitter. Output is deterministic: same object, same bytes.

PyYAML itself is imported on the first YAML document read or written (about 10 ms of
start-up that ``cns recipe -t json`` and ``cns validate`` of JSON documents never pay).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

from .choice_enum import Choice
from .errors import InvalidRequestError
from .lru import LRUCache

MAX_DEPTH = 64
#: libyaml refuses some valid YAML 1.2 (':' inside flow scalars); such a document is parsed
#: again by ruamel's pure-Python parser (about 10x slower) only up to this size.
MAX_PURE_YAML_BYTES = 64 * 1024
_PLAIN_SCALARS = (str, int, float, bool, type(None))


class Format(Choice):
    """Document formats cns reads and writes."""

    JSON = "json"
    YAML = "yaml"
    TABLE = "table"


def _check_events(
    text: str | bytes, source: str, *, pure: bool, max_nodes: int | None = None
) -> None:
    """Refuse aliases (no document can expand exponentially), nesting past MAX_DEPTH and
    more than ``max_nodes`` keys and values.

    A scan of the parser's events (libyaml speed with ruamel.yaml.clib), before any
    object is built.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.events import (
        AliasEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    depth = 0
    nodes = 0
    for event in YAML(typ="safe", pure=pure).parse(text):
        if isinstance(event, AliasEvent):
            raise InvalidRequestError(
                f"invalid YAML in {source}{_where(event)}: YAML aliases are not allowed"
            )
        if isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent):
            nodes += 1
            if max_nodes is not None and nodes > max_nodes:
                raise too_many_nodes(source, max_nodes)
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidRequestError(
                    f"invalid YAML in {source}{_where(event)}: maximum depth of {MAX_DEPTH} exceeded"
                )
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1


def too_many_nodes(source: str, max_nodes: int) -> InvalidRequestError:
    """The error of a document with more than ``max_nodes`` keys and values."""
    return InvalidRequestError(
        f"{source} has more than {max_nodes} keys and values: at most {max_nodes} are allowed",
        details={"limit": max_nodes},
    )


def _where(event: Any) -> str:
    """``:line:col`` of a parser event (1-based, as editors count), or ``""``."""
    return _mark(getattr(event, "start_mark", None))


def _mark(mark: Any) -> str:
    if mark is None or getattr(mark, "line", None) is None:
        return ""
    return f":{mark.line + 1}:{mark.column + 1}"


def _yaml_error(exc: BaseException, text: str | bytes, source: str) -> InvalidRequestError:
    """``invalid YAML in SOURCE:LINE:COL: problem (context at LINE:COL)``: a position an
    editor jumps to, then what is wrong."""
    problem = getattr(exc, "problem", None)
    if problem is None:  # a reader error (bad character) knows its offset only
        position = getattr(exc, "position", None)
        where = _offset(text, position) if isinstance(position, int) else ""
        message = _one_line(exc).split(' in "', 1)[0]
        return InvalidRequestError(f"invalid YAML in {source}{where}: {message}")
    detail, context = "", getattr(exc, "context", None)
    if context:
        at = _mark(getattr(exc, "context_mark", None))
        detail = f" ({context} at {at[1:]})" if at else f" ({context})"
    where = _mark(getattr(exc, "problem_mark", None))
    return InvalidRequestError(
        f"invalid YAML in {source}{where}: {_one_line_text(problem)}{detail}"
    )


def _offset(text: str | bytes, position: int) -> str:
    head = text[:position]
    newline = "\n" if isinstance(head, str) else b"\n"
    line = head.count(newline)  # type: ignore[arg-type]
    column = position - (head.rfind(newline) + 1)  # type: ignore[arg-type]
    return f":{line + 1}:{column + 1}"


def _yaml() -> Any:
    """The ``yaml`` module (PyYAML), imported on first use."""
    import yaml

    return yaml


@functools.cache
def _dumper() -> Any:
    """PyYAML's safe dumper (libyaml's emitter when available), multi-line strings as
    literal blocks. One emitter for every YAML document cns writes: libyaml is an order
    of magnitude faster than ruamel's pure-Python emitter, which the bundle path felt."""
    yaml = _yaml()

    class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        pass

    _Dumper.add_representer(str, _represent_str)
    # Strings that YAML 1.2 readers (ruamel, Helm's) resolve as numbers but YAML 1.1 would
    # not (`0E0`, `1e3`, `0o17`) must be quoted too: the emitter quotes whatever its
    # resolver does not read back as a string.
    # ruamel's resolvers also allow `_` between digits (and then fail on `+_`, `._`,
    # `0o_`), so those spellings are quoted as well.
    _Dumper.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(\.[0-9_]+|[0-9_]+(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$"),
        list("-+.0123456789_"),
    )
    _Dumper.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9_]+$"), list("-+0123456789_")
    )
    _Dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^0o[0-7_]+$"), ["0"])
    # Helm reads values with go-yaml v2, whose YAML 1.1 booleans include y/Y/n/N (PyYAML's
    # do not): unquoted, a --set value "y" would reach a chart as true.
    _Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^[yYnN]$"), list("yYnN"))
    return _Dumper


def _represent_str(dumper: Any, data: str) -> Any:
    style = "|" if "\n" in data else None  # the emitter falls back where a block cannot hold it
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


@functools.cache
def _plain_constructor() -> Any:
    """ruamel's safe constructor, but timestamps stay strings (as JSON and Helm see them)."""
    from ruamel.yaml.constructor import SafeConstructor

    class PlainConstructor(SafeConstructor):
        pass

    PlainConstructor.add_constructor(
        "tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str
    )
    return PlainConstructor


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a document is read and checked.

    A document being built is a tree (a YAML alias can make a cycle; it is refused, and
    the collector finds it later), so each pass of the collector over every live object
    finds nothing here: those passes took a fifth of reading a 1,900-line snapshot.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@_collector_paused()
def load_yaml(
    text: str | bytes,
    *,
    source: str = "<input>",
    trusted: bool = False,
    max_nodes: int | None = None,
) -> Any:
    """Parse one YAML document safely; a second document in the stream is an error.

    Only the safe types are built (no tags that construct objects). Unless ``trusted``
    (data shipped inside the package), aliases, nesting deeper than MAX_DEPTH and more
    than ``max_nodes`` keys and values are refused before anything is built, and the
    result must be plain data (see the module docstring).
    """
    doc, plain = _read_fast(text, trusted=trusted, max_nodes=max_nodes)
    if doc is _UNHANDLED:
        doc, plain = _load_ruamel(text, source, trusted=trusted, max_nodes=max_nodes), False
    if not trusted and not plain:
        check_plain(doc, f"YAML in {source}", max_nodes=None)
    return doc


def _load_ruamel(text: str | bytes, source: str, *, trusted: bool, max_nodes: int | None) -> Any:
    """ruamel's reading, guarded: the reference that :func:`_load_fast` matches."""
    from ruamel.yaml.error import YAMLError

    try:
        docs = _load_all(text, source, trusted=trusted, pure=False, max_nodes=max_nodes)
    except YAMLError as exc:  # libyaml refuses some valid YAML 1.2 (':' inside flow scalars)
        if len(text) > MAX_PURE_YAML_BYTES:
            raise _yaml_error(exc, text, source) from None
        try:
            docs = _load_all(text, source, trusted=trusted, pure=True, max_nodes=max_nodes)
        except YAMLError as exc:
            raise _yaml_error(exc, text, source) from None
        except RecursionError:
            raise InvalidRequestError(f"invalid YAML in {source}: nested too deeply") from None
    except ValueError as exc:  # a constructor refused a scalar (an integer of > 4300 digits)
        raise InvalidRequestError(f"invalid YAML in {source}: {_value_error(exc)}") from None
    if len(docs) > 1:
        raise InvalidRequestError(
            f"invalid YAML in {source}: expected one document, got {len(docs)}"
        )
    return docs[0] if docs else None


def _load_all(
    text: str | bytes, source: str, *, trusted: bool, pure: bool, max_nodes: int | None
) -> list[Any]:
    from ruamel.yaml import YAML

    if not trusted:
        _check_events(text, source, pure=pure, max_nodes=max_nodes)
    loader = YAML(typ="safe", pure=pure)
    if not trusted:
        loader.Constructor = _plain_constructor()
    return list(loader.load_all(text))


#: What :func:`_load_fast` returns for a document it leaves to ruamel.
_UNHANDLED: Any = object()
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ, _TIMESTAMP = (
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


#: ruamel's YAML 1.2 implicit resolvers (ruamel.yaml.resolver.implicit_resolvers), in its
#: order: (tag, pattern, first characters). Copied so that reading needs no ruamel import;
#: tests/test_serialize.py checks that they are still ruamel's.
RESOLVERS_1_2 = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "float",
        r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "int",
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    ("merge", r"^(?:<<)$", "<"),
    (
        "null",
        r"""^(?: ~
        |null|Null|NULL
        | )$""",
        ("~", "n", "N", ""),
    ),
    (
        "timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        "0123456789",
    ),
    ("value", r"^(?:=)$", "="),
    ("yaml", r"^(?:!|&|\*)$", "!&*"),
)


_PLAIN_FIRST = frozenset(char for _, _, first in RESOLVERS_1_2 for char in first)


def plain_scalar_tag(value: str) -> str:
    """The tag YAML 1.2 (ruamel's resolvers) gives the plain scalar ``value``."""
    if value[:1] not in _PLAIN_FIRST:
        return _STR
    match = _plain_scalar_pattern().match(value)
    return _STR if match is None else f"tag:yaml.org,2002:{match.lastgroup}"


@functools.cache
def _plain_scalar_pattern() -> re.Pattern[str]:
    """One alternation of RESOLVERS_1_2 in their order: the first pattern that matches
    names the tag (its group), as ruamel's resolver tries them one by one. Each pattern's
    first characters are among those listed with it, so a scalar whose first character is
    in none of the lists (most strings) is a string without a match."""
    return re.compile(
        "|".join(f"(?P<{name}>{pattern})" for name, pattern, _ in RESOLVERS_1_2), re.X
    )


@functools.cache
def _composer() -> Any:
    """libyaml's parser and composer (PyYAML's C loader), resolving plain scalars as
    ruamel's YAML 1.2 does (:func:`plain_scalar_tag`); None without libyaml."""
    yaml = _yaml()
    if not hasattr(yaml, "CBaseLoader"):
        return None
    scalar_node, sequence_node = yaml.ScalarNode, yaml.SequenceNode

    class _Composer12(yaml.CBaseLoader):  # type: ignore[name-defined]
        # No path resolvers: the composer's calls to these hooks go to C builtins that do
        # nothing.
        descend_resolver: Any = {}.get
        ascend_resolver: Any = tuple

        def resolve(self, kind: Any, value: Any, implicit: tuple[bool, bool]) -> Any:
            """A plain scalar's YAML 1.2 tag; a quoted scalar, a sequence and a mapping
            get PyYAML's default tags, as its BaseResolver.resolve gives them."""
            if kind is not scalar_node:
                return _SEQ if kind is sequence_node else _MAP
            return plain_scalar_tag(value) if implicit[0] else _STR

    return _Composer12


def _load_fast(text: str | bytes, *, trusted: bool = False, max_nodes: int | None = None) -> Any:
    """The document as :func:`_load_ruamel` builds it, or _UNHANDLED to let ruamel do it.

    libyaml composes the node graph in C (nesting capped by libyaml at 1,000) and one walk
    builds the plain data. It handles what documents here are made of: mappings with
    scalar keys, sequences, strings, integers, floats, booleans and nulls under YAML 1.2
    resolution, and timestamps (strings, unless ``trusted``). Anything else (a %YAML
    directive, an alias, a tag that builds something else, a merge key, a duplicate or
    complex key, nesting past MAX_DEPTH, more than ``max_nodes`` keys and values, a
    libyaml error, several documents) goes to the ruamel path, whose checks and errors
    are the reference: same input, same result (tests/test_serialize.py).
    """
    return _read_fast(text, trusted=trusted, max_nodes=max_nodes)[0]


def _read_fast(text: str | bytes, *, trusted: bool, max_nodes: int | None) -> tuple[Any, bool]:
    """(:func:`_load_fast`'s document, whether it is known to pass :func:`check_plain`).

    The walk sees every key; a string can hold a lone surrogate only if the text has one
    or a ``\\u`` escape: without either and with string keys only, the check is done.
    """
    if ("%" in text[:1] or "\n%" in text) if isinstance(text, str) else b"%" in text:
        return _UNHANDLED, False
    composer = _composer()
    if composer is None:
        return _UNHANDLED, False
    yaml = _yaml()
    try:
        node = yaml.compose(text, Loader=composer)
        if node is None:
            return None, True
        walk = _Walk(
            trusted, max_nodes, anchors="&" in text if isinstance(text, str) else b"&" in text
        )
        doc = walk.build(node, 1)
    except (yaml.YAMLError, _Unhandled, ValueError, RecursionError):
        return _UNHANDLED, False
    if isinstance(text, str):
        escapes = "\\u" in text or "\\U" in text or _lone_surrogate(text) is not None
    else:
        escapes = b"\\u" in text or b"\\U" in text
    return doc, walk.string_keys and not escapes


class _Unhandled(Exception):
    """The document needs ruamel's full loader."""


class _Walk:
    """One walk over a composed node graph, building plain data as ruamel's loader would."""

    def __init__(self, trusted: bool, max_nodes: int | None, *, anchors: bool = True) -> None:
        """``anchors``: the text may hold an anchor (it has an ``&``), and so aliases."""
        self.trusted = trusted
        self.left = max_nodes if max_nodes is not None else -1
        #: The nodes built so far, when an alias (a node met twice) is possible.
        self.seen: set[int] | None = set() if anchors else None
        #: Every mapping key was a string (check_plain's rule for untrusted documents).
        self.string_keys = True

    def build(self, node: Any, depth: int) -> Any:
        if self.left >= 0:
            self.left -= 1
            if self.left < 0:
                raise _Unhandled  # more than max_nodes: ruamel's path refuses it
        if self.seen is not None:
            if id(node) in self.seen:
                raise _Unhandled  # an alias: ruamel's path refuses it with its message
            self.seen.add(id(node))
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _MAP:
            if depth > MAX_DEPTH:
                raise _Unhandled
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, depth + 1)
                if key_node.tag not in _SCALAR_TAGS or key in out:
                    raise _Unhandled  # a complex or merge key, or a duplicate: ruamel's errors
                if type(key) is not str:
                    self.string_keys = False
                out[key] = self.build(value_node, depth + 1)
            return out
        if tag == _SEQ:
            if depth > MAX_DEPTH:
                raise _Unhandled
            return [self.build(item, depth + 1) for item in node.value]
        if tag == _INT:
            return _int(node.value)
        if tag == _BOOL:
            return node.value.lower() == "true"
        if tag == _NULL:
            return None
        if tag == _FLOAT:
            return _float(node.value)
        if tag == _TIMESTAMP and not self.trusted:
            return node.value  # untrusted timestamps stay strings (_plain_constructor)
        raise _Unhandled


_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL})


def _int(text: str) -> int:
    """ruamel's YAML 1.2 integer: underscores dropped, 0b/0o/0x prefixes, else decimal."""
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    """ruamel's YAML 1.2 float: underscores dropped, .inf and .nan."""
    digits = text.replace("_", "").lower()
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == ".inf":
        return sign * math.inf
    if digits == ".nan":
        return math.nan
    return sign * float(digits)


@_collector_paused()
def load_json(text: str | bytes, *, source: str = "<input>", max_nodes: int | None = None) -> Any:
    """Parse JSON: at most MAX_DEPTH levels of nesting and ``max_nodes`` keys and values,
    no lone surrogates."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"invalid JSON in {source}:{exc.lineno}:{exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(f"invalid JSON in {source}: {_value_error(exc)}") from None
    check_plain(value, f"JSON in {source}", max_nodes=max_nodes)
    return value


def check_plain(value: Any, what: str, *, max_nodes: int | None = None) -> None:
    """Refuse what a JSON document cannot hold or cns cannot process safely: nesting past
    MAX_DEPTH, more than ``max_nodes`` keys and values, keys that are not strings, values
    that are not JSON types (YAML sets, binary, complex keys) and lone surrogates.

    ``what`` names the document in errors ("JSON in request body"). Iterative: any depth.
    """
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        nodes += 1
        if isinstance(node, str):
            _check_text(node, what)
        elif isinstance(node, dict):
            if level > MAX_DEPTH:
                raise InvalidRequestError(f"invalid {what}: nesting deeper than {MAX_DEPTH}")
            nodes += len(node)
            for key, child in node.items():
                if not isinstance(key, str):
                    raise InvalidRequestError(
                        f"invalid {what}: mapping key {_shown(key)} is not a string: "
                        "keys must be strings (quote it)"
                    )
                _check_text(key, what)
                stack.append((child, level + 1))
        elif isinstance(node, list):
            if level > MAX_DEPTH:
                raise InvalidRequestError(f"invalid {what}: nesting deeper than {MAX_DEPTH}")
            stack.extend((child, level + 1) for child in node)
        elif not isinstance(node, _PLAIN_SCALARS):
            raise InvalidRequestError(
                f"invalid {what}: unsupported value of type {type(node).__name__}: use "
                "mappings, lists, strings, numbers, booleans and null"
            )
        if max_nodes is not None and nodes > max_nodes:
            raise too_many_nodes(what.partition(" in ")[2] or what, max_nodes)


def _lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, or None: an ASCII string (known in O(1)) has
    none, and UTF-8 cannot encode one."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return str(exc.object[exc.start])
    return None


def _check_text(text: str, what: str) -> None:
    surrogate = _lone_surrogate(text)
    if surrogate is not None:
        raise InvalidRequestError(
            f"invalid {what}: a string holds the lone surrogate {surrogate!a} "
            "(escape a character outside the Basic Multilingual Plane as a surrogate pair, "
            "or send it as UTF-8)"
        )


def _shown(key: Any) -> str:
    text = ascii(key) if isinstance(key, str | bytes) else repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_error(exc: BaseException) -> str:
    text = _one_line(exc)
    if "integer string conversion" in text:
        return f"an integer has more than {sys.get_int_max_str_digits()} digits"
    return text


def load(
    text: str | bytes, fmt: Format, *, source: str = "<input>", max_nodes: int | None = None
) -> Any:
    """Decode text in the given format (table cannot be decoded); ``max_nodes`` caps the
    number of keys and values."""
    if fmt is Format.JSON:
        return load_json(text, source=source, max_nodes=max_nodes)
    if fmt is Format.YAML:
        return load_yaml(text, source=source, max_nodes=max_nodes)
    raise InvalidRequestError(f"{source}: the table format cannot be read back; use json or yaml")


def dump_json(obj: Any) -> str:
    """JSON with 2-space indent and a trailing newline: the one JSON form cns emits."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def dump_yaml(obj: Any) -> str:
    """Block-style YAML of plain data, keys in the order given, no line folding.

    YAML 1.1 spellings such as ``yes``/``on`` are quoted (Helm's reader needs that to
    keep them strings); Unicode line breaks are escaped in double quotes, so every
    string survives a round trip.

    A mapping at the root is written entry by entry: in block style each root entry's
    text depends on that entry alone, so the text of an entry seen before (same key and
    value, compared by ``repr``, which tells ``1``, ``'1'``, ``1.0`` and ``True`` apart) is
    reused. Bundles write the same component values again and again; the output is the
    same bytes as one ``yaml.dump`` of the whole document (tests/test_serialize.py).
    """
    if type(obj) is dict and obj:
        joined = joined_entries([_entry_text(key, value) for key, value in obj.items()])
        if joined is not None:
            return joined
    return _dump_yaml(obj)


def root_entry(key: Any, value: Any) -> str:
    """The text of the root entry ``key: value`` as :func:`dump_yaml` writes it in a
    mapping (remembered, as there)."""
    return _entry_text(key, value)


def joined_entries(entries: list[str]) -> str | None:
    """Root entry texts (:func:`root_entry`) as the document of their mapping, or None
    where there are none (``{}``) or one ends open-ended: then only a dump of the whole
    mapping writes it."""
    if not entries or any(entry.endswith(_OPEN_END) for entry in entries):
        return None
    return "".join(entries)


def _dump_yaml(obj: Any) -> str:
    text: str = _yaml().dump(
        obj,
        Dumper=_dumper(),
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )
    return text


#: A document whose last scalar is open-ended (``|+``, a bare root scalar) ends with this
#: marker, which belongs at the end of the whole document only: such an entry is not split.
_OPEN_END = "\n...\n"


#: Root-entry texts by ``repr((key, value))`` (which tells ``1``, ``'1'``, ``1.0`` and
#: ``True`` apart), with what each holds (fingerprint and text) as its weight; an entry
#: bigger than a sixteenth of the memo is not worth keeping.
_ENTRY_BYTES = 2 * 1024 * 1024
_ENTRIES = LRUCache[tuple[str, int]](
    sys.maxsize,
    max_weight=_ENTRY_BYTES,
    weight=lambda entry: entry[1],
    max_entry_weight=_ENTRY_BYTES // 16,
)


def _entry_text(key: Any, value: Any, *, nested: bool = True) -> str:
    """The block-style text of the root entry ``key: value``, remembered.

    An entry whose value is a mapping is, when missing, put together from the texts of
    that mapping's own entries, each indented by two spaces (block style indents a
    nested mapping so), so that a document nesting another one seen before (the
    umbrella chart's values.yaml holds every component's values file under its name)
    reuses that one's entries. Only where no scalar spans lines: the continuation lines
    of a multi-line quoted scalar are not indented with their entry.
    """
    fingerprint = repr((key, value))
    cached = _ENTRIES.get(fingerprint)
    if cached is not None:
        return cached[0]
    composed = None
    if nested and type(value) is dict and not _LINE_BREAK_ESCAPE.search(fingerprint):
        composed = _composed(key, value)
    text = composed if composed is not None else _dump_yaml({key: value})
    _ENTRIES.put(fingerprint, (text, len(fingerprint) + len(text)))
    return text


def _composed(key: Any, value: dict[Any, Any]) -> str | None:
    """``key:`` and the texts of ``value``'s entries, indented; None where block style
    would not write it so (an empty mapping, a key that is not one plain line)."""
    if not value:
        return None
    head = _entry_text(key, {}, nested=False)
    if not head.endswith(": {}\n") or head.count("\n") != 1:
        return None
    children = joined_entries([_entry_text(k, v, nested=False) for k, v in value.items()])
    return None if children is None else head[:-4] + "\n" + _indented(children)


def _indented(text: str) -> str:
    """``text`` (lines ending in ``\\n``) two spaces to the right."""
    return "  " + text[:-1].replace("\n", "\n  ") + "\n"


#: A YAML line break (LF, CR, NEL, LS, PS) as ``repr`` writes it inside a string.
_LINE_BREAK_ESCAPE = re.compile(r"\\(?:n|r|x85|u2028|u2029)")


def dump(obj: Any, fmt: Format) -> str:
    """Encode in json or yaml. Tables are views for people, drawn by the front end
    (``cns_core.cli.tables``), not an encoding: asking for one here is a bug."""
    if fmt is Format.JSON:
        return dump_json(obj)
    if fmt is Format.YAML:
        return dump_yaml(obj)
    raise ValueError(f"{fmt.value} is not a document encoding; render tables in the front end")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _one_line_text(text: str) -> str:
    return " ".join(text.split())
