"""Reading and writing cns documents: files (format by extension) and ``-`` for stdin/stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import InvalidRequestError, NotFoundError
from .serialize import Format, dump, load

MAX_INPUT_BYTES = 10 * 1024 * 1024
STDIO = "-"


def format_from_path(path: str) -> Format:
    """``.json`` → json, ``.yaml``/``.yml`` → yaml; anything else is an error naming the valid ones."""
    lower = path.lower()
    if lower.endswith(".json"):
        return Format.JSON
    if lower.endswith((".yaml", ".yml")):
        return Format.YAML
    if lower.endswith((".table", ".txt")):
        raise InvalidRequestError(f"{path}: the table format cannot be read back; use json or yaml")
    raise InvalidRequestError(
        f"{path}: cannot tell the format from the file name: use .json, .yaml or .yml"
    )


def read_document(source: str) -> Any:
    """Read one JSON or YAML document from a file, or from stdin for ``-``."""
    if source == STDIO:
        text = sys.stdin.read(MAX_INPUT_BYTES + 1)
        fmt = Format.JSON if text.lstrip().startswith(("{", "[")) else Format.YAML
    else:
        text = _read_file(source)
        fmt = format_from_path(source)
    if len(text) > MAX_INPUT_BYTES:
        raise InvalidRequestError(f"{source}: larger than {MAX_INPUT_BYTES} bytes")
    if not text.strip():
        raise InvalidRequestError(f"{source}: the document is empty")
    return load(text, fmt, source=source)


def write_document(doc: Any, dest: str, fmt: Format) -> None:
    """Write a document to a file, or to stdout for ``-`` (or an empty destination)."""
    text = dump(doc, fmt)
    if dest.strip() in ("", STDIO):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(dest).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidRequestError(f"cannot write {dest}: {exc.strerror or exc}") from None


def _read_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidRequestError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InvalidRequestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"{path}: not UTF-8 text") from None
