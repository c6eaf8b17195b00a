"""Fast, deterministic YAML for bundle files.

Bundles dump a lot of values; ruamel's pure-Python emitter dominated the build time,
so bundle files go through PyYAML's libyaml emitter (the pure-Python PyYAML emitter,
which writes the same bytes, when libyaml is missing). Output: block style, keys in
the order given, 2-space indent, no line folding, multi-line strings as ``|`` blocks.
YAML 1.1 spellings such as ``yes``/``on`` are quoted, which is what Helm's YAML
reader needs to keep them strings.
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):
    """Safe dumper whose multi-line strings are literal blocks."""


def _represent_str(dumper: Any, data: str) -> Any:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(obj: Any) -> str:
    """Block-style YAML of plain data (dicts, lists, scalars), keys in the order given."""
    text: str = yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )
    return text
