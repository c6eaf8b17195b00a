"""Snapshots: what a node has (model, collectors, orchestration, criteria inference)."""

from .model import Measurement, MeasurementType, Reading, Snapshot, Subtype, reading_str

__all__ = ["Measurement", "MeasurementType", "Reading", "Snapshot", "Subtype", "reading_str"]
