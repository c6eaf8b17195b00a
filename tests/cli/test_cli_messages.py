"""Messages a person reads: parse errors where they break, one line for an unreachable
cluster, ISO 8601 times in --log-json."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.serialize import load_json, load_yaml


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: [1, 2\n",
            "c.yaml:2:1: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at 1:4)",
        ),
        ("a: b: c\n", "c.yaml:1:5: mapping values are not allowed here"),
        (
            "k: x\x07\n",
            "c.yaml:1:5: unacceptable character #x0007: special characters are not allowed",
        ),
        ("{a: 1, a: 2}\n", 'c.yaml:1:8: found duplicate key "a"'),
        ("a: &x [1]\nb: *x\n", "c.yaml:2:4: YAML aliases are not allowed"),
        ("a: !!python/name:os.system\n", "c.yaml:1:4: could not determine a constructor"),
    ],
)
def test_yaml_errors_are_file_line_column_problem(text, message):
    with pytest.raises(InvalidRequestError) as info:
        load_yaml(text, source="c.yaml")
    assert info.value.message.startswith(f"invalid YAML in {message}")


def test_json_errors_are_file_line_column_problem():
    with pytest.raises(InvalidRequestError, match=r"invalid JSON in c\.json:2:7: Expecting value"):
        load_json('{"a": 1,\n "b": }', source="c.json")


def test_the_cli_reports_where_a_file_breaks(runner, tmp_path):
    bad = tmp_path / "criteria.yaml"
    bad.write_text("kind: recipeCriteria\nspec: {service: eks\n")
    result = runner.invoke(["recipe", "-c", str(bad)])
    assert result.exit_code == 3
    assert result.stderr.startswith(f"Error: invalid YAML in {bad}:3:1: ")


def _unreachable_kubeconfig(tmp_path: Path) -> Path:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    return path


def test_an_unreachable_cluster_is_one_line_not_retry_warnings(runner, tmp_path):
    kubeconfig = _unreachable_kubeconfig(tmp_path)
    result = runner.invoke(["recipe", "-s", "cm://gpu-operator/cns", "-k", str(kubeconfig)])
    assert result.exit_code == 4
    assert "Retrying" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "cannot reach the Kubernetes API server" in result.stderr


def test_the_k8s_collector_fails_once_without_retry_warnings(tmp_path, caplog):
    from cns_core.errors import CNSError
    from cns_core.snapshot.collectors.k8s import collect_k8s

    caplog.set_level(logging.WARNING)
    with pytest.raises(CNSError, match="cannot reach the Kubernetes API server"):
        collect_k8s(kubeconfig=str(_unreachable_kubeconfig(tmp_path)), node_name=None, timeout=10)
    assert not [r for r in caplog.records if r.getMessage().startswith("Retrying")]


def test_debug_logging_still_shows_the_retries(tmp_path, caplog):
    from cns_core.errors import CNSError
    from cns_core.snapshot.collectors.k8s import collect_k8s

    caplog.set_level(logging.DEBUG)
    with pytest.raises(CNSError):
        collect_k8s(kubeconfig=str(_unreachable_kubeconfig(tmp_path)), node_name=None, timeout=10)
    assert [r for r in caplog.records if r.getMessage().startswith("Retrying")]


def test_log_json_times_are_iso_8601_utc(runner, tmp_path):
    kubeconfig = _unreachable_kubeconfig(tmp_path)
    result = runner.invoke(
        ["--log-json", "--debug", "recipe", "-s", "cm://gpu-operator/cns", "-k", str(kubeconfig)],
        catch_exceptions=True,  # --debug re-raises the error for its traceback
    )
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records, result.stderr
    for record in records:
        assert record["time"].endswith("Z") and record["time"][10] == "T"
        assert len(record["time"]) == len("2026-12-01T21:30:00.123Z")
