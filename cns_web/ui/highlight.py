"""Server-side syntax highlighting of YAML and JSON: escaped text in ``<span class=…>``.

Highlighting only ever wraps text in spans: removing the tags and unescaping gives
back the input exactly (the tests check this), so nothing a reader copies differs
from what cns emits. The tokenizers know the block style ``cns_core.serialize``
writes (keys, list markers, plain and quoted scalars, block scalars); anything
else is still shown, just less coloured.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markupsafe import Markup, escape

#: CSS classes (styled in cns_web/assets/ui.css).
KEY, STRING, NUMBER, BOOLEAN, NULL, PUNCT, COMMENT = (
    "y-key",
    "y-str",
    "y-num",
    "y-bool",
    "y-null",
    "y-punct",
    "y-comment",
)

_KEY_RE = re.compile(
    r"""(?P<indent>[ ]*)(?P<dashes>(?:-[ ]+)*)"""
    r"""(?P<key>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#:\-?][^#]*?|-[^\s#][^#]*?)"""
    r"""(?P<colon>:)(?=[ ]|$)(?P<rest>.*)$"""
)
_ITEM_RE = re.compile(r"(?P<indent>[ ]*)(?P<dashes>(?:-[ ]+|-$)+)(?P<rest>.*)$")
_NUMBER_RE = re.compile(
    r"[-+]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\.inf|\.Inf|\.INF)"
    r"|\.nan|\.NaN|\.NAN|0x[0-9a-fA-F]+|0o[0-7]+"
)
_BOOLEANS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})
_NULLS = frozenset({"null", "Null", "NULL", "~"})
_BLOCK_RE = re.compile(r"[|>][-+0-9]*")
_JSON_TOKEN_RE = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"""
    r"""|(?P<word>true|false|null)|(?P<punct>[{}\[\],])"""
)


def _span(cls: str, text: str) -> str:
    return f'<span class="{cls}">{escape(text)}</span>' if text else ""


def _scalar_class(text: str) -> str:
    if text in _BOOLEANS:
        return BOOLEAN
    if text in _NULLS:
        return NULL
    if text in ("{}", "[]"):
        return PUNCT
    if _NUMBER_RE.fullmatch(text):
        return NUMBER
    return STRING


def _open_quote(text: str) -> str:
    """The quote character of a quoted scalar that does not end on this line, else ``""``."""
    if not text or text[0] not in "'\"":
        return ""
    quote, i = text[0], 1
    while i < len(text):
        char = text[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return ""
        i += 1
    return quote


def _closes(line: str, quote: str) -> bool:
    """Whether a continuation line of a quoted scalar closes it."""
    return _open_quote(quote + line) == ""


def _value(text: str) -> str:
    """A value after ``key:`` or ``- `` (with its leading blanks)."""
    stripped = text.lstrip(" ")
    return str(escape(text[: len(text) - len(stripped)])) + _span(_scalar_class(stripped), stripped)


def highlight_yaml(text: str) -> Markup:
    """YAML as HTML spans (keys, strings, numbers, booleans, nulls, punctuation)."""
    return Markup("".join(_yaml_lines(text)))


def _yaml_lines(text: str) -> Iterator[str]:
    block_indent = -1  # inside a block scalar: lines indented more than this are content
    quote = ""  # inside a multi-line quoted scalar
    lines = text.split("\n")  # not splitlines(): U+2028 and friends are not line ends here
    for number, body in enumerate(lines):
        newline = "\n" if number < len(lines) - 1 else ""
        indent = len(body) - len(body.lstrip(" "))
        if quote:
            yield _span(STRING, body) + newline
            if _closes(body.lstrip(" "), quote):
                quote = ""
            continue
        if block_indent >= 0:
            if not body.strip() or indent > block_indent:
                yield _span(STRING, body) + newline
                continue
            block_indent = -1
        if body.lstrip(" ").startswith("#"):
            yield _span(COMMENT, body) + newline
            continue
        match = _KEY_RE.match(body)
        if match:
            rest = match["rest"]
            parts = [
                escape(match["indent"]),
                _span(PUNCT, match["dashes"]),
                _span(KEY, match["key"]),
                _span(PUNCT, match["colon"]),
            ]
            block_indent_here = indent + len(match["dashes"])  # the key's column
        else:
            item = _ITEM_RE.match(body)
            if item is None:
                yield (_span(STRING, body) if body.strip() else str(escape(body))) + newline
                continue
            rest = item["rest"]
            parts = [escape(item["indent"]), _span(PUNCT, item["dashes"])]
            block_indent_here = indent + len(item["dashes"].rstrip(" ")) - 1  # the last dash
        value = rest.strip(" ")
        if _BLOCK_RE.fullmatch(value):
            block_indent = block_indent_here
            parts.append(escape(rest[: len(rest) - len(rest.lstrip(" "))]))
            parts.append(_span(PUNCT, rest.lstrip(" ")))
        else:
            quote = _open_quote(value)
            parts.append(_value(rest))
        yield "".join(parts) + newline


def highlight_json(text: str) -> Markup:
    """JSON as HTML spans: keys, strings, numbers, literals and punctuation."""
    out: list[str] = []
    last = 0
    for match in _JSON_TOKEN_RE.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        if match["str"] is not None:
            if match["colon"] is not None:
                out.append(_span(KEY, match["str"]) + _span(PUNCT, match["colon"]))
            else:
                out.append(_span(STRING, match["str"]))
        elif match["num"] is not None:
            out.append(_span(NUMBER, match["num"]))
        elif match["word"] is not None:
            out.append(_span(NULL if match["word"] == "null" else BOOLEAN, match["word"]))
        else:
            out.append(_span(PUNCT, match["punct"]))
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
