"""Safe, deterministic JSON and YAML encoding and decoding.

YAML is read with ruamel's safe loader: no tags that build objects, no aliases
(a billion-laughs document cannot expand), bounded nesting depth. Output is
deterministic: same object, same bytes.
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import SafeRepresenter

from .errors import InvalidRequestError

MAX_DEPTH = 64


class Format(StrEnum):
    """Document formats cns reads and writes."""

    JSON = "json"
    YAML = "yaml"
    TABLE = "table"

    @classmethod
    def parse(cls, value: str) -> Format:
        try:
            return cls(value.strip().lower())
        except ValueError:
            valid = ", ".join(f.value for f in cls)
            raise InvalidRequestError(
                f"unknown format {value!r}: valid formats are {valid}"
            ) from None


class _NoAliasComposer(Composer):
    """Refuses YAML aliases so that no document can expand exponentially."""

    def return_alias(self, a: Any) -> Any:
        raise ComposerError(None, None, "YAML aliases are not allowed", a.start_mark)


def _loader(*, trusted: bool) -> YAML:
    if trusted:  # our own shipped data: libyaml speed when ruamel.yaml.clib is present
        return YAML(typ="safe")
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _NoAliasComposer
    yaml.max_depth = MAX_DEPTH
    return yaml


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

    ``trusted`` is only for data shipped inside the package: it skips the alias and
    depth guards (which need the pure-Python parser) for the C parser's speed.
    """
    try:
        docs = list(_loader(trusted=trusted).load_all(text))
    except (YAMLError, RecursionError) as exc:
        raise InvalidRequestError(f"invalid YAML in {source}: {_one_line(exc)}") from None
    if len(docs) > 1:
        raise InvalidRequestError(
            f"invalid YAML in {source}: expected one document, got {len(docs)}"
        )
    return docs[0] if docs else None


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
