"""The recipe store: registry, base and overlays parsed, validated and indexed once.

The store is immutable and cached per data directory; ``reset_store_cache()``
forgets it (tests, or after the data changed).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..criteria import Criteria, criteria_from_resource
from ..errors import InvalidRequestError
from ..serialize import load_yaml
from . import doccache
from .datadir import REGISTRY_FILE, DataFiles, read_data_files
from .graph import deployment_order
from .model import ComponentRef, RecipeMetadata, parse_constraints
from .registry import ComponentRegistry

BASE_NAME = "base"
MAX_INHERITANCE_DEPTH = 16
COMPONENTS_DIR = "components/"


@dataclass(frozen=True)
class RecipeStore:
    """Everything the builder and bundler read: immutable after loading."""

    base: RecipeMetadata
    overlays: Mapping[str, RecipeMetadata]
    registry: ComponentRegistry
    files: Mapping[str, str]
    source: str
    #: The files a recipe may name (valuesFile, manifestFiles) or a component reads
    #: (components/<name>/values.yaml): every file of the embedded data (public: it ships
    #: in the package), and of an external data directory those the base and overlays
    #: reference and the base values of the components the registry and the recipes name.
    #: Nothing else in the data directory can reach a bundle, whatever a request's recipe
    #: says.
    referenced: frozenset[str] = frozenset()

    def chain(self, name: str) -> tuple[RecipeMetadata, ...]:
        """The overlay and its ancestors, root-most first (the base itself excluded)."""
        out: list[RecipeMetadata] = []
        current: str = name
        while current and current != BASE_NAME:
            overlay = self.overlays[current]
            out.append(overlay)
            current = overlay.base
        return tuple(reversed(out))

    def file(self, path: str) -> str | None:
        """Text of a referenced data file (values file or manifest) by its data-relative
        path; None for any other path, whether or not the data directory holds it."""
        return self.files.get(path) if path in self.referenced else None


#: Why a file a recipe names cannot be used; the same words whether or not the data
#: directory holds such a file, so no answer tells which files exist.
NOT_REFERENCED = (
    "is not in the recipe data: a recipe may name only the values files and manifests "
    "that the recipe data's own overlays use"
)


def base_values_path(component: str) -> str:
    """Data-relative path of a component's base values file."""
    return f"{COMPONENTS_DIR}{component}/values.yaml"


@functools.lru_cache(maxsize=8)
def _load_cached(data_dir: str | None) -> RecipeStore:
    return parse_store(read_data_files(data_dir))


def _embedded_documents(embedded: Mapping[str, str]) -> dict[str, Any]:
    """The embedded registry and recipe documents, parsed (or from the command line's
    disk cache: cns_core.recipes.doccache)."""
    names = [REGISTRY_FILE, *(rel for rel in sorted(embedded) if _is_metadata_file(rel))]
    return doccache.documents(embedded, names, lambda rel: _parse_embedded(embedded, rel))


def _parse_embedded(embedded: Mapping[str, str], rel: str) -> Any:
    source = f"embedded {REGISTRY_FILE}" if rel == REGISTRY_FILE else rel
    return load_yaml(embedded[rel], source=source, trusted=True)


def load_store(data_dir: str | os.PathLike[str] | None = None) -> RecipeStore:
    """The store for the embedded data, layered with ``data_dir`` if given (cached)."""
    return _load_cached(os.fspath(data_dir) if data_dir is not None else None)


def reset_store_cache() -> None:
    """Forget every loaded store."""
    _load_cached.cache_clear()


def parse_store(data: DataFiles) -> RecipeStore:
    """Parse and validate data files into a store (external files win over embedded)."""
    files = {**data.embedded, **data.external}
    docs = _embedded_documents(data.embedded)
    registry = ComponentRegistry.from_document(
        docs[REGISTRY_FILE], source=f"embedded {REGISTRY_FILE}"
    )
    if REGISTRY_FILE in data.external:
        registry = registry.merged_with(
            ComponentRegistry.from_document(
                load_yaml(data.external[REGISTRY_FILE], source=REGISTRY_FILE),
                source=f"{data.external_dir}/{REGISTRY_FILE}",
            )
        )
    metadata = _parse_metadata(data, docs)
    base = metadata.pop(BASE_NAME, None)
    if base is None:
        raise InvalidRequestError("recipe data has no base recipe (overlays/base.yaml)")
    store = RecipeStore(
        base=base,
        overlays=MappingProxyType(metadata),
        registry=registry,
        files=MappingProxyType(files),
        source=data.source,
        referenced=frozenset(data.embedded) | _referenced(base, metadata.values(), registry),
    )
    _validate(store)
    return store


