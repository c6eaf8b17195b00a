"""The Snapshot document: typed measurements of what a node has (K8s, GPU, OS, SystemD).

Compatible with upstream files: ``metadata.source-node`` (older files say ``source``),
measurements of ``{type, subtypes: [{subtype, data, context?}]}``, readings as bare
scalars. Big integers (``18446744073709551615``) and strings such as ``'[a b]'`` survive
a load/dump round trip unchanged.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple, Self

from .. import API_VERSION
from ..errors import InvalidRequestError, NotFoundError

SNAPSHOT_KIND = "Snapshot"

#: One measured value: a bare scalar.
Reading = str | int | float | bool
#: The default of an empty mapping field (NamedTuple defaults are shared: this one is read-only).
_NO_CONTEXT: Mapping[str, str] = MappingProxyType({})


class MeasurementType(StrEnum):
    """The four measurement families, in the order a snapshot emits them."""

    K8S = "K8s"
    SYSTEMD = "SystemD"
    OS = "OS"
    GPU = "GPU"

    @classmethod
    def parse(cls, value: Any, *, where: str = "type") -> Self:
        """Exact (case-sensitive) match, or an error naming the valid types."""
        for member in cls:
            if value == member.value:
                return member
        valid = ", ".join(m.value for m in cls)
        raise InvalidRequestError(
            f"{where}: invalid measurement type {value!r}: valid types are {valid}"
        )


def reading_str(value: Reading) -> str:
    """The string form of a reading, as upstream prints it (``true``, ``4``, ``1e+21``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_str(value)
    return str(value)


def _float_str(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    from decimal import Decimal  # imported here: 1 ms of start-up for every snapshot read

    exact = Decimal(repr(value))
    exponent = exact.adjusted()
    if -4 <= exponent < 21:
        text = format(exact, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    digits = format(exact.scaleb(-exponent).normalize(), "f")
    return f"{digits}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


class Subtype(NamedTuple):
    """A named group of readings, e.g. ``release`` or ``containerd.service``."""

    name: str
    data: Mapping[str, Reading]
    context: Mapping[str, str] = _NO_CONTEXT

    def get(self, key: str) -> Reading:
        """The reading under ``key`` or NotFoundError."""
        try:
            return self.data[key]
        except KeyError:
            raise NotFoundError(f"key {key!r} not found in subtype {self.name!r}") from None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name:
            out["subtype"] = self.name
        out["data"] = {key: self.data[key] for key in sorted(self.data)}
        if self.context:
            out["context"] = {key: self.context[key] for key in sorted(self.context)}
        return out

    @classmethod
    def from_dict(cls, raw: Any, *, where: str) -> Self:
        if not isinstance(raw, Mapping):
            raise InvalidRequestError(f"{where}: a subtype must be a mapping with subtype and data")
        _no_unknown(raw, ("subtype", "data", "context"), where)
        name = raw.get("subtype") or ""
        if not isinstance(name, str):
            raise InvalidRequestError(f"{where}.subtype: must be a string")
        data = _or_default(raw.get("data"), {})
        if not isinstance(data, Mapping):
            raise InvalidRequestError(f"{where}.data: must be a mapping of key to reading")
        context = _or_default(raw.get("context"), {})
        if not isinstance(context, Mapping):
            raise InvalidRequestError(f"{where}.context: must be a mapping of strings")
        return cls(
            name=name,
            data={
                str(k): v if type(v) in _READING_TYPES else _reading(v, f"{where}.data.{k}")
                for k, v in data.items()
            },
            context={
                str(k): reading_str(_reading(v, f"{where}.context.{k}")) for k, v in context.items()
            },
        )


class Measurement(NamedTuple):
    """All subtypes of one measurement type."""

    type: MeasurementType
    subtypes: Sequence[Subtype] = ()

    def subtype(self, name: str) -> Subtype:
        """The first subtype called ``name`` or NotFoundError."""
        for subtype in self.subtypes:
            if subtype.name == name:
                return subtype
        raise NotFoundError(f"subtype {name!r} not found in measurement {self.type.value}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value}
        if self.subtypes:
            out["subtypes"] = [s.to_dict() for s in self.subtypes]
        return out

    @classmethod
    def from_dict(cls, raw: Any, *, where: str) -> Self:
        if not isinstance(raw, Mapping):
            raise InvalidRequestError(
                f"{where}: a measurement must be a mapping with type and subtypes"
            )
        _no_unknown(raw, ("type", "subtypes"), where)
        subtypes = _or_default(raw.get("subtypes"), [])
        if not isinstance(subtypes, list):
            raise InvalidRequestError(f"{where}.subtypes: must be a list")
        return cls(
            type=MeasurementType.parse(raw.get("type"), where=f"{where}.type"),
            subtypes=[
                Subtype.from_dict(s, where=f"{where}.subtypes[{i}]") for i, s in enumerate(subtypes)
            ],
        )


class Snapshot(NamedTuple):
    """What one node has: measurements plus where and when they were taken.

    The model's classes are NamedTuples: ``cns validate`` creates them at start-up, where
    slotted dataclasses cost five times as much (and import :mod:`dataclasses`).
    """

    measurements: Sequence[Measurement] = ()
    source_node: str = ""
    timestamp: str = ""
    version: str = ""

    def measurement(self, type_: MeasurementType) -> Measurement:
        """The first measurement of ``type_`` or NotFoundError."""
        for measurement in self.measurements:
            if measurement.type is type_:
                return measurement
        raise NotFoundError(f"measurement type {type_.value} not found in snapshot")

    def find(self, type_: MeasurementType, subtype: str, key: str) -> Reading | None:
        """The reading at ``type_/subtype/key``, or None when any part is missing."""
        try:
            return self.measurement(type_).subtype(subtype).get(key)
        except NotFoundError:
            return None

    def to_dict(self) -> dict[str, Any]:
        """The Snapshot document (metadata keys sorted, as upstream writes them)."""
        metadata = {"source-node": self.source_node, "timestamp": self.timestamp}
        if self.version:
            metadata["version"] = self.version
        return {
            "kind": SNAPSHOT_KIND,
            "apiVersion": API_VERSION,
            "metadata": metadata,
            "measurements": [m.to_dict() for m in self.measurements],
        }

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "snapshot") -> Self:
        """Parse a Snapshot document, with errors that name the bad field."""
        if not isinstance(doc, Mapping):
            raise InvalidRequestError(
                f"{source}: expected a Snapshot document (kind, apiVersion, metadata, "
                f"measurements), got {type(doc).__name__}"
            )
        kind, api_version = doc.get("kind"), doc.get("apiVersion")
        if kind not in (None, "", SNAPSHOT_KIND):
            raise InvalidRequestError(
                f'{source}: invalid kind "{kind}", expected "{SNAPSHOT_KIND}"'
            )
        if api_version not in (None, "", API_VERSION):
            raise InvalidRequestError(
                f'{source}: invalid apiVersion "{api_version}", expected "{API_VERSION}"'
            )
        metadata = _or_default(doc.get("metadata"), {})
        if not isinstance(metadata, Mapping):
            raise InvalidRequestError(f"{source}: metadata must be a mapping of strings")
        raw = doc.get("measurements")
        if not isinstance(raw, list):
            raise InvalidRequestError(
                f"{source}: measurements must be a list (got {_kind_of(raw)})"
            )
        return cls(
            measurements=[
                Measurement.from_dict(m, where=f"{source}: measurements[{i}]")
                for i, m in enumerate(raw)
            ],
            source_node=_meta(metadata, "source-node") or _meta(metadata, "source"),
            timestamp=_meta(metadata, "timestamp"),
            version=_meta(metadata, "version"),
        )


#: The exact types of a reading as a document holds it (checked first: most readings are).
_READING_TYPES = frozenset({str, int, float, bool})


def _reading(value: Any, where: str) -> Reading:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise InvalidRequestError(
        f"{where}: a reading must be a string, number or boolean, got {_kind_of(value)}"
    )


def _or_default(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is absent (``None``): a wrong type is not absent."""
    return default if value is None else value


def _meta(metadata: Mapping[str, Any], key: str) -> str:
    value = metadata.get(key)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return reading_str(_reading(value, f"metadata.{key}"))


def _no_unknown(raw: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in set(raw) - set(known))
    if unknown:
        raise InvalidRequestError(
            f"{where}: unknown field(s) {', '.join(unknown)}: valid fields are {', '.join(known)}"
        )


def _kind_of(value: Any) -> str:
    return {type(None): "nothing", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )
