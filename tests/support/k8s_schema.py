"""Validate Kubernetes objects: built-in kinds with kubernetes-validate, custom resources
against their CRD's openAPIV3Schema (plus an unknown-field check, as the API server's
structural pruning would silently drop such fields).

Every ``validate_*`` function raises ``AssertionError`` with a readable message naming
the object and the path of each problem.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

#: Kubernetes version the built-in kinds are validated against (kubernetes-validate
#: takes "major.minor"; the recipes' floors go up to 1.32, so one release above).
K8S_VERSION = "1.33"

#: libyaml's loader when PyYAML has it (the largest CRDs are near 1 MB)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: (apiVersion, kind) -> openAPIV3Schema
CrdSchemas = Mapping[tuple[str, str], Mapping[str, Any]]

#: The ObjectMeta fields a manifest may set (metadata is checked loosely: keys and types).
OBJECT_META_KEYS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "labels",
        "annotations",
        "finalizers",
        "ownerReferences",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)
_TOP_KEYS = ("apiVersion", "kind", "metadata")

#: What marks a field as deprecated or without effect in a CRD description.
DEPRECATION_RE = re.compile(
    r"\bdeprecated\b|no longer (?:used|honou?red|supported)|(?:made|is|now) (?:a )?no-op",
    re.IGNORECASE,
)


def describe(obj: Mapping[str, Any]) -> str:
    """``Kind/name (apiVersion)`` of an object, for messages."""
    meta = obj.get("metadata")
    name = meta.get("name", "?") if isinstance(meta, Mapping) else "?"
    return f"{obj.get('kind', '?')}/{name} ({obj.get('apiVersion', '?')})"


def api_group(api_version: str) -> str:
    """The API group of an apiVersion (``""`` for the core group, ``v1``)."""
    return api_version.rpartition("/")[0]


def is_builtin_group(group: str) -> bool:
    """Whether a group can be a Kubernetes built-in one (core, ``apps``, ``*.k8s.io``)."""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def validate_builtin(obj: Mapping[str, Any], version: str = K8S_VERSION) -> None:
    """Validate a built-in kind with ``kubernetes_validate`` (strict: no unknown fields)."""
    _validate_builtin_json(json.dumps(obj, sort_keys=True, default=str), version)


@functools.cache
def _validate_builtin_json(text: str, version: str) -> None:
    obj = json.loads(text)
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        path = ".".join(str(p) for p in err.path) or "(top)"
        raise AssertionError(
            f"{describe(obj)} is invalid in Kubernetes {err.version}: {path}: {err.message}"
        ) from None
    except kubernetes_validate.SchemaNotFoundError:
        raise AssertionError(
            f"{describe(obj)}: Kubernetes {version} has no such built-in kind "
            "(a removed API version, or a custom kind without a CRD here?)"
        ) from None


def load_crd_schemas(paths: Iterable[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(group/version, kind): openAPIV3Schema}`` of every served version in the CRD files."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        out.update(_crd_file(Path(path)))
    return out


@functools.cache
def _crd_file(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in yaml.load_all(path.read_text(), Loader=_LOADER):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        for version in spec["versions"]:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if version.get("served", True) and schema:
                out[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = schema
    return out


def validate_custom(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Validate a custom resource against its CRD's openAPIV3Schema, unknown fields included."""
    errors = custom_errors(obj, schema)
    if errors:
        raise AssertionError(f"{describe(obj)}:\n  " + "\n  ".join(errors))