def _referenced(
    base: RecipeMetadata, overlays: Iterable[RecipeMetadata], registry: ComponentRegistry
) -> frozenset[str]:
    """Every data file the recipe data itself references (see RecipeStore.referenced)."""
    paths: set[str] = set()
    names = {entry.name for entry in registry.components}
    for recipe in (base, *overlays):
        for ref in recipe.component_refs:
            names.add(ref.name)
            paths.update(p for p in (ref.values_file, *ref.manifest_files) if p)
    paths.update(base_values_path(name) for name in names)
    return frozenset(paths)


def _parse_metadata(
    data: DataFiles, embedded_documents: Mapping[str, Any]
) -> dict[str, RecipeMetadata]:
    """Recipes by metadata.name; an external recipe replaces the embedded one of that name."""
    out: dict[str, RecipeMetadata] = {}
    for origin, shadowed in ((data.external, set()), (data.embedded, set(data.external))):
        defined: dict[str, RecipeMetadata] = {}
        for rel, text in sorted(origin.items()):
            if not _is_metadata_file(rel) or rel in shadowed:
                continue
            if origin is data.embedded:
                meta = metadata_from_document(embedded_documents[rel], rel)
            else:
                meta = parse_metadata(text, rel)
            if meta.name in defined:
                raise InvalidRequestError(
                    f"recipe name {meta.name!r} is defined twice: "
                    f"{defined[meta.name].source_file} and {rel}"
                )
            defined[meta.name] = meta
        for name, meta in defined.items():
            out.setdefault(name, meta)
    return out


def _is_metadata_file(rel: str) -> bool:
    return (
        rel.endswith((".yaml", ".yml"))
        and not rel.startswith(COMPONENTS_DIR)
        and rel != REGISTRY_FILE
    )


def parse_metadata(text: str, rel: str) -> RecipeMetadata:
    """Parse one external base/overlay file (``kind: recipeMetadata``), untrusted."""
    return metadata_from_document(load_yaml(text, source=rel), rel)


def metadata_from_document(doc: Any, rel: str) -> RecipeMetadata:
    """One base/overlay (``kind: recipeMetadata``) from its parsed document."""
    if not isinstance(doc, Mapping):
        raise InvalidRequestError(f"{rel}: expected a recipeMetadata mapping")
    name = (doc.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError(f"{rel}: metadata.name is required")
    spec = doc.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise InvalidRequestError(f"{rel}: spec must be a mapping")
    criteria: Criteria | None = None
    if spec.get("criteria") is not None:
        criteria = criteria_from_resource({"spec": spec["criteria"]}, source=f"{rel}: criteria")
    refs = spec.get("componentRefs") or []
    if not isinstance(refs, list):
        raise InvalidRequestError(f"{rel}: componentRefs must be a list")
    base = spec.get("base") or ""
    return RecipeMetadata(
        name=name,
        source_file=rel,
        base="" if base == BASE_NAME else str(base),
        criteria=criteria,
        constraints=parse_constraints(spec.get("constraints") or [], f"{rel}: constraints"),
        component_refs=tuple(
            ComponentRef.from_dict(item, where=f"{rel}: componentRefs[{i}]")
            for i, item in enumerate(refs)
        ),
    )


def _validate(store: RecipeStore) -> None:
    for overlay in store.overlays.values():
        _check_chain(store, overlay)
        for ref in overlay.component_refs:
            _check_ref_files(store, overlay, ref)
    for ref in store.base.component_refs:
        _check_ref_files(store, store.base, ref)
    deployment_order(store.base.component_refs, where="base recipe")


def _check_chain(store: RecipeStore, overlay: RecipeMetadata) -> None:
    seen = [overlay.name]
    current = overlay.base
    while current and current != BASE_NAME:
        if current in seen:
            cycle = " -> ".join([*seen, current])
            raise InvalidRequestError(f"circular inheritance in recipe data: {cycle}")
        parent = store.overlays.get(current)
        if parent is None:
            raise InvalidRequestError(
                f"{overlay.source_file}: recipe {seen[-1]!r} names base {current!r}, "
                "which does not exist"
            )
        seen.append(current)
        if len(seen) > MAX_INHERITANCE_DEPTH:
            raise InvalidRequestError(
                f"{overlay.source_file}: inheritance chain deeper than {MAX_INHERITANCE_DEPTH}"
            )
        current = parent.base


def _check_ref_files(store: RecipeStore, owner: RecipeMetadata, ref: ComponentRef) -> None:
    for path in (ref.values_file, *ref.manifest_files):
        if path and path not in store.files:
            raise InvalidRequestError(
                f"{owner.source_file}: component {ref.name!r} references {path!r}, "
                "which is not in the recipe data"
            )
