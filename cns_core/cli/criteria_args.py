"""The criteria options (``--service`` ... ``--nodes``, ``-c``, ``-s``) of ``cns recipe`` and
``cns query``, and the criteria they add up to: snapshot, then criteria file, then flags."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from ..criteria import (
    ACCELERATORS,
    ANY,
    INTENTS,
    OPERATING_SYSTEMS,
    PLATFORMS,
    SERVICES,
    Criteria,
    criteria_from_resource,
)
from ..errors import CNSError
from .documents import read_document
from .options import complete_choices, complete_path

F = TypeVar("F", bound=Callable[..., Any])

#: option name → the Criteria field it sets
CRITERIA_FLAGS = {
    "service": "service",
    "accelerator": "accelerator",
    "intent": "intent",
    "os_name": "os",
    "platform": "platform",
    "nodes": "nodes",
}


def criteria_options(*, snapshot_help: str) -> Callable[[F], F]:
    """``--service``, ``--accelerator``/``--gpu``, ``--intent``, ``--os``, ``--platform``,
    ``--nodes``, ``-c/--criteria`` and ``-s/--snapshot``."""
    options = [
        click.option(
            "--service",
            metavar="|".join(SERVICES),
            shell_complete=complete_choices((*SERVICES, ANY)),
            help="Kubernetes service (kind: a local GPU dev cluster; any = self-managed).",
        ),
        click.option(
            "--accelerator",
            "--gpu",
            "accelerator",
            metavar="|".join(ACCELERATORS),
            shell_complete=complete_choices((*ACCELERATORS, ANY)),
            help="GPU type.",
        ),
        click.option(
            "--intent",
            metavar="|".join(INTENTS),
            shell_complete=complete_choices((*INTENTS, ANY)),
            help="Workload intent.",
        ),
        click.option(
            "--os",
            "os_name",
            metavar="|".join(OPERATING_SYSTEMS),
            shell_complete=complete_choices((*OPERATING_SYSTEMS, ANY)),
            help="Node operating system.",
        ),
        click.option(
            "--platform",
            metavar="|".join(PLATFORMS),
            shell_complete=complete_choices((*PLATFORMS, ANY)),
            help="Platform on top of the stack: kubeflow (Kubeflow Trainer on KAI, training) or "
            "dynamo (NVIDIA Dynamo behind kgateway, inference). A snapshot cannot tell it.",
        ),
        click.option("--nodes", metavar="N", help="Number of GPU nodes (integer >= 0)."),
        click.option(
            "-c",
            "--criteria",
            "criteria_file",
            metavar="FILE",
            shell_complete=complete_path,
            help="RecipeCriteria resource (JSON or YAML, '-' for stdin); flags override it.",
        ),
        click.option(
            "-s",
            "--snapshot",
            "snapshot_source",
            metavar="FILE|URL|cm://NS/NAME",
            shell_complete=complete_path,
            help=snapshot_help,
        ),
    ]

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@dataclass(frozen=True)
class CriteriaInput:
    """What the criteria options gave: the criteria, what the snapshot alone detected
    (None without ``--snapshot``), an evaluator of overlay constraints against the
    snapshot, and the fields pinned by a criteria file or a flag."""

    criteria: Criteria
    detected: Criteria | None = None
    evaluator: Any = None
    given: frozenset[str] = frozenset()


def given_flags(params: Mapping[str, Any]) -> dict[str, Any]:
    """The criteria flags on the command line, by Criteria field."""
    return {
        field: params[name]
        for name, field in CRITERIA_FLAGS.items()
        if params.get(name) is not None
    }


def resolve_criteria(params: Mapping[str, Any], kubeconfig: str | None) -> CriteriaInput:
    """The criteria of the options (each source overrides the one before), or a usage
    error when none is given."""
    given = given_flags(params)
    criteria_file, snapshot_source = params.get("criteria_file"), params.get("snapshot_source")
    if criteria_file is None and snapshot_source is None and not given:
        raise click.UsageError(
            "no criteria given: use at least one of --service, --accelerator, --intent, --os, "
            "--platform, --nodes, --criteria FILE or --snapshot FILE (e.g. --service any for "
            "the generic recipe)"
        )
    criteria, detected, evaluator = Criteria(), None, None
    pinned: set[str] = set()
    if snapshot_source is not None:
        criteria, evaluator = _from_snapshot(snapshot_source, kubeconfig)
        detected = criteria
    if criteria_file is not None:
        from_file = _pinned(
            criteria_from_resource(
                read_document(criteria_file, kubeconfig=kubeconfig), source=criteria_file
            )
        )
        criteria = criteria.replace(**from_file)
        pinned |= set(from_file)
    if given:
        parsed = Criteria.parse(given)
        criteria = criteria.replace(**{k: getattr(parsed, k) for k in given})
        pinned |= set(given)
    return CriteriaInput(criteria, detected, evaluator, frozenset(pinned))


def _from_snapshot(source: str, kubeconfig: str | None) -> tuple[Criteria, Any]:
    """The criteria a snapshot implies, and an evaluator of overlay constraints against it."""
    from ..snapshot import Snapshot
    from ..snapshot.infer import criteria_from_snapshot
    from ..validate import constraint_evaluator

    try:
        snapshot = Snapshot.from_dict(read_document(source, kubeconfig=kubeconfig), source=source)
    except CNSError as exc:
        exc.message = f"cannot load the snapshot: {exc.message}"
        raise
    return criteria_from_snapshot(snapshot), constraint_evaluator(snapshot)


def _pinned(criteria: Criteria) -> dict[str, Any]:
    """The fields of ``criteria`` that are not wildcards."""
    return {k: v for k, v in criteria.to_dict().items() if v not in (ANY, 0)}
