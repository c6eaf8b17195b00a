"""The Snapshot document: upstream files load and re-serialise without losing a reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cns_core.cli.documents import read_document
from cns_core.errors import InvalidRequestError, NotFoundError
from cns_core.serialize import dump_json, dump_yaml, load_json, load_yaml
from cns_core.snapshot import Measurement, MeasurementType, Snapshot, Subtype, reading_str
from tests.support.snapshots import snapshot_params


def _readings(doc: dict) -> dict[tuple[str, str, str], object]:
    return {
        (m["type"], s.get("subtype", ""), key): value
        for m in doc["measurements"]
        for s in m.get("subtypes", [])
        for key, value in s["data"].items()
    }


@pytest.mark.parametrize("path", snapshot_params())
@pytest.mark.parametrize(("dump", "load"), [(dump_yaml, load_yaml), (dump_json, load_json)])
def test_fixture_round_trips_every_reading(path: Path, dump, load) -> None:
    raw = read_document(str(path))
    snapshot = Snapshot.from_dict(raw)
    again = load(dump(snapshot.to_dict()))
    assert _readings(again) == _readings(raw)
    assert Snapshot.from_dict(again) == snapshot
    assert dump(Snapshot.from_dict(again).to_dict()) == dump(snapshot.to_dict())


def test_fixture_details_survive(snapshot_dir: Path) -> None:
    snapshot = Snapshot.from_dict(read_document(str(snapshot_dir / "h100-eks-ubuntu.yaml")))
    assert snapshot.source_node == "ip-10-0-158-18.ec2.internal"  # older key "source"
    assert snapshot.timestamp == "2026-01-02T18:01:13Z"
    assert snapshot.version == "0.8.12"
    containerd = snapshot.measurement(MeasurementType.SYSTEMD).subtype("containerd.service")
    assert containerd.data["BlockIOWeight"] == 18446744073709551615
    assert containerd.data["Before"] == "[multi-user.target shutdown.target]"
    assert containerd.data["AllowIsolate"] is False
    assert snapshot.find(MeasurementType.OS, "release", "VERSION_ID") == "24.04"
    text = dump_yaml(snapshot.to_dict())
    assert "BlockIOWeight: 18446744073709551615\n" in text
    assert "VERSION_ID: '24.04'\n" in text
    assert "source-node: ip-10-0-158-18.ec2.internal" in text


def test_document_shape() -> None:
    snapshot = Snapshot(
        [
            Measurement(MeasurementType.GPU, [Subtype("smi", {"b": 1, "a": True}, {"z": "1"})]),
            Measurement(MeasurementType.SYSTEMD, []),
        ],
        source_node="node-1",
        timestamp="2026-01-02T18:01:13Z",
    )
    assert snapshot.to_dict() == {
        "kind": "Snapshot",
        "apiVersion": "cns.nvidia.com/v1alpha1",
        "metadata": {"source-node": "node-1", "timestamp": "2026-01-02T18:01:13Z"},
        "measurements": [
            {
                "type": "GPU",
                "subtypes": [
                    {"subtype": "smi", "data": {"a": True, "b": 1}, "context": {"z": "1"}}
                ],
            },
            {"type": "SystemD"},
        ],
    }
    assert list(snapshot.to_dict()["measurements"][0]["subtypes"][0]["data"]) == ["a", "b"]


def test_lookups_name_what_is_missing() -> None:
    snapshot = Snapshot([Measurement(MeasurementType.OS, [Subtype("release", {"ID": "ubuntu"})])])
    with pytest.raises(NotFoundError, match="measurement type GPU not found in snapshot"):
        snapshot.measurement(MeasurementType.GPU)
    with pytest.raises(NotFoundError, match="subtype 'grub' not found in measurement OS"):
        snapshot.measurement(MeasurementType.OS).subtype("grub")
    with pytest.raises(NotFoundError, match="key 'NAME' not found in subtype 'release'"):
        snapshot.measurement(MeasurementType.OS).subtype("release").get("NAME")
    assert snapshot.find(MeasurementType.OS, "release", "NAME") is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "expected a Snapshot document"),
        (
            {"kind": "recipeResult", "measurements": []},
            'invalid kind "recipeResult", expected "Snapshot"',
        ),
        ({"apiVersion": "v2", "measurements": []}, 'invalid apiVersion "v2"'),
        ({"metadata": "x", "measurements": []}, "metadata must be a mapping"),
        ({}, r"measurements must be a list \(got nothing\)"),
        ({"measurements": {"a": 1}}, r"measurements must be a list \(got a mapping\)"),
        ({"measurements": ["x"]}, r"measurements\[0\]: a measurement must be a mapping"),
        (
            {"measurements": [{"type": "gpu"}]},
            r"invalid measurement type 'gpu': valid types are K8s, SystemD, OS, GPU",
        ),
        ({"measurements": [{"type": "GPU", "extra": 1}]}, r"unknown field\(s\) extra"),
        ({"measurements": [{"type": "GPU", "subtypes": {}}]}, r"subtypes: must be a list"),
        (
            {"measurements": [{"type": "GPU", "subtypes": [{"data": []}]}]},
            r"subtypes\[0\]\.data: must be a mapping",
        ),
        (
            {"measurements": [{"type": "OS", "subtypes": [{"subtype": "x", "data": {"k": [1]}}]}]},
            r"measurements\[0\]\.subtypes\[0\]\.data\.k: a reading must be a string, number or boolean, got a list",
        ),
        (
            {"measurements": [{"type": "OS", "subtypes": [{"data": {"k": None}}]}]},
            r"data\.k: a reading must be a string, number or boolean, got nothing",
        ),
    ],
)
def test_malformed_snapshots_are_rejected_with_the_field(doc: object, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Snapshot.from_dict(doc, source="snap.yaml")


def test_unquoted_yaml_dates_become_strings() -> None:
    doc = load_yaml(
        "measurements:\n- type: OS\n  subtypes:\n  - subtype: x\n    data:\n      d: 2024-05-01\n"
    )
    assert Snapshot.from_dict(doc).find(MeasurementType.OS, "x", "d") == "2024-05-01"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (4.0, "4"),
        (0.5, "0.5"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-07"),
        (123456789.25, "123456789.25"),
        (18446744073709551615, "18446744073709551615"),
        (-3, "-3"),
        ("[a b]", "[a b]"),
        (float("inf"), "+Inf"),
    ],
)
def test_reading_string_form(value: object, text: str) -> None:
    assert reading_str(value) == text  # type: ignore[arg-type]


# Control and line-separator characters (U+0085, U+2028) are left out: serialize.dump_yaml
# does not escape them yet, so they do not survive a YAML round trip (reported to the lead).
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20)
readings = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)


@given(st.dictionaries(texts.filter(bool), readings, max_size=5))
def test_readings_round_trip_through_json_and_yaml(data: dict) -> None:
    snapshot = Snapshot([Measurement(MeasurementType.K8S, [Subtype("s", data)])], "n", "t", "v")
    assert Snapshot.from_dict(load_json(dump_json(snapshot.to_dict()))) == snapshot
    assert Snapshot.from_dict(load_yaml(dump_yaml(snapshot.to_dict()))) == snapshot
