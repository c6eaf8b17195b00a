"""marshmallow schemas: they validate requests and, through flask-smorest, write the OpenAPI document.

Value rules (case-insensitive enums, aliases, node counts) are not restated here:
the fields call :mod:`cns_core.criteria`, so the API accepts exactly what the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load
from marshmallow.validate import OneOf

from cns_core import API_VERSION
from cns_core.bundle.options import BundleOptions, Deployer
from cns_core.criteria import (
    ANY,
    CRITERIA_KIND,
    VALID_VALUES,
    Criteria,
    parse_enum,
    parse_nodes,
)
from cns_core.errors import InvalidRequestError
from cns_core.nodefacts import FACT_HELP, NodeFacts, parse_fact
from cns_core.scheduling import SELECTOR_PATTERN, TOLERATION_PATTERN

from .query import RecipeQuery

_FIELD_HELP = {
    "service": "Kubernetes service (`kind`: a local GPU dev cluster); `self-managed`, `self` "
    "and `vanilla` mean any. `ALL` (any field) means any.",
    "accelerator": "GPU type.",
    "intent": "Workload intent.",
    "os": "GPU node operating system; `al2`, `al2023` and `amzn` mean amazonlinux.",
    "platform": "Platform on top of the stack: `kubeflow` (Kubeflow Trainer on KAI) or "
    "`dynamo` (NVIDIA Dynamo behind kgateway).",
}


class CriteriaEnum(fields.String):
    """One criteria enum (case-insensitive, aliases accepted); a blank value is left unset."""

    def __init__(self, criteria_field: str, description: str, **kwargs: Any) -> None:
        self.criteria_field = criteria_field
        valid = sorted((*VALID_VALUES[criteria_field], ANY))
        super().__init__(
            metadata={"description": description, "enum": valid, "default": ANY}, **kwargs
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        try:
            return parse_enum(self.criteria_field, value)
        except InvalidRequestError as exc:
            raise ValidationError(exc.message) from None


class NodeCount(fields.Integer):
    """Number of GPU nodes, an integer >= 0 (0 = unspecified)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={"description": "Number of GPU nodes (0 = any).", "minimum": 0, "default": 0},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return parse_nodes(value)
        except InvalidRequestError as exc:
            raise ValidationError(exc.message) from None


def _unknown_message(valid: str) -> dict[str, str]:
    return {"unknown": f"unknown field: valid fields are {valid}"}


class CriteriaSchema(Schema):
    """The criteria (query string of GET /v1/recipe, ``spec`` of a RecipeCriteria resource)."""

    class Meta:
        unknown = RAISE

    error_messages = _unknown_message("accelerator, gpu, intent, nodes, os, platform, service")

    service = CriteriaEnum("service", _FIELD_HELP["service"])
    accelerator = CriteriaEnum("accelerator", _FIELD_HELP["accelerator"])
    gpu = CriteriaEnum("accelerator", "Alias of accelerator, used only when accelerator is unset.")
    intent = CriteriaEnum("intent", _FIELD_HELP["intent"])
    os = CriteriaEnum("os", _FIELD_HELP["os"])
    platform = CriteriaEnum("platform", _FIELD_HELP["platform"])
    nodes = NodeCount()

    @post_load
    def to_criteria(self, data: dict[str, Any], **_: Any) -> Criteria:
        return Criteria.parse(data)


#: What cns_core.versions parses: an optional v, one to three numbers, vendor extras.
VERSION_PATTERN = r"^[vV]?[0-9]{1,9}(\.[0-9]{1,9}){0,2}([-+][0-9A-Za-z.+-]*)?$"


