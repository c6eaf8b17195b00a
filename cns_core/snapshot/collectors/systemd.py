"""SystemD collector: the unit properties of container runtime and kubelet services."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

from ...errors import NotFoundError, UnavailableError
from ..model import Measurement, MeasurementType, Reading, Subtype
from .command import run_command

DEFAULT_SERVICES = ("containerd.service", "docker.service", "kubelet.service")
#: Properties that are noisy, host-specific or secret (wildcards: ``*``).
REMOVED_KEYS = (
    "AllowedCPUs",
    "AllowedMemoryNodes",
    "Asserts",
    "BPFProgram",
    "BusName",
    "Id",
    "*Credential*",
)
DEFAULT_TIMEOUT = 10.0
_INT_RE = re.compile(r"-?\d+")

log = logging.getLogger(__name__)


def collect_systemd(
    services: Sequence[str] = DEFAULT_SERVICES, *, timeout: float = DEFAULT_TIMEOUT
) -> Measurement:
    """One subtype per service with its properties (``systemctl show``).

    Without systemd (no ``systemctl``, or not booted with systemd) the measurement has
    no subtypes and a warning is logged. Units that do not exist still have properties
    (``LoadState: not-found``).
    """
    subtypes = []
    for service in services or DEFAULT_SERVICES[:1]:
        try:
            output = run_command("systemctl", "show", service, "--no-pager", timeout=timeout)
        except (NotFoundError, UnavailableError) as exc:
            log.warning("SystemD: systemd is not available (%s); no unit data collected", exc)
            return Measurement(MeasurementType.SYSTEMD, [])
        subtypes.append(Subtype(service, parse_properties(output.splitlines())))
    return Measurement(MeasurementType.SYSTEMD, subtypes)


def parse_properties(lines: Iterable[str]) -> dict[str, Reading]:
    """``Key=Value`` lines into typed readings (yes/no → bool, integers → int), filtered."""
    out: dict[str, Reading] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or any(matches_pattern(p, key) for p in REMOVED_KEYS):
            continue
        out[key] = _typed(value)
    return out


def _typed(value: str) -> Reading:
    if value in ("yes", "no"):
        return value == "yes"
    if _INT_RE.fullmatch(value):
        return int(value)
    return value


def matches_pattern(pattern: str, key: str) -> bool:
    """Wildcard match where ``*`` is the only metacharacter (unlike fnmatch's ``[`` and ``?``)."""
    if "*" not in pattern:
        return pattern == key
    first, *middle, last = pattern.split("*")
    if not key.startswith(first):
        return False
    pos = len(first)
    for segment in middle:
        found = key.find(segment, pos)
        if found < 0:
            return False
        pos = found + len(segment)
    return key.endswith(last) and len(key) - len(last) >= pos
