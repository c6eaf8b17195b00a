"""Reading and writing the documents of the command line (the CLI's I/O).

Sources and destinations:

- a file path;
- ``-`` for stdin / stdout;
- ``http://`` / ``https://`` URLs, read only (:mod:`cns_core.cli.urls`, imported when
  used): TLS verified, size-capped, held in memory (no temporary files), one time limit
  for the whole download however slowly the server sends, redirects only to http(s) and
  never from https to plain http;
- ``cm://namespace/name`` Kubernetes ConfigMaps (via :mod:`cns_core.k8s.configmap`,
  imported only when used), honouring ``kubeconfig``.

Inputs are recognised as JSON or YAML by their content, whatever their name; the
format of an output file is chosen by the caller (:func:`output_format`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .. import __version__
from ..errors import InvalidRequestError, NotFoundError
from ..serialize import Format, dump, load

MAX_INPUT_BYTES = 10 * 1024 * 1024
STDIO = "-"
CONFIGMAP_SCHEME = "cm://"
HTTP_SCHEMES = ("http://", "https://")
#: Per socket operation (connect, TLS handshake, each read) and for the whole download.
URL_SOCKET_TIMEOUT = 10.0
URL_TOTAL_TIMEOUT = 30.0
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VALID_SOURCES = "a file path, '-', an http(s):// URL or cm://namespace/name"

#: Renders a document as a table (commands with their own table view pass one).
TableRenderer = Callable[[Any], str]


def format_from_path(path: str) -> Format | None:
    """``.json`` → json, ``.yaml``/``.yml`` → yaml, any other name → None."""
    lower = path.lower()
    if lower.endswith(".json"):
        return Format.JSON
    if lower.endswith((".yaml", ".yml")):
        return Format.YAML
    return None


def is_file_destination(dest: str) -> bool:
    """Whether ``-o dest`` names a file (not stdout, a ConfigMap or a URL)."""
    text = dest.strip()
    return text not in ("", STDIO) and not _SCHEME_RE.match(text)


def read_document(source: str, *, kubeconfig: str | None = None) -> Any:
    """Read one JSON or YAML document from a file, ``-`` (stdin), a URL or a ConfigMap."""
    if source.startswith(CONFIGMAP_SCHEME):
        from ..k8s.configmap import read_configmap_document

        return read_configmap_document(source, kubeconfig=kubeconfig)
    if source == STDIO:
        text = sys.stdin.read(MAX_INPUT_BYTES + 1)
    elif source.lower().startswith(HTTP_SCHEMES):
        text = _read_url(source)
    else:
        _refuse_scheme(source)
        text = _read_file(source)
    if len(text) > MAX_INPUT_BYTES:
        raise InvalidRequestError(f"{source}: larger than {MAX_INPUT_BYTES} bytes")
    return load_detected(text, source)


def load_detected(text: str, source: str) -> Any:
    """Decode a JSON or YAML document, recognised by its content.

    Text that starts like JSON (``{`` or ``[``) is read as JSON, and as YAML only if it
    is not valid JSON (a YAML flow mapping); the JSON error is reported if neither
    reads. Plain text (a scalar, e.g. a table) is refused.
    """
    if not text.strip():
        raise InvalidRequestError(f"{source}: the document is empty")
    if text.lstrip().startswith(("{", "[")):
        try:
            return load(text, Format.JSON, source=source)
        except InvalidRequestError as json_error:
            try:
                return load(text, Format.YAML, source=source)
            except InvalidRequestError:
                raise json_error from None
    doc = load(text, Format.YAML, source=source)
    if isinstance(doc, str):
        raise InvalidRequestError(
            f"{source}: not a JSON or YAML document but plain text "
            "(the table format cannot be read back; use json or yaml)"
        )
    return doc


def write_document(
    doc: Any,
    dest: str,
    fmt: Format,
    *,
    kubeconfig: str | None = None,
    table: TableRenderer | None = None,
) -> None:
    """Write a document to a file, stdout (``-`` or empty) or a ConfigMap.

    ``table`` renders the table format when the document has its own table view (else
    its fields are listed flattened).
    """
    if fmt is Format.TABLE:
        from .tables import render_flat_table

        text = (table or render_flat_table)(doc)
    else:
        text = dump(doc, fmt)
    if dest.startswith(CONFIGMAP_SCHEME):
        _write_configmap(doc, dest, text, fmt, kubeconfig)
        return
    if dest.strip() in ("", STDIO):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if dest.lower().startswith(HTTP_SCHEMES):
        raise InvalidRequestError(
            f"cannot write to {dest}: URLs are read-only; use a file, - or cm://"
        )
    _refuse_scheme(dest)
    try:
        with open(dest, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InvalidRequestError(f"cannot write {dest}: {exc.strerror or exc}") from None


def _write_configmap(doc: Any, dest: str, text: str, fmt: Format, kubeconfig: str | None) -> None:
    from ..k8s.configmap import write_configmap_document

    meta = doc.get("metadata") if isinstance(doc, Mapping) else None
    meta = meta if isinstance(meta, Mapping) else {}
    write_configmap_document(
        dest,
        text,
        fmt,
        kubeconfig=kubeconfig,
        kind=str(doc.get("kind", "")) if isinstance(doc, Mapping) else "",
        version=meta.get("version"),
        timestamp=meta.get("timestamp"),
    )


def _refuse_scheme(location: str) -> None:
    match = _SCHEME_RE.match(location)
    if match:
        raise InvalidRequestError(
            f"{location}: unsupported scheme {match.group(0)!r}: use {_VALID_SOURCES}"
        )


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
    return _decode(data, path)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(f"{source}: not UTF-8 text") from None


def _read_url(url: str) -> str:
    """GET ``url`` into memory (cns_core.cli.urls: TLS verified, redirects only to http(s)
    and never from https to http, URL_TOTAL_TIMEOUT for everything however the server
    sends)."""
    from .urls import fetch

    data = fetch(
        url,
        max_bytes=MAX_INPUT_BYTES,
        socket_timeout=URL_SOCKET_TIMEOUT,
        total_timeout=URL_TOTAL_TIMEOUT,
        user_agent=f"cns/{__version__}",
    )
    return _decode(data, url)
