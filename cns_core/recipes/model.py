"""The recipe documents: overlays as stored, and the RecipeResult the builder produces."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from .. import API_VERSION
from ..errors import InvalidRequestError
from ..nested_maps import deep_copy, deep_merge, sorted_keys

if TYPE_CHECKING:  # imported where a recipe is read: ``cns validate`` needs only constraints
    from ..criteria import Criteria

RESULT_KIND = "recipeResult"
#: The most components one recipe may hold (upstream's largest recipes have about a dozen):
#: what a request may make a bundle build cost is bounded by it.
MAX_COMPONENT_REFS = 64
METADATA_KIND = "recipeMetadata"
COMPONENT_TYPES = ("Helm", "Kustomize")


class Constraint(NamedTuple):
    """A requirement on a measured value: ``name`` is ``Type.subtype.key``, ``value`` an expression."""

    name: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value}


#: ComponentRef (python attribute, document key) in serialisation order
REF_FIELDS = (
    ("name", "name"),
    ("type", "type"),
    ("source", "source"),
    ("version", "version"),
    ("tag", "tag"),
    ("values_file", "valuesFile"),
    ("overrides", "overrides"),
    ("patches", "patches"),
    ("dependency_refs", "dependencyRefs"),
    ("manifest_files", "manifestFiles"),
    ("path", "path"),
)


class ComponentRef(NamedTuple):
    """One component of a recipe: a Helm chart (or Kustomize source) and how to configure it."""

    name: str
    type: str = ""
    source: str = ""
    version: str = ""
    tag: str = ""
    values_file: str = ""
    overrides: Mapping[str, Any] = MappingProxyType({})
    patches: tuple[Any, ...] = ()
    dependency_refs: tuple[str, ...] = ()
    manifest_files: tuple[str, ...] = ()
    path: str = ""

    def merged_with(self, other: "ComponentRef") -> "ComponentRef":
        """This ref with ``other`` layered on top, field by field (inputs untouched)."""
        return ComponentRef(
            name=self.name,
            type=other.type or self.type,
            source=other.source or self.source,
            version=other.version or self.version,
            tag=other.tag or self.tag,
            values_file=other.values_file or self.values_file,
            overrides=deep_merge(self.overrides, other.overrides),
            patches=other.patches or self.patches,
            dependency_refs=other.dependency_refs or self.dependency_refs,
            manifest_files=tuple(dict.fromkeys((*self.manifest_files, *other.manifest_files))),
            path=other.path or self.path,
        )

    def to_dict(self) -> dict[str, Any]:
        """Document form; empty fields are omitted, free-form maps have sorted keys."""
        out: dict[str, Any] = {}
        for attr, key in REF_FIELDS:
            value = getattr(self, attr)
            if not value and attr != "name":
                continue
            if attr in ("overrides", "patches"):
                value = sorted_keys(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Any, *, where: str) -> Self:
        """Parse and validate a componentRef mapping; ``where`` names it in errors."""
        if not isinstance(data, Mapping):
            raise InvalidRequestError(f"{where}: a componentRef must be a mapping")
        known = {key: attr for attr, key in REF_FIELDS}
        unknown = sorted(set(data) - set(known), key=str)
        if unknown:
            raise InvalidRequestError(
                f"{where}: unknown componentRef field(s) {', '.join(map(str, unknown))}: "
                f"valid fields are {', '.join(sorted(known))}"
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidRequestError(f"{where}: componentRef.name is required")
        kwargs: dict[str, Any] = {"name": name}
        for key, attr in known.items():
            if key == "name" or data.get(key) in (None, ""):
                continue
            kwargs[attr] = _field_value(data[key], key, f"{where} ({name})")
        ref = cls(**kwargs)
        if ref.type and ref.type not in COMPONENT_TYPES:
            raise InvalidRequestError(
                f"{where} ({name}): invalid type {ref.type!r}: valid types are Helm, Kustomize"
            )
        return ref


def _field_value(value: Any, key: str, where: str) -> Any:
    if key == "overrides":
        if not isinstance(value, Mapping):
            raise InvalidRequestError(f"{where}: overrides must be a mapping")
        return deep_copy(value)
    if key in ("patches", "dependencyRefs", "manifestFiles"):
        if not isinstance(value, list) or (
            key != "patches" and not all(isinstance(v, str) and v for v in value)
        ):
            raise InvalidRequestError(f"{where}: {key} must be a list of strings")
        return tuple(deep_copy(value))
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidRequestError(f"{where}: {key} must be a string")
    return str(value)


class RecipeMetadata(NamedTuple):
    """A base or overlay file: optional parent, criteria, constraints and component changes."""

    name: str
    source_file: str
    base: str = ""
    criteria: "Criteria | None" = None
    constraints: tuple[Constraint, ...] = ()
    component_refs: tuple[ComponentRef, ...] = ()


class ConstraintWarning(NamedTuple):
    """Why an overlay was excluded when building from a snapshot."""

    overlay: str
    constraint: str
    expected: str
    reason: str
    actual: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"overlay": self.overlay, "constraint": self.constraint, "expected": self.expected}
        if self.actual is not None:
            out["actual"] = self.actual
        out["reason"] = self.reason
        return out


class RecipeResult(NamedTuple):
    """The built recipe: what to deploy, in which order, and what the cluster must satisfy."""

    criteria: "Criteria"
    component_refs: tuple[ComponentRef, ...]
    deployment_order: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    version: str = ""
    applied_overlays: tuple[str, ...] = ()
    excluded_overlays: tuple[str, ...] = ()
    constraint_warnings: tuple[ConstraintWarning, ...] = ()

    def component(self, name: str) -> ComponentRef | None:
        return next((ref for ref in self.component_refs if ref.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The RecipeResult document, fields in upstream order."""
        metadata: dict[str, Any] = {}
        if self.version:
            metadata["version"] = self.version
        if self.applied_overlays:
            metadata["appliedOverlays"] = list(self.applied_overlays)
        if self.excluded_overlays:
            metadata["excludedOverlays"] = list(self.excluded_overlays)
        if self.constraint_warnings:
            metadata["constraintWarnings"] = [w.to_dict() for w in self.constraint_warnings]
        out: dict[str, Any] = {"kind": RESULT_KIND, "apiVersion": API_VERSION}
        out["metadata"] = metadata
        out["criteria"] = self.criteria.to_dict()
        if self.constraints:
            out["constraints"] = [c.to_dict() for c in self.constraints]
        out["componentRefs"] = [ref.to_dict() for ref in self.component_refs]
        out["deploymentOrder"] = list(self.deployment_order) or None
        return out

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "recipe") -> Self:
        """Parse a RecipeResult document (e.g. a bundle request body), validating its shape."""
        if not isinstance(doc, Mapping):
            raise InvalidRequestError(f"{source}: expected a RecipeResult mapping")
        kind = doc.get("kind")
        if kind not in (None, "", RESULT_KIND):
            raise InvalidRequestError(f'{source}: invalid kind "{kind}", expected "{RESULT_KIND}"')
        refs_raw = doc.get("componentRefs")
        if not isinstance(refs_raw, list) or not refs_raw:
            raise InvalidRequestError(
                f"{source}: recipe must contain at least one component reference (componentRefs)"
            )
        if len(refs_raw) > MAX_COMPONENT_REFS:
            raise InvalidRequestError(
                f"{source}: recipe has {len(refs_raw)} componentRefs: at most "
                f"{MAX_COMPONENT_REFS} are allowed",
                details={"limit": MAX_COMPONENT_REFS, "componentRefs": len(refs_raw)},
            )
        refs = tuple(
            ComponentRef.from_dict(item, where=f"{source}: componentRefs[{i}]")
            for i, item in enumerate(refs_raw)
        )
        names = [ref.name for ref in refs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidRequestError(f"{source}: duplicate component(s) {', '.join(duplicates)}")
        metadata = doc.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise InvalidRequestError(f"{source}: metadata must be a mapping")
        from ..criteria import criteria_from_resource

        criteria_raw = doc.get("criteria") or {}
        criteria = criteria_from_resource({"spec": criteria_raw}, source=f"{source}: criteria")
        order = _string_list(doc.get("deploymentOrder") or [], f"{source}: deploymentOrder")
        unknown = sorted(set(order) - set(names))
        if unknown:
            raise InvalidRequestError(
                f"{source}: deploymentOrder names unknown component(s) {', '.join(unknown)}"
            )
        return cls(
            criteria=criteria,
            component_refs=refs,
            deployment_order=tuple(order),
            constraints=parse_constraints(doc.get("constraints") or [], f"{source}: constraints"),
            version=str(metadata.get("version") or ""),
            applied_overlays=tuple(
                _string_list(metadata.get("appliedOverlays") or [], f"{source}: appliedOverlays")
            ),
        )


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequestError(f"{where}: expected a list of strings")
    return value


def parse_constraints(value: Any, where: str) -> tuple[Constraint, ...]:
    """Parse a list of ``{name, value}`` constraint mappings."""
    if not isinstance(value, list):
        raise InvalidRequestError(f"{where}: expected a list of {{name, value}}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise InvalidRequestError(f"{where}[{i}]: a constraint needs a string name and value")
        raw = item.get("value")
        if raw is None or isinstance(raw, bool | Mapping | list):
            raise InvalidRequestError(f"{where}[{i}] ({item['name']}): value must be a string")
        out.append(Constraint(item["name"], str(raw)))
    return tuple(out)
