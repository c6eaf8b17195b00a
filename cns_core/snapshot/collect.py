"""Take a snapshot of this node: run the collectors in parallel, each with a time budget.

Measurements are always emitted in the order K8s, SystemD, OS, GPU, whatever order the
collectors finish in. Soft failures are warnings (no cluster → no K8s measurement,
unless ``require_k8s``; no systemd or no GPU → empty readings); anything else fails
the snapshot with ``failed to collect <what>: <why>``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from .. import __version__
from ..errors import CNSError, TimeoutExceededError, UnavailableError
from .collectors.gpu import collect_gpu
from .collectors.os import collect_os
from .collectors.systemd import DEFAULT_SERVICES, collect_systemd
from .model import Measurement, MeasurementType, Snapshot

ORDER = (MeasurementType.K8S, MeasurementType.SYSTEMD, MeasurementType.OS, MeasurementType.GPU)
LABELS = {
    MeasurementType.K8S: "kubernetes resources",
    MeasurementType.SYSTEMD: "systemd info",
    MeasurementType.OS: "OS info",
    MeasurementType.GPU: "GPU info",
}
DEFAULT_TIMEOUT = 60.0

Collector = Callable[[], Measurement]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectOptions:
    """How to collect; the defaults measure the real host."""

    kubeconfig: str | None = None
    node_name: str | None = None
    require_k8s: bool = False
    systemd_services: tuple[str, ...] = DEFAULT_SERVICES
    root: str = "/"
    timeout: float = DEFAULT_TIMEOUT
    nvml: Any = field(default=None, compare=False)


def default_collectors(options: CollectOptions) -> dict[MeasurementType, Collector]:
    """The production collectors, configured from ``options``."""
    budget = options.timeout

    def k8s() -> Measurement:
        from .collectors.k8s import collect_k8s  # imports the kubernetes client: only when run

        return collect_k8s(
            kubeconfig=options.kubeconfig, node_name=options.node_name, timeout=budget
        )

    return {
        MeasurementType.K8S: k8s,
        MeasurementType.SYSTEMD: lambda: collect_systemd(options.systemd_services, timeout=budget),
        MeasurementType.OS: lambda: collect_os(options.root),
        MeasurementType.GPU: lambda: collect_gpu(nvml=options.nvml, timeout=min(budget, 10.0)),
    }


def collect_snapshot(
    options: CollectOptions | None = None,
    *,
    collectors: Mapping[MeasurementType, Collector] | None = None,
    progress: TextIO | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Snapshot:
    """Run every collector in its own thread and assemble the snapshot.

    ``progress`` (default stderr) shows each collector finishing when it is a terminal.
    """
    options = options or CollectOptions()
    collectors = collectors if collectors is not None else default_collectors(options)
    timestamp = now().strftime("%Y-%m-%dT%H:%M:%SZ")
    display = Progress(progress if progress is not None else sys.stderr)
    outcomes = _run_parallel(collectors, options.timeout, display)
    measurements = []
    for type_ in ORDER:
        if type_ not in collectors:
            continue
        outcome = outcomes.get(type_)
        if isinstance(outcome, Measurement):
            measurements.append(outcome)
            continue
        error = outcome or TimeoutExceededError(
            f"the {type_.value} collector did not finish within {options.timeout:g}s"
        )
        if (
            type_ is MeasurementType.K8S
            and isinstance(error, UnavailableError)
            and not options.require_k8s
        ):
            log.warning(
                "K8s measurement skipped: %s (use --require-k8s to make this an error)", error
            )
            continue
        error.message = f"failed to collect {LABELS[type_]}: {error.message}"
        raise error
    return Snapshot(measurements, _source_node(measurements, options), timestamp, __version__)


def _run_parallel(
    collectors: Mapping[MeasurementType, Collector], timeout: float, display: Progress
) -> dict[MeasurementType, Measurement | CNSError]:
    """Start all collectors (daemon threads, so a hung one cannot block exit) and wait."""
    done: queue.Queue[tuple[MeasurementType, Measurement | BaseException, float]] = queue.Queue()

    def run(type_: MeasurementType, collector: Collector) -> None:
        start = time.monotonic()
        try:
            result: Measurement | BaseException = collector()
        except BaseException as exc:  # handed to the waiting thread, which re-raises
            result = exc
        done.put((type_, result, time.monotonic() - start))

    display.start([t.value for t in ORDER if t in collectors])
    for type_, collector in collectors.items():
        name = f"cns-collect-{type_.value}"
        threading.Thread(target=run, args=(type_, collector), name=name, daemon=True).start()
    deadline = time.monotonic() + timeout
    outcomes: dict[MeasurementType, Measurement | CNSError] = {}
    while len(outcomes) < len(collectors):
        try:
            type_, result, seconds = done.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            break
        if isinstance(result, BaseException) and not isinstance(result, CNSError):
            raise result
        outcomes[type_] = result
        display.finished(type_.value, result, seconds)
    display.stop()
    return outcomes


def _source_node(measurements: list[Measurement], options: CollectOptions) -> str:
    for measurement in measurements:
        if measurement.type is MeasurementType.K8S:
            for subtype in measurement.subtypes:
                if subtype.name == "node" and subtype.data.get("source-node"):
                    return str(subtype.data["source-node"])
    env = os.environ
    return (
        options.node_name
        or env.get("NODE_NAME")
        or env.get("KUBERNETES_NODE_NAME")
        or socket.gethostname()
    )


class Progress:
    """One line per finished collector on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def start(self, names: list[str]) -> None:
        self._write(f"collecting {', '.join(names)} …\n")

    def finished(self, name: str, result: object, seconds: float) -> None:
        if isinstance(result, Measurement):
            readings = sum(len(s.data) for s in result.subtypes)
            self._write(f"  ✓ {name:<8} {readings:>5} readings  {seconds:6.2f}s\n")
        else:
            self._write(f"  ✗ {name:<8} {result}\n")

    def stop(self) -> None:
        self._write("done\n")
