"""Safe, deterministic JSON and YAML encoding and decoding.

YAML is read with ruamel's safe loader (libyaml-backed with ruamel.yaml.clib): no tags
that build objects, no aliases (a billion-laughs document cannot expand), bounded
nesting depth. Output is deterministic: same object, same bytes.
"""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.representer import SafeRepresenter

from .choices import Choice
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
                f"invalid YAML in {source}: YAML aliases are not allowed{_where(event)}"
            )
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidRequestError(
                    f"invalid YAML in {source}: maximum depth of {MAX_DEPTH} exceeded{_where(event)}"
                )
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1


def _where(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f" (line {mark.line + 1})" if mark is not None else ""


_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


class _Representer(SafeRepresenter):
    """Safe representer whose strings survive a round trip even with Unicode line breaks."""

    def represent_str(self, data: str) -> Any:
        if any(ch in data for ch in _LINE_BREAKS):  # escaped only in double quotes
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Representer.add_representer(str, _Representer.represent_str)


def _dumper() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep field order
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.allow_unicode = True
    return yaml


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
        except (YAMLError, RecursionError) as exc:
            raise InvalidRequestError(f"invalid YAML in {source}: {_one_line(exc)}") from None
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
    """Block-style YAML, 2-space indent, keys in the order given."""
    buf = io.StringIO()
    _dumper().dump(obj, buf)
    return buf.getvalue()


def dump(obj: Any, fmt: Format) -> str:
    """Encode in json or yaml; table output is rendered by the caller's own table view."""
    if fmt is Format.JSON:
        return dump_json(obj)
    if fmt is Format.YAML:
        return dump_yaml(obj)
    return render_table(obj)


def render_table(obj: Any) -> str:
    """A two-column FIELD/VALUE view of any document, keys flattened with dots."""
    rows = sorted(_flatten(obj, ""))
    if not rows:
        return "<empty>\n"
    width = max(len("FIELD"), *(len(k) for k, _ in rows))
    lines = [f"{'FIELD':<{width}}  VALUE", f"{'-----':<{width}}  -----"]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines) + "\n"


def _flatten(obj: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for key, value in obj.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(obj, list):
        out = []
        for i, value in enumerate(obj):
            out += _flatten(value, f"{prefix}[{i}]")
        return out
    if isinstance(obj, bool):
        return [(prefix, "true" if obj else "false")]
    return [(prefix, "" if obj is None else str(obj))]


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