class NodeFact(fields.String):
    """A node fact of the seed API (``osv``, ``kernel``, ``k8s``): a version string."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.fact = name
        super().__init__(
            metadata={"description": FACT_HELP[name], "pattern": VERSION_PATTERN}, **kwargs
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            return parse_fact(self.fact, value)
        except InvalidRequestError as exc:
            raise ValidationError(exc.message) from None


class RecipeQuerySchema(CriteriaSchema):
    """The query string of GET /v1/recipe: the criteria, plus the seed API's (eidos)
    node facts and ``context``."""

    error_messages = _unknown_message(
        "accelerator, context, gpu, intent, k8s, kernel, nodes, os, osv, platform, service"
    )

    osv = NodeFact("osv")
    kernel = NodeFact("kernel")
    k8s = NodeFact("k8s")
    context = fields.Boolean(
        metadata={
            "description": "true: add the explain trace (metadata.explain: what each "
            "overlay changed) to the recipe.",
            "default": False,
        }
    )

    @post_load
    def to_criteria(self, data: dict[str, Any], **_: Any) -> RecipeQuery:
        facts = NodeFacts.parse(data)
        context = bool(data.pop("context", False))
        criteria = {k: v for k, v in data.items() if k not in NodeFacts._fields}
        return RecipeQuery(Criteria.parse(criteria), facts, context)


class ResourceMetadataSchema(Schema):
    """Resource metadata (only ``name`` is documented; the server ignores it)."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(metadata={"description": "Name of this criteria set (ignored)."})


def _exact_or_blank(expected: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in ("", expected):
            raise ValidationError(f"invalid value {value!r}: expected {expected!r}")

    return check


class RecipeCriteriaSchema(Schema):
    """A RecipeCriteria resource: ``kind``, ``apiVersion``, ``metadata``, ``spec``."""

    class Meta:
        unknown = RAISE

    error_messages = {  # noqa: RUF012 - marshmallow's own (instance-typed) class attribute
        **_unknown_message("kind, apiVersion, metadata, spec"),
        "type": "expected a RecipeCriteria resource: a mapping with kind, apiVersion, "
        "metadata and spec",
    }

    kind = fields.String(
        validate=_exact_or_blank(CRITERIA_KIND),
        metadata={"enum": [CRITERIA_KIND], "description": "Optional; must match if given."},
    )
    apiVersion = fields.String(
        validate=_exact_or_blank(API_VERSION),
        metadata={"enum": [API_VERSION], "description": "Optional; must match if given."},
    )
    metadata = fields.Nested(ResourceMetadataSchema)
    spec = fields.Nested(CriteriaSchema)

    @post_load
    def to_criteria(self, data: dict[str, Any], **_: Any) -> Criteria:
        spec = data.get("spec")
        return spec if isinstance(spec, Criteria) else Criteria()


class ErrorSchema(Schema):
    """The body of every error response."""

    code = fields.String(
        required=True,
        metadata={"description": "Machine-readable code, e.g. INVALID_REQUEST, NOT_FOUND."},
    )
    message = fields.String(
        required=True, metadata={"description": "What went wrong and what is valid."}
    )
    details = fields.Dict(
        required=True, metadata={"description": "Structured context (may be empty)."}
    )
    requestId = fields.String(required=True)
    timestamp = fields.String(required=True, metadata={"format": "date-time"})
    retryable = fields.Boolean(required=True)


class ConstraintSchema(Schema):
    name = fields.String(
        required=True, metadata={"description": "Type.subtype.key of a measurement."}
    )
    value = fields.String(required=True, metadata={"description": "Expression, e.g. '>= 1.28'."})


class ComponentRefSchema(Schema):
    """One component; empty fields are omitted."""

    name = fields.String(required=True)
    type = fields.String(metadata={"enum": ["Helm", "Kustomize"]})
    source = fields.String()
    version = fields.String()
    tag = fields.String()
    valuesFile = fields.String()
    overrides = fields.Dict()
    patches = fields.List(fields.Raw())
    dependencyRefs = fields.List(fields.String())
    manifestFiles = fields.List(fields.String())
    path = fields.String()


class ConstraintWarningSchema(Schema):
    overlay = fields.String(required=True)
    constraint = fields.String(required=True)
    expected = fields.String(required=True)
    actual = fields.String()
    reason = fields.String(required=True)


class ExplainEntrySchema(Schema):
    layer = fields.String(required=True, metadata={"description": "base or an overlay."})
    change = fields.String(required=True, metadata={"description": "What it did."})


class RecipeMetadataSchema(Schema):
    version = fields.String()
    appliedOverlays = fields.List(fields.String())
    excludedOverlays = fields.List(fields.String())
    constraintWarnings = fields.List(fields.Nested(ConstraintWarningSchema))
    explain = fields.List(
        fields.Nested(ExplainEntrySchema),
        metadata={"description": "Only with context=true: what each layer changed."},
    )


class RecipeResultSchema(Schema):
    """The built recipe (documentation only: responses are serialised by cns_core)."""

    kind = fields.String(required=True, metadata={"enum": ["recipeResult"]})
    apiVersion = fields.String(required=True, metadata={"enum": [API_VERSION]})
    metadata = fields.Nested(RecipeMetadataSchema, required=True)
    criteria = fields.Nested(CriteriaSchema, required=True)
    constraints = fields.List(fields.Nested(ConstraintSchema))
    componentRefs = fields.List(fields.Nested(ComponentRefSchema), required=True)
    deploymentOrder = fields.List(fields.String(), required=True, allow_none=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["healthy", "ready", "not_ready"]})
    timestamp = fields.String(required=True, metadata={"format": "date-time"})
    reason = fields.String(metadata={"description": "Why the service is not ready."})


