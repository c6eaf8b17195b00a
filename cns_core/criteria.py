"""Recipe criteria: the facts that select a recipe, their parsing, matching and allowlists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import API_VERSION
from .errors import InvalidRequestError

ANY = "any"
CRITERIA_KIND = "recipeCriteria"

#: Valid values per enum field (besides ``any``), and the aliases each accepts.
SERVICES = ("aks", "eks", "gke", "kind", "oke")
ACCELERATORS = ("a100", "gb200", "h100", "l40")
INTENTS = ("inference", "training")
OPERATING_SYSTEMS = ("amazonlinux", "cos", "rhel", "ubuntu")
#: What runs on top of the GPU stack: Kubeflow Trainer (training) or NVIDIA Dynamo (inference).
PLATFORMS = ("dynamo", "kubeflow")
#: Spellings of the wildcard besides ``any`` (``ALL`` is the seed API's, eidos).
WILDCARDS = ("all",)

_ALIASES: dict[str, dict[str, str]] = {
    "service": {"self-managed": ANY, "self": ANY, "vanilla": ANY},
    "accelerator": {"l40s": "l40"},
    "intent": {},
    "os": {"al2": "amazonlinux", "al2023": "amazonlinux", "amzn": "amazonlinux"},
    "platform": {
        "kubeflow-trainer": "kubeflow",
        "trainer": "kubeflow",
        "ai-dynamo": "dynamo",
        "nvidia-dynamo": "dynamo",
    },
}
VALID_VALUES: dict[str, tuple[str, ...]] = {
    "service": SERVICES,
    "accelerator": ACCELERATORS,
    "intent": INTENTS,
    "os": OPERATING_SYSTEMS,
    "platform": PLATFORMS,
}
ENUM_FIELDS = tuple(VALID_VALUES)
_NODES_RE = re.compile(r"\s*[+-]?\d+\s*")


def parse_enum(field_name: str, value: Any) -> str:
    """Normalise one enum value (case-insensitive, aliases, blank = any) or raise."""
    if value is None:
        return ANY
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"invalid {field_name} {value!r}: expected a string, one of {_valid(field_name)}"
        )
    norm = value.strip().lower()
    if norm in ("", ANY, *WILDCARDS):
        return ANY
    norm = _ALIASES[field_name].get(norm, norm)
    if norm != ANY and norm not in VALID_VALUES[field_name]:
        from .suggest import did_you_mean

        hint = did_you_mean(norm, (*_valid_list(field_name), *_ALIASES[field_name]))
        raise InvalidRequestError(
            f"invalid {field_name} {value!r}: valid values are {_valid(field_name)}{hint}",
            details={"field": field_name, "value": value, "valid": _valid_list(field_name)},
        )
    return norm


def aliases(field_name: str) -> dict[str, str]:
    """The other spellings ``field_name`` accepts, each with the value it stands for."""
    return dict(sorted(_ALIASES[field_name].items()))


def parse_nodes(value: Any) -> int:
    """Parse a node count: an integer >= 0 (blank or None = 0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise InvalidRequestError(f"invalid nodes {value!r}: expected an integer >= 0")
    if isinstance(value, int):
        count = value
    elif isinstance(value, str) and _NODES_RE.fullmatch(value):
        count = int(value)
    else:
        raise InvalidRequestError(f"invalid nodes {value!r}: expected an integer >= 0")
    if count < 0:
        raise InvalidRequestError(f"invalid nodes {value!r}: must be >= 0")
    return count


def _valid_list(field_name: str) -> list[str]:
    return sorted((*VALID_VALUES[field_name], ANY))


def _valid(field_name: str) -> str:
    return ", ".join(_valid_list(field_name))


class Criteria(NamedTuple):
    """What a recipe is for. ``any`` is a wildcard; ``nodes == 0`` means unspecified.

    ``platform`` comes last so that positional construction keeps its meaning; the
    serialised form lists it with the other enum fields.
    """

    service: str = ANY
    accelerator: str = ANY
    intent: str = ANY
    os: str = ANY
    nodes: int = 0
    platform: str = ANY

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Criteria:
        """Build criteria from raw values (query string, file spec, flags)."""
        known = {*ENUM_FIELDS, "nodes", "gpu"}
        unknown = sorted(set(values) - known, key=str)
        if unknown:
            from .suggest import did_you_mean

            raise InvalidRequestError(
                f"unknown criteria field(s) {', '.join(map(str, unknown))}: valid fields are "
                "accelerator (alias gpu), intent, nodes, os, platform, service"
                f"{did_you_mean(str(unknown[0]), known) if len(unknown) == 1 else ''}"
            )
        accelerator = values.get("accelerator")
        if accelerator in (None, ""):
            accelerator = values.get("gpu")
        return cls(
            service=parse_enum("service", values.get("service")),
            accelerator=parse_enum("accelerator", accelerator),
            intent=parse_enum("intent", values.get("intent")),
            os=parse_enum("os", values.get("os")),
            nodes=parse_nodes(values.get("nodes")),
            platform=parse_enum("platform", values.get("platform")),
        )

    def replace(self, **changes: Any) -> Criteria:
        """A copy with the given (already parsed) fields changed."""
        return self._replace(**changes)

    def matches(self, query: Criteria) -> bool:
        """Whether an overlay with these criteria applies to ``query`` (asymmetric).

        A wildcard here matches anything; a specific value here needs the same
        specific value in the query (a generic query does not pick specific overlays).
        """
        for name in ENUM_FIELDS:
            mine, theirs = getattr(self, name), getattr(query, name)
            if mine != ANY and mine != theirs:
                return False
        return self.nodes == 0 or self.nodes == query.nodes

    @property
    def specificity(self) -> int:
        """How many fields are pinned (omitted fields count as wildcards)."""
        pinned = sum(getattr(self, name) != ANY for name in ENUM_FIELDS)
        return pinned + (self.nodes != 0)

    def to_dict(self) -> dict[str, Any]:
        """Serialised form: every enum field, ``nodes`` only when set."""
        out: dict[str, Any] = {name: getattr(self, name) for name in ENUM_FIELDS}
        if self.nodes:
            out["nodes"] = self.nodes
        return out

    @property
    def cache_key(self) -> tuple[str, str, str, str, int, str]:
        return (self.service, self.accelerator, self.intent, self.os, self.nodes, self.platform)

    def __str__(self) -> str:
        pinned = [f"{k}={v}" for k, v in self.to_dict().items() if v != ANY]
        return f"criteria({', '.join(pinned) or ANY})"


def criteria_from_resource(doc: Any, *, source: str = "criteria") -> Criteria:
    """Parse a RecipeCriteria resource (``kind: recipeCriteria``, ``spec: {...}``)."""
    if not isinstance(doc, Mapping):
        raise InvalidRequestError(
            f"{source}: expected a RecipeCriteria resource (a mapping with kind, apiVersion, "
            f"spec), got {type(doc).__name__}"
        )
    unknown = sorted(set(doc) - {"kind", "apiVersion", "metadata", "spec"}, key=str)
    if unknown:
        raise InvalidRequestError(
            f"{source}: unknown top-level field(s) {', '.join(map(str, unknown))}: a RecipeCriteria "
            "resource has kind, apiVersion, metadata and spec"
        )
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind not in (None, "", CRITERIA_KIND):
        raise InvalidRequestError(f'{source}: invalid kind "{kind}", expected "{CRITERIA_KIND}"')
    if api_version not in (None, "", API_VERSION):
        raise InvalidRequestError(
            f'{source}: invalid apiVersion "{api_version}", expected "{API_VERSION}"'
        )
    spec = doc.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise InvalidRequestError(f"{source}: spec must be a mapping of criteria fields")
    try:
        return Criteria.parse(spec)
    except InvalidRequestError as exc:
        raise InvalidRequestError(f"{source}: {exc.message}", details=exc.details) from None


@dataclass(frozen=True)
class AllowLists:
    """Per-field allowlists (empty = unrestricted); ``any`` is always allowed.

    Where the lists come from (the service reads ``CNS_ALLOWED_*``) is the front end's
    business: see ``cns_web.config``.
    """

    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def check(self, criteria: Criteria) -> None:
        """Raise INVALID_REQUEST if a pinned field is outside its allowlist."""
        for field_name, allowed in self.lists.items():
            requested = getattr(criteria, field_name)
            if requested != ANY and requested not in allowed:
                raise InvalidRequestError(
                    f"{field_name} {requested!r} is not allowed on this server: "
                    f"allowed values are {', '.join(allowed)}",
                    details={"requested": requested, "allowed": list(allowed)},
                )