def custom_errors(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every problem of a custom resource against its schema, one readable line each."""
    errors = _top_errors(obj)
    validator = jsonschema.Draft4Validator(_jsonschema(json.dumps(schema, sort_keys=True)))
    for err in sorted(validator.iter_errors(dict(obj)), key=lambda e: [str(p) for p in e.path]):
        errors.append(f"{_dotted(err.path) or '(top)'}: {err.message}")
    errors += unknown_fields(obj, schema)
    return errors


def _top_errors(obj: Mapping[str, Any]) -> list[str]:
    errors = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            errors.append(f"{key}: required, a non-empty string")
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return [*errors, "metadata: required, a map"]
    errors += [f"metadata.{k}: not an ObjectMeta field" for k in meta if k not in OBJECT_META_KEYS]
    for key in ("name", "generateName", "namespace"):
        if key in meta and not isinstance(meta[key], str):
            errors.append(f"metadata.{key}: expected a string, got {meta[key]!r}")
    if not meta.get("name") and not meta.get("generateName"):
        errors.append("metadata.name: required")
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is not None and not (
            isinstance(value, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            errors.append(f"metadata.{key}: expected a map of strings, got {value!r}")
    finalizers = meta.get("finalizers")
    if finalizers is not None and not (
        isinstance(finalizers, list) and all(isinstance(f, str) for f in finalizers)
    ):
        errors.append(f"metadata.finalizers: expected a list of strings, got {finalizers!r}")
    return errors


@functools.cache
def _jsonschema(text: str) -> dict[str, Any]:
    """The CRD schema as JSON Schema: OpenAPI ``nullable`` and int-or-string made explicit."""
    schema = json.loads(text)
    _openapi_to_jsonschema(schema)
    # metadata is checked by _top_errors (the API server validates it as ObjectMeta)
    if "metadata" in schema.get("properties", {}):
        schema["properties"]["metadata"] = {"type": "object"}
    return dict(schema)


def _openapi_to_jsonschema(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _openapi_to_jsonschema(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _openapi_to_jsonschema(value)
    if node.get("nullable") is True:
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    if node.get("x-kubernetes-int-or-string") is True and "type" not in node:
        node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])


def unknown_fields(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Fields the schema does not declare (where it declares properties and keeps no
    unknown fields), as ``path: unknown field`` lines; apiVersion/kind/metadata skipped."""
    out: list[str] = []
    body = {k: v for k, v in obj.items() if k not in _TOP_KEYS}
    _unknown(body, schema, "", out)
    return out


def _unknown(value: Any, node: Any, path: str, out: list[str]) -> None:
    if not isinstance(node, Mapping) or node.get("x-kubernetes-preserve-unknown-fields") is True:
        return
    if isinstance(value, Mapping):
        props = node.get("properties")
        extra = node.get("additionalProperties")
        embedded = node.get("x-kubernetes-embedded-resource") is True
        for key, child in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(props, Mapping) and key in props:
                _unknown(child, props[key], sub, out)
            elif isinstance(extra, Mapping):
                _unknown(child, extra, sub, out)
            elif embedded and key in _TOP_KEYS:
                continue
            elif isinstance(props, Mapping) and extra is None:
                names = sorted(props)
                known = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
                out.append(f"{sub}: unknown field (known here: {known or 'none'})")
    elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
        for i, item in enumerate(value):
            _unknown(item, node["items"], f"{path}[{i}]", out)


def deprecated_fields(schema: Mapping[str, Any]) -> set[str]:
    """Dotted paths whose description says deprecated / no longer used / no-op
    (``[]`` marks a list's items, ``*`` a map's values)."""
    return set(deprecated_descriptions(schema))


def deprecated_descriptions(schema: Mapping[str, Any]) -> dict[str, str]:
    """``{dotted path: description}`` of the fields :func:`deprecated_fields` returns."""
    return dict(_deprecated(json.dumps(schema, sort_keys=True)))


@functools.cache
def _deprecated(text: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        description = node.get("description")
        if path and isinstance(description, str) and DEPRECATION_RE.search(description):
            out.append((path, " ".join(description.split())))
        for key, child in (node.get("properties") or {}).items():
            walk(child, f"{path}.{key}" if path else key)
        walk(node.get("items"), f"{path}[]")
        walk(node.get("additionalProperties"), f"{path}.*")

    walk(json.loads(text), "")
    return tuple(out)


def validate_object(obj: Mapping[str, Any], crd_schemas: CrdSchemas) -> None:
    """Built-in kinds via kubernetes-validate, custom kinds via ``crd_schemas``;
    a custom kind without a schema there is an error."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise AssertionError(f"{describe(obj)}: apiVersion and kind must be strings")
    schema = crd_schemas.get((api_version, kind))
    if schema is not None:
        validate_custom(obj, schema)
    elif is_builtin_group(api_group(api_version)):
        validate_builtin(obj)
    else:
        known = ", ".join(f"{k} ({a})" for a, k in sorted(crd_schemas)) or "none"
        raise AssertionError(
            f"{describe(obj)}: custom kind without a CRD schema (CRDs given: {known})"
        )


def validation_errors(objects: Iterable[Mapping[str, Any]], crd_schemas: CrdSchemas) -> list[str]:
    """:func:`validate_object` over many objects: the message of each invalid one."""
    errors = []
    for obj in objects:
        try:
            validate_object(obj, crd_schemas)
        except AssertionError as err:
            errors.append(str(err))
    return errors


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