class ServiceInfoSchema(Schema):
    name = fields.String(required=True)
    service = fields.String(required=True, metadata={"description": "Same as name (upstream key)."})
    version = fields.String(required=True)
    routes = fields.List(fields.String(), required=True)


_READING = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}


class SnapshotSubtypeSchema(Schema):
    """One named group of readings."""

    class Meta:
        unknown = RAISE

    subtype = fields.String(metadata={"description": "e.g. server, release, containerd.service."})
    data = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"description": "A string, number or boolean.", **_READING}),
        metadata={"description": "Readings: key to a string, number or boolean."},
    )
    context = fields.Dict(keys=fields.String(), values=fields.String())


class SnapshotMeasurementSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, metadata={"enum": ["K8s", "SystemD", "OS", "GPU"]})
    subtypes = fields.List(fields.Nested(SnapshotSubtypeSchema))


class SnapshotSchema(Schema):
    """A Snapshot document (what ``cns snapshot`` writes); parsed by cns_core."""

    kind = fields.String(metadata={"enum": ["Snapshot"]})
    apiVersion = fields.String(metadata={"enum": [API_VERSION]})
    metadata = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "source-node, timestamp, version."},
    )
    measurements = fields.List(fields.Nested(SnapshotMeasurementSchema), required=True)


def _snapshot_field() -> fields.Nested:
    return fields.Nested(SnapshotSchema, required=True)


class ValidateSnapshotSchema(Schema):
    """``{snapshot}``: the recipe ``cns recipe --snapshot`` selects for the node is checked."""

    class Meta:
        unknown = RAISE

    snapshot = _snapshot_field()


class ValidateRecipeSchema(Schema):
    """``{snapshot, recipe}``: the constraints of the given recipe are checked."""

    class Meta:
        unknown = RAISE

    snapshot = _snapshot_field()
    recipe = fields.Nested(
        RecipeResultSchema,
        required=True,
        metadata={"description": "The recipe whose constraints are checked (a RecipeResult)."},
    )


class ValidateCriteriaSchema(Schema):
    """``{snapshot, criteria}``: criteria override those detected from the snapshot."""

    class Meta:
        unknown = RAISE

    snapshot = _snapshot_field()
    criteria = fields.Nested(
        CriteriaSchema,
        required=True,
        metadata={
            "description": "Criteria overriding those detected from the snapshot; the recipe "
            "is built as `cns recipe --snapshot` builds it."
        },
    )


