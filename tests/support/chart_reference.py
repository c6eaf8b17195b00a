"""The real upstream charts' data (../shared/reference/charts): values, subcharts, CRDs,
published versions, and what their values.yaml comments mark deprecated.

Folders are ``<chart>-<version>`` as the chart pins it (``gpu-operator-v25.10.1``,
``network-operator-25.4.0``); each holds the chart's values.yaml and Chart.yaml,
``charts/<subchart>/`` with the subcharts' values, and ``crds/`` with the CRDs of
the custom resources the chart (or our manifests for it) create.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import SHARED

from .k8s_schema import DEPRECATION_RE, load_crd_schemas

#: Points at the ``shared`` directory (the charts are under ``reference/charts``).
SHARED_ENV = "CNS_SHARED_DIR"

#: Where the git Chart.yaml of a folder does not hold the version the published chart
#: carries, because publishing rewrites it: folder -> (published version, the README's
#: reason). Everywhere else the published version is Chart.yaml's ``version``.
PUBLISHED_VERSIONS: dict[str, tuple[str, str]] = {
    "gpu-operator-v25.10.1": (
        "v25.10.1",
        "git holds `version: v1.0.0-devel`; the published chart's version is the tag",
    ),
    "gpu-operator-v25.3.3": (
        "v25.3.3",
        "git holds `version: v1.0.0-devel`; the published chart's version is the tag",
    ),
    "nvsentinel-v0.6.0": (
        "v0.6.0",
        "git Chart.yaml says `version: 0.1.0`; NVSentinel's `make helm-publish` packages "
        "with `helm package --version <tag>` (README, nvsentinel-v1.1.0 row)",
    ),
    "kai-scheduler-v0.13.0": (
        "v0.13.0",
        "git holds `version: 0.0.0`; the release runs `helm package --version v0.13.0`",
    ),
    "kgateway-crds-v2.0.0": (
        "v2.0.0",
        'git holds `version: "v0.0.1"`; the release runs `helm package --version v2.0.0`',
    ),
    "kgateway-v2.0.0": (
        "v2.0.0",
        'git holds `version: "v0.0.1"`; the release runs `helm package --version v2.0.0`',
    ),
}

_FOLDER_RE = re.compile(r"(?P<chart>.+?)-(?P<version>v?\d[\w.+-]*)")


def shared_dir() -> Path:
    """The ``shared`` directory: ``$CNS_SHARED_DIR``, else the checkout's sibling."""
    return SHARED


def charts_dir() -> Path:
    return shared_dir() / "reference" / "charts"


def require_charts() -> Path:
    """The charts directory, or skip the calling test saying where it was looked for."""
    root = charts_dir()
    if not root.is_dir():
        pytest.skip(f"real chart data not found at {root} (set {SHARED_ENV} to the shared dir)")
    return root


@functools.cache
def _folders(root: Path) -> dict[tuple[str, str], Path]:
    """``{(chart, version without a leading v): folder}``."""
    out = {}
    for path in sorted(root.iterdir()):
        match = _FOLDER_RE.fullmatch(path.name)
        if path.is_dir() and match:
            out[(match["chart"], match["version"].removeprefix("v"))] = path
    return out


def chart_folder(chart: str, version: str) -> Path | None:
    """The folder of ``chart`` at ``version`` (a leading ``v`` on either side ignored)."""
    return _folders(charts_dir()).get((chart, version.strip().removeprefix("v")))


def published_version(folder: Path) -> str:
    """The version the published chart of ``folder`` carries."""
    if folder.name in PUBLISHED_VERSIONS:
        return PUBLISHED_VERSIONS[folder.name][0]
    return str(yaml.safe_load((folder / "Chart.yaml").read_text())["version"])


@dataclass(frozen=True)
class ChartData:
    """One chart at one version, as far as its values and CRDs go."""

    folder: Path
    #: values.yaml, with each subchart's values.yaml merged under its key (the
    #: parent's values win) and every chart's ``global`` merged into ``global``
    values: Mapping[str, Any]
    #: subchart key (alias or name) -> the subchart's folder
    subcharts: Mapping[str, Path]
    #: dotted values path -> the comment that marks it deprecated or no-op
    deprecated: Mapping[str, str]
    #: dotted paths values.yaml documents only as commented-out keys
    documented: frozenset[str]
    #: (apiVersion, kind) -> openAPIV3Schema of the CRDs in crds/
    crds: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.folder.name


