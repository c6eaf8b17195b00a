"""cm:// URIs and documents in ConfigMaps, through the real client against the fake API server."""

from __future__ import annotations

import json

import pytest

from cns_core.cli.exit_codes import EXIT_INVALID_INPUT, EXIT_UNAVAILABLE, exit_code
from cns_core.errors import InvalidRequestError, NotFoundError
from cns_core.k8s.configmap import (
    MAX_DOCUMENT_BYTES,
    document_key,
    is_configmap_uri,
    parse_configmap_uri,
    read_configmap_document,
    write_configmap_document,
)
from cns_core.serialize import Format, dump_json, dump_yaml

from ..support.fake_apiserver import FakeAPIServer

SNAPSHOT = {
    "kind": "Snapshot",
    "apiVersion": "cns.nvidia.com/v1alpha1",
    "metadata": {"source-node": "gpu-1", "timestamp": "2026-01-02T18:02:49Z", "version": "0.1.0"},
    "measurements": [
        {"type": "K8s", "subtypes": [{"subtype": "server", "data": {"version": "v1.33.5"}}]}
    ],
}
CONFIGMAPS = "/api/v1", "configmaps"


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        ("cm://gpu-operator/cns-snapshot", ("gpu-operator", "cns-snapshot")),
        ("  cm://a/b.c-d  ", ("a", "b.c-d")),
        ("cm://ns1/" + "x" * 253, ("ns1", "x" * 253)),
    ],
)
def test_valid_uris(uri: str, parts: tuple[str, str]) -> None:
    assert is_configmap_uri(uri)
    assert parse_configmap_uri(uri) == parts


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("cm://", "namespace and name are missing"),
        ("cm://ns", "the name is missing"),
        ("cm://ns/", "the name is empty"),
        ("cm:///name", "the namespace is empty"),
        ("cm://ns/name/extra", "too many '/' segments"),
        ("configmap://ns/name", "expected cm://<namespace>/<name>"),
        ("cm://Bad_NS/name", "invalid namespace 'Bad_NS': expected at most 63 characters"),
        ("cm://" + "n" * 64 + "/name", "invalid namespace"),
        ("cm://ns/Name", "invalid ConfigMap name 'Name': expected at most 253 characters"),
        ("cm://ns/-name", "invalid ConfigMap name '-name'"),
        ("cm://ns/" + "x" * 254, "invalid ConfigMap name"),
    ],
)
def test_malformed_uris_say_what_is_wrong(uri: str, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        parse_configmap_uri(uri)
    message = str(err.value)
    assert message.startswith(f"invalid ConfigMap URI {uri.strip()!r}"), message
    assert problem in message
    assert exit_code(err.value.code) == EXIT_INVALID_INPUT


@pytest.mark.parametrize(
    ("kind", "fmt", "key"),
    [
        ("Snapshot", Format.YAML, "snapshot.yaml"),
        ("Snapshot", Format.JSON, "snapshot.json"),
        ("recipeResult", Format.YAML, "recipe.yaml"),
        ("ValidationResult", Format.JSON, "validation.json"),
        ("ValidationResult", Format.TABLE, "validation.txt"),
        ("RecipeCriteria", Format.YAML, "criteria.yaml"),
        ("Something Else", Format.YAML, "something-else.yaml"),
    ],
)
def test_key_is_named_after_the_kind(kind: str, fmt: Format, key: str) -> None:
    assert document_key(kind, fmt) == key


@pytest.mark.parametrize(("fmt", "dump"), [(Format.YAML, dump_yaml), (Format.JSON, dump_json)])
def test_write_then_read_round_trip(api: FakeAPIServer, kubeconfig: str, fmt: Format, dump) -> None:
    text = dump(SNAPSHOT)
    write_configmap_document(
        "cm://gpu-operator/snap",
        text,
        fmt,
        kubeconfig=kubeconfig,
        kind="Snapshot",
        version="0.1.0+dev",
        timestamp="2026-01-02T18:02:49Z",
    )
    assert read_configmap_document("cm://gpu-operator/snap", kubeconfig=kubeconfig) == SNAPSHOT

    (apply,) = api.calls("PATCH")
    assert apply.path == "/api/v1/namespaces/gpu-operator/configmaps/snap"
    assert apply.content_type == "application/apply-patch+yaml"
    assert apply.query == {"fieldManager": "cns", "force": "true"}
    assert apply.body == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "snap",
            "namespace": "gpu-operator",
            "labels": {
                "app.kubernetes.io/name": "cns",
                "app.kubernetes.io/managed-by": "cns",
                "app.kubernetes.io/component": "Snapshot",
                "app.kubernetes.io/version": "0.1.0_dev",
            },
        },
        "data": {
            f"snapshot.{fmt.value}": text,
            "format": fmt.value,
            "timestamp": "2026-01-02T18:02:49Z",
        },
    }


def test_rewrite_replaces_the_document(api: FakeAPIServer, kubeconfig: str) -> None:
    for doc in ({"kind": "recipeResult", "n": 1}, {"kind": "recipeResult", "n": 2}):
        write_configmap_document(
            "cm://ns/r",
            dump_json(doc),
            Format.JSON,
            kubeconfig=kubeconfig,
            kind="recipeResult",
            version=None,
            timestamp=None,
        )
    assert read_configmap_document("cm://ns/r", kubeconfig=kubeconfig) == {
        "kind": "recipeResult",
        "n": 2,
    }
    stored = api.get(*CONFIGMAPS, "ns", "r")
    assert stored is not None
    assert stored["metadata"]["labels"]["app.kubernetes.io/version"] == "unknown"
    assert stored["data"]["timestamp"].endswith("Z")