#: The body of POST /v1/validate, one of three shapes (cns_web.blueprints.validate parses it).
VALIDATE_REQUEST = {"oneOf": [ValidateRecipeSchema, ValidateCriteriaSchema, ValidateSnapshotSchema]}


class ValidationSummarySchema(Schema):
    passed = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    total = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["pass", "partial", "fail"]})
    duration = fields.String(required=True, metadata={"example": "1.234ms"})


class ConstraintResultSchema(Schema):
    name = fields.String(required=True)
    expected = fields.String(required=True)
    actual = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["passed", "failed", "skipped"]})
    message = fields.String()


class ValidationMetadataSchema(Schema):
    timestamp = fields.String(required=True, metadata={"format": "date-time"})
    version = fields.String(required=True)


class ValidationResultSchema(Schema):
    """The validation report (the document ``cns validate`` writes)."""

    kind = fields.String(required=True, metadata={"enum": ["ValidationResult"]})
    apiVersion = fields.String(required=True, metadata={"enum": [API_VERSION]})
    metadata = fields.Nested(ValidationMetadataSchema, required=True)
    recipeSource = fields.String(required=True)
    snapshotSource = fields.String(required=True)
    summary = fields.Nested(ValidationSummarySchema, required=True)
    results = fields.List(fields.Nested(ConstraintResultSchema), required=True)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error messages as ``{"spec.service": ["..."]}``."""
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = "body" if key == "_schema" else str(key)
            out.update(flatten_messages(value, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    if isinstance(messages, list):
        out = {}
        for i, value in enumerate(messages):
            out.update(flatten_messages(value, f"{prefix}[{i}]"))
        return out
    return {prefix or "body": [str(messages)]}


class CriterionSchema(Schema):
    """One criteria field: its values (``any`` last) and the other spellings it accepts."""

    name = fields.String(required=True, metadata={"description": "Query parameter / flag name."})
    type = fields.String(required=True, metadata={"enum": ["string", "integer"]})
    values = fields.List(fields.String(), metadata={"description": "Valid values (strings)."})
    default = fields.Raw(required=True, metadata={"description": "`any` (strings) or 0 (nodes)."})
    aliases = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Other spellings, each with the value it stands for."},
    )
    fieldAliases = fields.List(
        fields.String(), metadata={"description": "Other names of the parameter (gpu)."}
    )
    minimum = fields.Integer(metadata={"description": "Smallest value (nodes)."})


class OverlayEntrySchema(Schema):
    """One overlay of the recipe data."""

    name = fields.String(required=True)
    file = fields.String(required=True, metadata={"description": "Its file in the recipe data."})
    matches = fields.Dict(
        required=True,
        metadata={
            "description": "The criteria it pins; a criterion it omits matches anything "
            "(empty: it applies only through overlays that build on it)."
        },
    )
    base = fields.String(required=True, metadata={"description": "The recipe it builds on."})
    adds = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What it changes on top of its base, as `--explain` words it."},
    )
    constraints = fields.List(fields.Nested(ConstraintSchema), required=True)


class CatalogSchema(Schema):
    """What can be asked: every criterion and every overlay (`cns list`)."""

    criteria = fields.List(fields.Nested(CriterionSchema), required=True)
    overlays = fields.List(fields.Nested(OverlayEntrySchema), required=True)


#: Documents the selectors ``cns_core.query.parse_selector`` takes (a subset: it also
#: strips blanks and finds keys holding unescaped dots as written).
_SELECTOR_KEY = r"(?:[^.\\\s]|\\\.)+"
SELECTOR_PATH_PATTERN = rf"^\.?(?:{_SELECTOR_KEY}(?:\.{_SELECTOR_KEY})*)?$"


class QueryArgsSchema(CriteriaSchema):
    """``GET /v1/query``: the criteria, the selector, and how to answer."""

    error_messages = _unknown_message(
        "accelerator, format, gpu, intent, nodes, os, selector, service"
    )

    selector = fields.String(
        required=True,
        metadata={
            "description": "Dotted path into the resolved recipe, e.g. "
            "`components.gpu-operator.values.driver.version` (a number indexes a list, empty "
            "selects everything; a key holding dots is found as written, or with `\\.`).",
            "pattern": SELECTOR_PATH_PATTERN,
        },
    )
    format = fields.String(
        validate=OneOf(["", "json", "yaml"], error="must be json or yaml"),
        metadata={
            "enum": ["json", "yaml"],
            "description": "json: every value as JSON; yaml: maps and lists as YAML. "
            "Default: a scalar as text/plain, maps and lists as JSON.",
        },
    )

    @post_load
    def to_criteria(self, data: dict[str, Any], **_: Any) -> Any:
        selector, fmt = data.pop("selector"), data.pop("format", "") or ""
        return Criteria.parse(data), selector, fmt


_TOLERATION_HELP = (
    "key=value:Effect, key=value, key:Effect, key, or * to tolerate every taint (repeatable)."
)


#: Patterns of the documented option values: ASCII subsets of what the parsers accept
#: (they also strip blanks, take effects in any case and Unicode in URLs and values).
#: Selector and toleration patterns come from cns_core.scheduling.
_SEGMENT = r"(?:[A-Za-z0-9_/-]|\\\.)+"
SET_PATTERN = rf"^[A-Za-z0-9][-A-Za-z0-9_.]*:{_SEGMENT}(?:\.{_SEGMENT})*=.+$"
BUNDLERS_PATTERN = r"^[-A-Za-z0-9_., ]*$"
_VISIBLE = "!-~"  # printable ASCII but space
REPO_PATTERN = (
    rf"^(?:(?:https?|ssh|git)://[!-.0-~]+(?:/[{_VISIBLE}]*)?"
    rf"|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[{_VISIBLE}]+)?$"
)


def _strings(
    description: str, pattern: str, data_key: str | None = None, **item: Any
) -> fields.List:
    """A repeatable string parameter whose items are documented by ``pattern`` (and ``item``).

    The parsers validate (with messages naming the bad item); the pattern documents them.
    """
    return fields.List(
        fields.String(metadata={"pattern": pattern, **item}),
        data_key=data_key,
        load_default=list,
        metadata={"description": description},
    )


class BundleQuerySchema(Schema):
    """Bundle options in the query string; every list parameter may be repeated."""

    class Meta:
        unknown = RAISE

    deployer = fields.String(
        load_default=Deployer.HELM.value,
        metadata={
            "description": "helm (umbrella chart), argocd (Applications) or flux "
            "(HelmReleases and a root kustomization).",
            "enum": [d.value for d in Deployer],
        },
    )
    repo = fields.String(
        load_default="",
        metadata={
            "description": "GitOps repository URL the Argo CD or Flux bundle is pushed to.",
            "pattern": REPO_PATTERN,
        },
    )
    set = _strings(
        "component:path=value value override (repeatable).",
        SET_PATTERN,
        minLength=1,
        example="gpu-operator:driver.version=580.105.08",
    )
    bundlers = _strings(
        "Components to include (names or aliases, comma lists allowed).", BUNDLERS_PATTERN
    )
    system_node_selector = _strings(
        "key=value for system components.", SELECTOR_PATTERN, "system-node-selector", minLength=1
    )
    system_node_toleration = _strings(
        _TOLERATION_HELP, TOLERATION_PATTERN, "system-node-toleration", minLength=1
    )
    accelerated_node_selector = _strings(
        "key=value for GPU node components.",
        SELECTOR_PATTERN,
        "accelerated-node-selector",
        minLength=1,
    )
    accelerated_node_toleration = _strings(
        _TOLERATION_HELP, TOLERATION_PATTERN, "accelerated-node-toleration", minLength=1
    )

    @post_load
    def to_options(self, data: dict[str, Any], **_: Any) -> BundleOptions:
        return BundleOptions.parse(sets=data.pop("set"), **data)