@functools.cache
def load_chart(folder: Path) -> ChartData:
    """Parse a chart folder once."""
    values = _yaml_map(folder / "values.yaml")
    notes, documented = scan_values_comments(_text(folder / "values.yaml"))
    deprecated = dict(notes)
    chart = _yaml_map(folder / "Chart.yaml")
    subcharts: dict[str, Path] = {}
    merged = dict(values)
    globals_: dict[str, Any] = {}
    by_name = {
        _yaml_map(p)["name"]: p.parent for p in sorted((folder / "charts").glob("*/Chart.yaml"))
    }
    for dep in chart.get("dependencies") or []:
        key = dep.get("alias") or dep["name"]
        sub = by_name.get(dep["name"])
        if sub is None:
            continue
        subcharts[key] = sub
        sub_values = _yaml_map(sub / "values.yaml")
        globals_ = deep_merge(globals_, sub_values.get("global") or {})
        parent = merged.get(key)
        merged[key] = deep_merge(sub_values, parent if isinstance(parent, Mapping) else {})
        sub_notes, sub_documented = scan_values_comments(_text(sub / "values.yaml"))
        for path, why in sub_notes:
            deprecated.setdefault(f"{key}.{path}", why)
        documented |= {f"{key}.{path}" for path in sub_documented}
    if globals_ or "global" in merged:
        merged["global"] = deep_merge(globals_, merged.get("global") or {})
    crds = load_crd_schemas(sorted((folder / "crds").glob("*.yaml")))
    return ChartData(folder, merged, subcharts, deprecated, frozenset(documented), crds)


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def _yaml_map(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(_text(path)) if path.is_file() else None
    return doc if isinstance(doc, dict) else {}


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Helm-style merge: maps merge recursively, everything else in ``over`` replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


#: CRDs that no chart ships, from elsewhere in the shared reference data: name -> path
#: under ``reference/``. The Gateway API CRDs (standard channel v1.2.1; the Gateway
#: that cns's kgateway manifest creates) are in no kgateway chart; the charts README
#: points at aicr's copy of the upstream release file instead of copying it again.
EXTRA_CRD_FILES = {
    "gateway-api-v1.2.1": "aicr-v0.11.1/recipes/components/kgateway-crds/manifests/"
    "gateway-api-crds.yaml",
}


@functools.cache
def all_crd_schemas(root: Path) -> dict[tuple[str, str], tuple[tuple[str, Mapping[str, Any]], ...]]:
    """Every CRD under ``root``: ``{(apiVersion, kind): ((folder name, schema), ...)}``."""
    out: dict[tuple[str, str], list[tuple[str, Mapping[str, Any]]]] = {}
    found_in = [(path.parent.parent.name, path) for path in sorted(root.glob("*/crds/*.yaml"))]
    for name, rel in EXTRA_CRD_FILES.items():
        path = root.parent / rel
        if path.is_file():
            found_in.append((name, path))
    for name, path in found_in:
        for key, schema in load_crd_schemas([path]).items():
            out.setdefault(key, []).append((name, schema))
    return {key: tuple(found) for key, found in out.items()}


def crd_schemas_for(folders: list[Path]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The CRDs a bundle's objects are checked against: those of the bundle's own chart
    folders first (e.g. skyhook-operator-v0.11.1/crds/ for the Skyhook resource, the
    pinned gpu-operator's ClusterPolicy), then every other shared CRD that exists in
    only one version of the data (an ambiguous one is left out, so it is reported)."""
    out = {
        key: found[0][1] for key, found in all_crd_schemas(charts_dir()).items() if len(found) == 1
    }
    for folder in folders:
        out.update(load_chart(folder).crds)
    return out


# --- deprecation notes in values.yaml comments ------------------------------------

_KEY_LINE_RE = re.compile(
    r"(?P<indent> *)(?P<key>\"[^\"]+\"|'[^']+'|[^\s#'\"\-][^:#]*?):(?:\s+(?P<rest>.*))?$"
)
#: a commented-out key, ``# key: value`` (``value`` is one word unless the line is prose)
_COMMENTED_KEY_RE = re.compile(
    r" *#+(?P<gap> *)(?P<key>[A-Za-z_][\w.-]*|\"[^\"]+\"):(?: +(?P<value>.*?))? *$"
)
_PARAM_RE = re.compile(r"@param\s+(?P<path>[\w.-]+)")
_DOTTED_RE = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")
_URL_RE = re.compile(r"\S+://\S+")
_USE_INSTEAD_RE = re.compile(r"\b(?:please\s+)?use\b.*", re.IGNORECASE)
_WORD_RE = re.compile(r"[A-Za-z_]\w*")


def scan_values_comments(text: str) -> tuple[list[tuple[str, str]], set[str]]:
    """What a values.yaml says in comments: ``(dotted path, comment)`` for each key a
    comment marks deprecated or no-op, and the dotted paths of the keys it documents
    only commented out (``# resources:`` / ``#   limits:`` under ``manager:``).

    A comment block (contiguous ``#`` lines) with a deprecation note applies to: the key
    a Bitnami ``@param <path>`` line or a dotted path in the note names (from the
    chart's top level); else the keys it names that the block shows commented out
    (``# useOpenKernelModules: false`` under ``NOTE: useOpenKernelModules has been
    deprecated and made no-op``); else the first key it shows commented out; else a key
    without a value right above it (``httpEndpoint:`` then its comment); else the key
    right below it. An inline comment applies to its own key. Words after "use"
    ("Please use kernelModuleType instead") name the replacement, and URLs are ignored.
    Keys inside lists and block scalars are skipped.
    """
    out: list[tuple[str, str]] = []
    documented: set[str] = set()
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    block_parent: list[str] = []
    #: the real keys above a comment block, then the keys it shows commented out
    commented: list[tuple[int, str]] = []
    skip_deeper_than: int | None = None
    previous_empty: tuple[int, str] | None = None

    def parent(indent: int) -> list[str]:
        return [key for level, key in stack if level < indent]

    def flush(next_key: str | None, indent: int) -> None:
        if block:
            above = None
            if previous_empty is not None and previous_empty[0] == _block_indent(block):
                above = previous_empty[1]
            parent_keys = block_parent if next_key is None else parent(indent)
            out.extend(_block_deprecations(block, parent_keys, next_key, above))
            block.clear()
            commented.clear()

    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if skip_deeper_than is not None and stripped and not stripped.startswith("#"):
            if indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if not stripped:
            flush(None, _block_indent(block))
            previous_empty = None
            continue
        if stripped.startswith("#"):
            if not block:
                block_parent = parent(indent)
                commented[:] = stack
            block.append(line)
            doc = _COMMENTED_KEY_RE.match(line)
            if doc:
                # the key's column once "# " is deleted (`  #   enabled:` -> column 4)
                column = indent + max(len(doc["gap"]) - 1, 0)
                while commented and commented[-1][0] >= column:
                    commented.pop()
                key = doc["key"].strip("\"'")
                documented.add(".".join([*(k for _, k in commented), key]))
                commented.append((column, key))
            continue
        if stripped.startswith("- ") or stripped == "-":
            flush(None, indent)
            previous_empty = None
            skip_deeper_than = indent
            continue
        match = _KEY_LINE_RE.fullmatch(line)
        if not match:
            flush(None, indent)
            previous_empty = None
            continue
        key = match["key"].strip("\"'")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        flush(key, indent)
        path = ".".join([*(k for _, k in stack), key])
        rest = match["rest"] or ""
        value, _, comment = rest.partition(" #")
        if rest.startswith("#"):
            value, comment = "", rest[1:]
        if comment and DEPRECATION_RE.search(_URL_RE.sub("", comment)):
            out.append((path, comment.strip()))
        stack.append((indent, key))
        previous_empty = (indent, path) if not value.strip() else None
        if value.strip().startswith(("|", ">")):
            skip_deeper_than = indent
    flush(None, _block_indent(block))
    return out, documented


def _block_indent(block: list[str]) -> int:
    return min((len(line) - len(line.lstrip(" ")) for line in block), default=0)


def _block_deprecations(
    block: list[str], parent: list[str], next_key: str | None, above: str | None
) -> list[tuple[str, str]]:
    """Absolute paths of what one comment block marks deprecated (see comment_deprecations)."""
    notes = [line.strip().lstrip("#").strip() for line in block]
    hits = [note for note in notes if DEPRECATION_RE.search(_URL_RE.sub("", note))]
    if not hits:
        return []
    why = " ".join(hits)
    deprecated_part = [_USE_INSTEAD_RE.sub("", _URL_RE.sub("", note)) for note in hits]
    params = [m["path"] for m in map(_PARAM_RE.search, hits) if m]
    params += [path for part in deprecated_part for path in _DOTTED_RE.findall(part)]
    if params:
        return [(path, why) for path in dict.fromkeys(params)]
    commented = [
        m
        for line in block
        if (m := _COMMENTED_KEY_RE.fullmatch(line))
        and " " not in (m["value"] or "").strip()
        and not DEPRECATION_RE.search(line)
    ]
    shallowest = min((len(m["gap"]) for m in commented), default=0)
    names = [m["key"] for m in commented if len(m["gap"]) == shallowest]
    targets: list[str] = []
    for part in deprecated_part:
        words = set(_WORD_RE.findall(part))
        targets += [name for name in names if name in words]
    if not targets:
        targets = names[:1]
    if targets:
        return [(".".join([*parent, name]), why) for name in dict.fromkeys(targets)]
    if above is not None:
        return [(above, why)]
    return [(".".join([*parent, next_key]), why)] if next_key else []
