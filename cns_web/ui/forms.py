"""The browser's forms: criteria (in the query string) and bundle options, read and checked
with the API's own schemas and parsers, so a page says exactly what the API would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from marshmallow import ValidationError

from cns_core.bundle import BundleOptions, Deployer, generate_bundle
from cns_core.criteria import ANY, ENUM_FIELDS, VALID_VALUES, AllowLists, Criteria
from cns_core.errors import InvalidRequestError
from cns_core.recipes import RecipeResult, RecipeStore

from ..extensions import validation_error
from ..schemas import CriteriaSchema

#: Query parameters of the criteria (``gpu`` is accepted as the API accepts it).
CRITERIA_PARAMS = (*ENUM_FIELDS, "gpu", "nodes")
LABELS = {
    "service": "Kubernetes service",
    "accelerator": "Accelerator (GPU)",
    "intent": "Workload intent",
    "os": "Node operating system",
    "platform": "Platform",
    "nodes": "GPU nodes",
}
VALUE_LABELS = {
    "any": "any",
    "eks": "EKS (Amazon)",
    "gke": "GKE (Google)",
    "aks": "AKS (Azure)",
    "oke": "OKE (Oracle)",
    "kind": "kind (local GPU dev cluster)",
    "h100": "H100",
    "gb200": "GB200",
    "a100": "A100",
    "l40": "L40 / L40S",
    "training": "training",
    "inference": "inference",
    "ubuntu": "Ubuntu",
    "rhel": "RHEL",
    "cos": "Container-Optimized OS",
    "amazonlinux": "Amazon Linux",
    "kubeflow": "Kubeflow Trainer on KAI",
    "dynamo": "NVIDIA Dynamo behind kgateway",
}
_criteria_schema = CriteriaSchema()


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class CriteriaForm:
    """A criteria form as submitted: raw values, the parsed criteria or the error."""

    prefix: str = ""
    raw: dict[str, str] = field(default_factory=dict)
    criteria: Criteria | None = None
    error: str = ""
    field_errors: dict[str, str] = field(default_factory=dict)

    @property
    def submitted(self) -> bool:
        return bool(self.raw)

    def name(self, field_name: str) -> str:
        """The input's name (and id stem) for ``field_name``."""
        return f"{self.prefix}{field_name}"

    def selected(self, field_name: str) -> str:
        """The value to show selected: the parsed one when valid, else what was sent."""
        if self.criteria is not None:
            value = getattr(self.criteria, field_name)
            return str(value) if field_name != "nodes" or value else ""
        return self.raw.get(field_name, "")

    def query(self) -> dict[str, str]:
        """The criteria as query parameters (pinned fields only), e.g. for links."""
        return criteria_query(self.criteria, self.prefix) if self.criteria else {}


def choices(field_name: str, allowlists: AllowLists) -> list[Choice]:
    """``any`` and the values this server serves for one enum field."""
    allowed = allowlists.lists.get(field_name) or VALID_VALUES[field_name]
    return [Choice(v, VALUE_LABELS.get(v, v)) for v in (ANY, *allowed)]


def criteria_query(criteria: Criteria, prefix: str = "") -> dict[str, str]:
    """Query parameters that select ``criteria`` (wildcards omitted)."""
    return {
        f"{prefix}{k}": str(v)
        for k, v in criteria.to_dict().items()
        if v not in (ANY, 0) and k in CRITERIA_PARAMS
    }


def read_criteria(
    args: Mapping[str, str], allowlists: AllowLists, *, prefix: str = "", what: str = ""
) -> CriteriaForm:
    """Parse the criteria fields of a query string (``prefix``-ed names) as GET /v1/recipe does.

    ``what`` names the form in messages (e.g. "second recipe").
    """
    raw = {name: args[prefix + name] for name in CRITERIA_PARAMS if prefix + name in args}
    form = CriteriaForm(prefix=prefix, raw=raw)
    if not raw:
        return form
    try:
        criteria = _criteria_schema.load(raw)
        allowlists.check(criteria)
    except ValidationError as exc:
        error = validation_error(exc, "query parameters")
        form.error = _named(what, error.message)
        form.field_errors = {
            k: " ".join(v) for k, v in error.details.get("errors", {}).items() if k in raw
        }
        return form
    except InvalidRequestError as exc:
        form.error = _named(what, exc.message)
        return form
    form.criteria = criteria
    return form


def _named(what: str, message: str) -> str:
    return f"{what}: {message}" if what else message


