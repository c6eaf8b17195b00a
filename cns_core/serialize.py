"""Safe, deterministic JSON and YAML encoding and decoding.

YAML is read with ruamel's safe loader (libyaml-backed with ruamel.yaml.clib): no tags
that build objects, no aliases (a billion-laughs document cannot expand), bounded
nesting depth. YAML is written with PyYAML's libyaml emitter. Output is deterministic:
same object, same bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .choice_enum import Choice
from .errors import InvalidRequestError

MAX_DEPTH = 64


class Format(Choice):
    """Document formats cns reads and writes."""

    JSON = "json"
    YAML = "yaml"
    TABLE = "table"


def _check_events(text: str | bytes, source: str, *, pure: bool) -> None:
    """Refuse aliases (no document can expand exponentially) and nesting past MAX_DEPTH.

    A scan of the parser's events (libyaml speed with ruamel.yaml.clib), before any
    object is built.
    """
    depth = 0
    for event in YAML(typ="safe", pure=pure).parse(text):
        if isinstance(event, AliasEvent):
            raise InvalidRequestError(
                f"invalid YAML in {source}{_where(event)}: YAML aliases are not allowed"
            )
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidRequestError(
                    f"invalid YAML in {source}{_where(event)}: maximum depth of {MAX_DEPTH} exceeded"
                )
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1


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


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's safe dumper (libyaml's emitter when available), multi-line strings as
    literal blocks. One emitter for every YAML document cns writes: libyaml is an order
    of magnitude faster than ruamel's pure-Python emitter, which the bundle path felt."""


def _represent_str(dumper: Any, data: str) -> Any:
    style = "|" if "\n" in data else None  # the emitter falls back where a block cannot hold it
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


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


def load_yaml(text: str | bytes, *, source: str = "<input>", trusted: bool = False) -> Any:
    """Parse one YAML document safely; a second document in the stream is an error.

    Only the safe types are built (no tags that construct objects). Aliases and nesting
    deeper than MAX_DEPTH are refused first, unless ``trusted`` (data shipped inside
    the package).
    """
    try:
        docs = _load_all(text, source, trusted=trusted, pure=False)
    except YAMLError:  # libyaml refuses some valid YAML 1.2 (':' inside flow scalars)
        try:
            docs = _load_all(text, source, trusted=trusted, pure=True)
        except YAMLError as exc:
            raise _yaml_error(exc, text, source) from None
        except RecursionError:
            raise InvalidRequestError(f"invalid YAML in {source}: nested too deeply") from None
    if len(docs) > 1:
        raise InvalidRequestError(
            f"invalid YAML in {source}: expected one document, got {len(docs)}"
        )
    return docs[0] if docs else None


def _load_all(text: str | bytes, source: str, *, trusted: bool, pure: bool) -> list[Any]:
    if not trusted:
        _check_events(text, source, pure=pure)
    return list(YAML(typ="safe", pure=pure).load_all(text))


def load_json(text: str | bytes, *, source: str = "<input>") -> Any:
    """Parse JSON, rejecting nesting deeper than MAX_DEPTH."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"invalid JSON in {source}:{exc.lineno}:{exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(f"invalid JSON in {source}: {_one_line(exc)}") from None
    if _depth(value) > MAX_DEPTH:
        raise InvalidRequestError(f"invalid JSON in {source}: nesting deeper than {MAX_DEPTH}")
    return value


def load(text: str | bytes, fmt: Format, *, source: str = "<input>") -> Any:
    """Decode text in the given format (table cannot be decoded)."""
    if fmt is Format.JSON:
        return load_json(text, source=source)
    if fmt is Format.YAML:
        return load_yaml(text, source=source)
    raise InvalidRequestError(f"{source}: the table format cannot be read back; use json or yaml")


def dump_json(obj: Any) -> str:
    """JSON with 2-space indent and a trailing newline: the one JSON form cns emits."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def dump_yaml(obj: Any) -> str:
    """Block-style YAML of plain data, keys in the order given, no line folding.

    YAML 1.1 spellings such as ``yes``/``on`` are quoted (Helm's reader needs that to
    keep them strings); Unicode line breaks are escaped in double quotes, so every
    string survives a round trip.
    """
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )
    return text


def dump(obj: Any, fmt: Format) -> str:
    """Encode in json or yaml. Tables are views for people, drawn by the front end
    (``cns_core.cli.tables``), not an encoding: asking for one here is a bug."""
    if fmt is Format.JSON:
        return dump_json(obj)
    if fmt is Format.YAML:
        return dump_yaml(obj)
    raise ValueError(f"{fmt.value} is not a document encoding; render tables in the front end")


def _depth(value: Any) -> int:
    depth, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            depth = max(depth, level)
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            depth = max(depth, level)
            stack.extend((v, level + 1) for v in node)
    return depth


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _one_line_text(text: str) -> str:
    return " ".join(text.split())
