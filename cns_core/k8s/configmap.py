"""cns documents in ConfigMaps, addressed as ``cm://namespace/name``.

A written ConfigMap holds one document under a key named after its kind
(``snapshot.yaml``, ``recipe.json``, ``validation.yaml`` …) plus ``format`` and
``timestamp``, and carries the labels ``app.kubernetes.io/name=cns``,
``app.kubernetes.io/component=<kind>`` and ``app.kubernetes.io/version``. It is
written by server-side apply (field manager ``cns``, forced), so a later write by cns
replaces its earlier keys. The reader also accepts upstream's ConfigMaps, which always
use ``snapshot.<ext>`` keys, and a ConfigMap holding a single ``*.yaml``/``*.json`` key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import InvalidRequestError
from ..serialize import Format, load
from .names import check_dns_label, check_dns_subdomain, label_value

SCHEME = "cm://"
FIELD_MANAGER = "cns"
TIMEOUT = 30.0
#: the API server refuses ConfigMaps over 1 MiB; keep room for metadata
MAX_DOCUMENT_BYTES = 1_000_000

_EXTENSIONS = {Format.JSON: "json", Format.YAML: "yaml", Format.TABLE: "txt"}
_EXTENSION_BY_FORMAT_FIELD = {f.value: ext for f, ext in _EXTENSIONS.items()}
_FORMATS_BY_EXTENSION = {"json": Format.JSON, "yaml": Format.YAML, "yml": Format.YAML}
_STEMS = {
    "snapshot": "snapshot",
    "recipe": "recipe",
    "reciperesult": "recipe",
    "recipecriteria": "criteria",
    "validation": "validation",
    "validationresult": "validation",
}
_KNOWN_STEMS = ("snapshot", "recipe", "validation", "criteria")
_URI_HELP = "expected cm://<namespace>/<name>, e.g. cm://gpu-operator/cns-snapshot"


def is_configmap_uri(value: str) -> bool:
    """True when ``value`` names a ConfigMap (``cm://…``)."""
    return value.strip().startswith(SCHEME)


def parse_configmap_uri(uri: str) -> tuple[str, str]:
    """Split ``cm://namespace/name`` into its parts, with an error naming what is wrong."""
    text = uri.strip()
    if not text.startswith(SCHEME):
        raise InvalidRequestError(f"invalid ConfigMap URI {uri!r}: {_URI_HELP}")
    parts = text[len(SCHEME) :].split("/")
    if parts == [""]:
        raise InvalidRequestError(
            f"invalid ConfigMap URI {uri!r}: namespace and name are missing; {_URI_HELP}"
        )
    if len(parts) == 1:
        raise InvalidRequestError(
            f"invalid ConfigMap URI {uri!r}: the name is missing; {_URI_HELP}"
        )
    if len(parts) > 2:
        raise InvalidRequestError(
            f"invalid ConfigMap URI {uri!r}: too many '/' segments; {_URI_HELP}"
        )
    namespace, name = parts
    if not namespace:
        raise InvalidRequestError(
            f"invalid ConfigMap URI {uri!r}: the namespace is empty; {_URI_HELP}"
        )
    if not name:
        raise InvalidRequestError(f"invalid ConfigMap URI {uri!r}: the name is empty; {_URI_HELP}")
    try:
        check_dns_label(namespace, "namespace")
        check_dns_subdomain(name, "ConfigMap name")
    except InvalidRequestError as exc:
        raise InvalidRequestError(f"invalid ConfigMap URI {uri!r}: {exc.message}") from None
    return namespace, name


def document_key(kind: str, fmt: Format) -> str:
    """The data key a document of ``kind`` is stored under, e.g. ``snapshot.yaml``."""
    stem = _STEMS.get(kind.lower()) or label_value(kind.lower()).replace("_", "-")
    return f"{stem}.{_EXTENSIONS[fmt]}"


def configmap_manifest(
    namespace: str,
    name: str,
    text: str,
    fmt: Format,
    *,
    kind: str,
    version: str | None,
    timestamp: str | None,
) -> dict[str, Any]:
    """The ConfigMap object that holds one document (what server-side apply sends)."""
    size = len(text.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidRequestError(
            f"cannot store the {kind} in ConfigMap {namespace}/{name}: it is {size} bytes, "
            f"ConfigMaps hold at most {MAX_DOCUMENT_BYTES}; write it to a file instead"
        )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "cns",
                "app.kubernetes.io/managed-by": FIELD_MANAGER,
                "app.kubernetes.io/component": label_value(kind),
                "app.kubernetes.io/version": label_value(version or "unknown"),
            },
        },
        "data": {
            document_key(kind, fmt): text,
            "format": fmt.value,
            "timestamp": timestamp or _now(),
        },
    }


def write_configmap_document(
    uri: str,
    text: str,
    fmt: Format,
    *,
    kubeconfig: str | None,
    kind: str,
    version: str | None,
    timestamp: str | None,
) -> None:
    """Store ``text`` (already encoded in ``fmt``) in the ConfigMap ``uri`` by server-side apply."""
    from .client import connect

    namespace, name = parse_configmap_uri(uri)
    body = configmap_manifest(
        namespace, name, text, fmt, kind=kind, version=version, timestamp=timestamp
    )
    with connect(kubeconfig) as cluster:
        cluster.call(
            f"writing ConfigMap {namespace}/{name}",
            cluster.core.patch_namespaced_config_map,
            name,
            namespace,
            body,
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type="application/apply-patch+yaml",
            timeout=TIMEOUT,
        )


def read_configmap_document(uri: str, *, kubeconfig: str | None) -> Any:
    """The document stored in the ConfigMap ``uri``, parsed."""
    from .client import connect

    namespace, name = parse_configmap_uri(uri)
    with connect(kubeconfig) as cluster:
        configmap = cluster.call(
            f"reading ConfigMap {namespace}/{name}",
            cluster.core.read_namespaced_config_map,
            name,
            namespace,
            timeout=TIMEOUT,
        )
    return document_from_configmap(configmap, f"ConfigMap {namespace}/{name}")


def document_from_configmap(configmap: dict[str, Any], where: str) -> Any:
    """Parse the document held by a ConfigMap object (format from ``data.format`` or the key)."""
    data = configmap.get("data") or {}
    key = _document_key_in(data, where)
    extension = key.rsplit(".", 1)[-1]
    if extension == "txt":
        raise InvalidRequestError(
            f"{where} key {key} holds a table, which cannot be read back; write json or yaml"
        )
    text = data[key]
    if not str(text).strip():
        raise InvalidRequestError(f"{where} key {key} is empty")
    return load(text, _FORMATS_BY_EXTENSION[extension], source=f"{where} key {key}")


def _document_key_in(data: dict[str, Any], where: str) -> str:
    extension = _EXTENSION_BY_FORMAT_FIELD.get(str(data.get("format", "")).lower())
    preferred = [f"{stem}.{extension}" for stem in _KNOWN_STEMS] if extension else []
    known = [f"{stem}.{ext}" for stem in _KNOWN_STEMS for ext in ("yaml", "json", "txt")]
    for key in (*preferred, *known):
        if key in data:
            return key
    documents = [k for k in data if k.rsplit(".", 1)[-1] in _FORMATS_BY_EXTENSION]
    if len(documents) == 1:
        return documents[0]
    found = ", ".join(sorted(data)) or "none"
    raise InvalidRequestError(
        f"{where} holds no cns document: expected a key such as snapshot.yaml, recipe.yaml, "
        f"validation.yaml or one *.yaml / *.json key (keys found: {found})"
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