# Bundle options --------------------------------------------------------------------------

#: The list-valued options: form field (one item per line) = API query parameter.
LIST_OPTIONS = (
    "set",
    "system-node-selector",
    "system-node-toleration",
    "accelerated-node-selector",
    "accelerated-node-toleration",
)
OPTION_FIELDS = ("deployer", "repo", *LIST_OPTIONS, "bundlers")
#: The marker field of a submitted bundle form (an unchecked box sends nothing).
SUBMITTED = "options"
_PARSE_ARGS = {
    "deployer": "deployer",
    "repo": "repo",
    "set": "sets",
    "system-node-selector": "system_node_selector",
    "system-node-toleration": "system_node_toleration",
    "accelerated-node-selector": "accelerated_node_selector",
    "accelerated-node-toleration": "accelerated_node_toleration",
    "bundlers": "bundlers",
}


def gitops(deployer: str) -> bool:
    """Whether a deployer pushes to a GitOps repository (every deployer but helm)."""
    return deployer != Deployer.HELM.value


@dataclass
class BundleForm:
    """Bundle options as the form sends them: text fields, one list item per line."""

    deployer: str = Deployer.HELM.value
    repo: str = ""
    lists: dict[str, list[str]] = field(default_factory=dict)
    bundlers: list[str] | None = None  # None: every component
    submitted: bool = False

    def text(self, name: str) -> str:
        return "\n".join(self.lists.get(name, []))

    def parse_kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"deployer": self.deployer, "repo": self.repo}
        for name in LIST_OPTIONS:
            out[_PARSE_ARGS[name]] = self.lists.get(name, [])
        out["bundlers"] = self.bundlers or []
        return out

    def api_query(self) -> list[tuple[str, str]]:
        """The ``POST /v1/bundle`` query parameters these options are."""
        query = [("deployer", self.deployer)]
        if self.repo:
            query.append(("repo", self.repo))
        for name in LIST_OPTIONS:
            query += [(name, item) for item in self.lists.get(name, [])]
        query += [("bundlers", item) for item in self.bundlers or []]
        return query

    def api_query_string(self) -> str:
        return urlencode(self.api_query())


def _lines(values: Iterable[str]) -> list[str]:
    return [line.strip() for value in values for line in value.splitlines() if line.strip()]


def read_bundle_form(args: Any, components: Iterable[str]) -> BundleForm:
    """Options from a query string (``args`` is a werkzeug MultiDict); textareas split by line.

    When every component is ticked the selection is left out (the API's default).
    """
    names = list(components)
    form = BundleForm(
        deployer=(args.get("deployer") or Deployer.HELM.value).strip(),
        repo=(args.get("repo") or "").strip(),
        lists={name: _lines(args.getlist(name)) for name in LIST_OPTIONS},
        submitted=SUBMITTED in args,
    )
    if form.submitted:
        chosen = [b for b in args.getlist("bundlers") if b.strip()]
        form.bundlers = None if sorted(chosen) == sorted(names) else chosen
    else:
        form.bundlers = [b for b in args.getlist("bundlers") if b.strip()] or None
    return form


@dataclass
class BundleCheck:
    """The outcome of checking the options against a recipe: per-field errors, or warnings."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    file_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": self.errors, "warnings": list(self.warnings)}


def check_bundle_form(
    form: BundleForm, recipe: RecipeResult, store: RecipeStore, deadline: Callable[[str], None]
) -> BundleCheck:
    """Every field parsed on its own (so each message lands next to its field), then the
    whole bundle built as ``POST /v1/bundle`` builds it; messages are the API's own."""
    check = BundleCheck()
    kwargs = form.parse_kwargs()
    for name in OPTION_FIELDS:
        arg = _PARSE_ARGS[name]
        try:
            BundleOptions.parse(**{arg: kwargs[arg]})
        except InvalidRequestError as exc:
            check.errors[name] = exc.message
    if form.submitted and form.bundlers == []:
        check.errors["bundlers"] = "choose at least one component"
    if check.errors:
        return check
    try:
        bundle = generate_bundle(recipe, store, BundleOptions.parse(**kwargs))
    except InvalidRequestError as exc:
        details = exc.details or {}
        target = "set" if "set" in details else "bundlers" if "bundler" in details else "form"
        check.errors[target] = exc.message
        return check
    deadline("checking the bundle options")
    check.warnings = bundle.warnings
    check.file_count = bundle.file_count
    return check