def test_reads_upstream_configmap(api: FakeAPIServer, kubeconfig: str) -> None:
    """Upstream writes `snapshot.yaml` with yaml.Marshal (4-space indent), even for recipes."""
    upstream_yaml = (
        "kind: Snapshot\n"
        "apiVersion: cns.nvidia.com/v1alpha1\n"
        "metadata:\n"
        "    source-node: ip-10-0-160-248.ec2.internal\n"
        '    timestamp: "2026-01-02T18:02:49Z"\n'
        "measurements:\n"
        "    - type: K8s\n"
        "      subtypes:\n"
        "        - subtype: server\n"
        "          data:\n"
        "            version: v1.33.5-eks-3025e55\n"
    )
    api.add(
        *CONFIGMAPS,
        {
            "metadata": {"name": "cns-snapshot", "namespace": "gpu-operator"},
            "data": {
                "snapshot.yaml": upstream_yaml,
                "format": "yaml",
                "timestamp": "2026-01-02T18:02:49Z",
            },
        },
    )
    doc = read_configmap_document("cm://gpu-operator/cns-snapshot", kubeconfig=kubeconfig)
    assert doc["metadata"]["source-node"] == "ip-10-0-160-248.ec2.internal"
    assert doc["measurements"][0]["subtypes"][0]["data"] == {"version": "v1.33.5-eks-3025e55"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"snapshot.json": json.dumps({"a": 1}), "format": "json"}, {"a": 1}),
        ({"snapshot.json": json.dumps({"a": 1})}, {"a": 1}),
        ({"snapshot.yaml": "a: 1\n", "snapshot.json": '{"a": 2}', "format": "json"}, {"a": 2}),
        ({"recipe.yaml": "kind: recipeResult\n", "format": "yaml"}, {"kind": "recipeResult"}),
        ({"my-node.yml": "a: 3\n"}, {"a": 3}),
    ],
)
def test_reader_picks_the_document_key(
    api: FakeAPIServer, kubeconfig: str, data: dict, expected: dict
) -> None:
    api.add(*CONFIGMAPS, {"metadata": {"name": "doc", "namespace": "ns"}, "data": data})
    assert read_configmap_document("cm://ns/doc", kubeconfig=kubeconfig) == expected


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "ConfigMap ns/doc holds no cns document: expected a key such as snapshot.yaml"),
        ({"a.yaml": "a: 1", "b.json": "{}"}, "(keys found: a.yaml, b.json)"),
        (
            {"snapshot.txt": "FIELD  VALUE\n", "format": "table"},
            "key snapshot.txt holds a table, which cannot be read back",
        ),
        ({"snapshot.yaml": "  \n"}, "ConfigMap ns/doc key snapshot.yaml is empty"),
        ({"snapshot.yaml": "a: [1"}, "invalid YAML in ConfigMap ns/doc key snapshot.yaml"),
        (
            {"snapshot.json": "{", "format": "json"},
            "invalid JSON in ConfigMap ns/doc key snapshot.json",
        ),
    ],
)
def test_reader_errors(api: FakeAPIServer, kubeconfig: str, data: dict, problem: str) -> None:
    api.add(*CONFIGMAPS, {"metadata": {"name": "doc", "namespace": "ns"}, "data": data})
    with pytest.raises(InvalidRequestError) as err:
        read_configmap_document("cm://ns/doc", kubeconfig=kubeconfig)
    assert problem in str(err.value)


def test_missing_configmap_is_not_found(api: FakeAPIServer, kubeconfig: str) -> None:
    with pytest.raises(NotFoundError) as err:
        read_configmap_document("cm://ns/absent", kubeconfig=kubeconfig)
    assert (
        str(err.value) == 'reading ConfigMap ns/absent: not found (configmaps "absent" not found)'
    )
    assert exit_code(err.value.code) == EXIT_UNAVAILABLE


def test_oversized_document_is_refused_before_sending(api: FakeAPIServer, kubeconfig: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"ConfigMaps hold at most {MAX_DOCUMENT_BYTES}"):
        write_configmap_document(
            "cm://ns/big",
            "x" * (MAX_DOCUMENT_BYTES + 1),
            Format.YAML,
            kubeconfig=kubeconfig,
            kind="Snapshot",
            version=None,
            timestamp=None,
        )
    assert api.requests == []


def test_kubeconfig_flag_is_honoured(
    api: FakeAPIServer,
    kubeconfig: str,
    closed_port_kubeconfig: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Upstream's writer ignored --kubeconfig; ours uses it even when KUBECONFIG says otherwise."""
    monkeypatch.setenv("KUBECONFIG", closed_port_kubeconfig)
    write_configmap_document(
        "cm://ns/k",
        "a: 1\n",
        Format.YAML,
        kubeconfig=kubeconfig,
        kind="Snapshot",
        version=None,
        timestamp=None,
    )
    assert read_configmap_document("cm://ns/k", kubeconfig=kubeconfig) == {"a": 1}
