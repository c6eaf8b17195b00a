"""``cns snapshot``: measure this node (or, with ``--deploy-agent``, a cluster node via a Job).

Collectors are imported only when the command runs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from ..k8s.agent_objects import DEFAULT_IMAGE
from ..serialize import Format
from .documents import CONFIGMAP_SCHEME, write_document
from .options import bool_option, debug_option, kubeconfig_option, output_format, output_options
from .tables import render_snapshot_table

F = TypeVar("F", bound=Callable[..., Any])

_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``90s``, ``5m``, ``1h30m``, ``1.5h``, ``0``); ValueError if not one."""
    value = text.strip()
    if not value:
        raise ValueError("invalid duration '': expected e.g. 90s, 5m, 1h30m")
    if value == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(value):
        match = _DURATION_RE.match(value, pos)
        if not match:
            raise ValueError(
                f"invalid duration {text!r}: expected a number and unit (h, m, s, ms, us, ns) "
                "repeated, e.g. 90s, 5m, 1h30m"
            )
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return total


class GoDuration(click.ParamType):
    """A click type for Go-style durations, converted to seconds."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command()
@click.option(
    "--deploy-agent",
    is_flag=True,
    help="Run the snapshot as a Kubernetes Job on a cluster node and read it back.",
)
@click.option(
    "--namespace",
    default="gpu-operator",
    show_default=True,
    envvar="CNS_NAMESPACE",
    help="Agent namespace (env CNS_NAMESPACE).",
)
@click.option(
    "--image",
    default=DEFAULT_IMAGE,
    show_default=True,
    envvar="CNS_IMAGE",
    help="Agent image: the one this repository's Dockerfile builds, pushed where the "
    "cluster can pull it (env CNS_IMAGE; docs/agent.md).",
)
@click.option(
    "--image-pull-secret",
    "image_pull_secrets",
    multiple=True,
    metavar="NAME",
    help="Image pull secret for the agent (repeatable).",
)
@click.option("--job-name", default="cns", show_default=True, help="Agent Job name.")
@click.option(
    "--service-account-name", default="cns", show_default=True, help="Agent service account."
)
@click.option(
    "--node-selector",
    "node_selectors",
    multiple=True,
    metavar="KEY=VALUE",
    help="Agent node selector (repeatable).",
)
@click.option(
    "--toleration",
    "tolerations",
    multiple=True,
    metavar="KEY[=VALUE][:EFFECT]",
    help="Agent toleration (repeatable; '*' tolerates every taint).",
)
@click.option(
    "--timeout",
    type=GoDuration(),
    default="5m",
    show_default=True,
    help="How long to wait for the agent Job (Go duration: 90s, 5m, 1h30m).",
)
@bool_option("cleanup", True, "Delete the agent Job and its RBAC afterwards.")
@bool_option("privileged", True, "Run the agent privileged (host PID/network, systemd access).")
@click.option(
    "--require-k8s",
    is_flag=True,
    help="Fail when no cluster is reachable (default: skip the K8s measurement).",
)
@click.option(
    "--systemd-service",
    "systemd_services",
    multiple=True,
    metavar="UNIT",
    help="SystemD unit to read (repeatable; default containerd, docker, kubelet).",
)
@kubeconfig_option
@output_options(Format.YAML)
@click.pass_context
@debug_option
def snapshot(ctx: click.Context, **params: Any) -> None:
    """Capture what this node has: Kubernetes, SystemD units, OS and GPUs.

    Collectors run in parallel, each with a time budget; the measurements are
    always written in the order K8s, SystemD, OS, GPU. Without a cluster the K8s
    measurement is skipped with a warning; without systemd or a GPU those
    measurements are empty, with a warning.

    \b
    Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input,
    4 cluster or output unavailable (e.g. --require-k8s without a cluster).

    \b
    Examples:
      cns snapshot -o snapshot.yaml
      cns snapshot --format json -o - | jq .
      cns snapshot --deploy-agent --node-selector nodeGroup=gpu -o cm://gpu-operator/cns-snapshot
    """
    fmt = output_format(params["output"], params["fmt"])
    if params["deploy_agent"]:
        doc = _run_agent(params, debug=bool(ctx.meta.get("cns.debug")))
    else:
        doc = _collect_locally(params)
    write_document(
        doc, params["output"], fmt, kubeconfig=params["kubeconfig"], table=render_snapshot_table
    )


def _collect_locally(params: Mapping[str, Any]) -> dict[str, Any]:
    from ..snapshot.collect import CollectOptions, collect_snapshot
    from ..snapshot.collectors.systemd import DEFAULT_SERVICES

    options = CollectOptions(
        kubeconfig=params["kubeconfig"],
        require_k8s=params["require_k8s"],
        systemd_services=tuple(params["systemd_services"]) or DEFAULT_SERVICES,
    )
    return collect_snapshot(options, progress=sys.stderr).to_dict()


def _run_agent(params: Mapping[str, Any], *, debug: bool) -> dict[str, Any]:
    from ..scheduling import parse_node_selector, parse_tolerations

    node_selector = parse_node_selector(params["node_selectors"])
    tolerations = parse_tolerations(params["tolerations"])
    from ..k8s.agent import AgentOptions, run_agent

    output = params["output"]
    options = AgentOptions(
        namespace=params["namespace"],
        image=params["image"],
        image_pull_secrets=tuple(params["image_pull_secrets"]),
        job_name=params["job_name"],
        service_account=params["service_account_name"],
        node_selector=node_selector,
        tolerations=tolerations,
        timeout=params["timeout"],
        cleanup=params["cleanup"] and not params["no_cleanup"],
        privileged=params["privileged"] and not params["no_privileged"],
        output=output if output.startswith(CONFIGMAP_SCHEME) else "",
        kubeconfig=params["kubeconfig"],
        debug=debug,
    )
    return run_agent(options)
