"""What differs between two snapshots: readings added, removed or changed.

Readings are compared by ``Type.subtype.key`` (the first subtype of a name, as
constraints read them), typed (``1``, ``"1"`` and ``true`` differ). Metadata (node,
time) is reported, never compared: two snapshots of one node taken a minute apart are
identical when nothing else changed. The document has the shape of
:meth:`cns_core.recipes.diff.RecipeDiff.to_dict` (``before``/``after``, ``kind``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..recipes.diff import MISSING, DiffKind, same
from .model import MeasurementType, Reading, Snapshot

#: Where a reading is: its measurement type, subtype and key.
Where = tuple[MeasurementType, str, str]


@dataclass(frozen=True, slots=True)
class ReadingChange:
    """One reading that differs; ``before``/``after`` is MISSING on the side that lacks it."""

    type: MeasurementType
    subtype: str
    key: str
    before: Reading
    after: Reading

    @property
    def kind(self) -> DiffKind:
        if self.before is MISSING:
            return DiffKind.ADDED
        if self.after is MISSING:
            return DiffKind.REMOVED
        return DiffKind.CHANGED

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value, "subtype": self.subtype, "key": self.key}
        out["kind"] = self.kind.value
        for side in ("before", "after"):
            if getattr(self, side) is not MISSING:
                out[side] = getattr(self, side)
        return out


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """Every reading that differs between snapshot ``a`` (before) and ``b`` (after)."""

    a: Snapshot
    b: Snapshot
    readings: tuple[ReadingChange, ...]

    @property
    def identical(self) -> bool:
        return not self.readings

    def summary(self) -> dict[str, int]:
        """Readings per kind of change, every kind present, in a fixed order."""
        counts = {kind.value: 0 for kind in (DiffKind.ADDED, DiffKind.REMOVED, DiffKind.CHANGED)}
        for reading in self.readings:
            counts[reading.kind.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (what ``cns diff --format json`` prints)."""
        return {
            "a": _metadata(self.a),
            "b": _metadata(self.b),
            "identical": self.identical,
            "summary": self.summary(),
            "readings": [r.to_dict() for r in self.readings],
        }


def _metadata(snapshot: Snapshot) -> dict[str, str]:
    return {"sourceNode": snapshot.source_node, "timestamp": snapshot.timestamp}


def diff_snapshots(a: Snapshot, b: Snapshot) -> SnapshotDiff:
    """Compare snapshot ``a`` (before) with ``b`` (after): measurement type order, then
    subtype and key."""
    before, after = dict(_readings(a)), dict(_readings(b))
    order = {t: i for i, t in enumerate(MeasurementType)}
    changes = [
        ReadingChange(*where, before.get(where, MISSING), after.get(where, MISSING))
        for where in sorted({*before, *after}, key=lambda w: (order[w[0]], w[1], w[2]))
        if not same(before.get(where, MISSING), after.get(where, MISSING))
    ]
    return SnapshotDiff(a, b, tuple(changes))


def _readings(snapshot: Snapshot) -> Iterator[tuple[Where, Reading]]:
    seen: set[tuple[MeasurementType, str]] = set()
    for measurement in snapshot.measurements:
        for subtype in measurement.subtypes:
            if (measurement.type, subtype.name) in seen:
                continue
            seen.add((measurement.type, subtype.name))
            for key, value in subtype.data.items():
                yield (measurement.type, subtype.name, key), value
