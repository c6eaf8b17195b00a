"""What every deployer says about a bundle: the release name, the chart version, and the
recipe's own description (target environment, constraints, overlays) for READMEs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..criteria import ANY
from ..lru import IdentityMemo, LRUCache
from ..recipes.model import RecipeResult

RELEASE = "cns-stack"
_LABELS = {
    "service": "Service",
    "accelerator": "Accelerator",
    "intent": "Intent",
    "os": "OS",
    "platform": "Platform",
    "nodes": "Nodes",
}
_SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)


def chart_version(version: str) -> str:
    """A SemVer 2 version for Chart.yaml: the cns version, or its numeric release part."""
    version = version.removeprefix("v")
    if _SEMVER_RE.fullmatch(version):
        return version
    numbers = [*re.findall(r"\d+", version), "0", "0", "0"][:3]
    return ".".join(str(int(n)) for n in numbers)


def target_environment(recipe: RecipeResult) -> list[tuple[str, str]]:
    """(label, value) for each pinned criteria field, for READMEs."""
    return [
        (_LABELS.get(name, name), str(value))
        for name, value in recipe.criteria.to_dict().items()
        if value not in (ANY, "", 0)
    ]


def recipe_summary(recipe: RecipeResult, version: str) -> dict[str, Any]:
    """Template context common to both READMEs (``version``: the cns version)."""
    return {
        "cns_version": version,
        "recipe_version": recipe.version or "unknown",
        "environment": target_environment(recipe),
        "constraints": [(c.name, c.value) for c in recipe.constraints],
        "overlays": list(recipe.applied_overlays),
    }


#: The digest of the last recipe asked for (a bundle asks for its recipe's several times,
#: and the service passes the same object for a body posted again); one recipe held.
_DIGESTS = IdentityMemo[bytes](LRUCache(1))


def recipe_digest(recipe: RecipeResult) -> bytes:
    """sha256 of everything the recipe holds (its ``repr``): what a text written from the
    recipe alone is remembered by."""
    return _DIGESTS.get_or_build(
        (recipe,), None, lambda: hashlib.sha256(repr(recipe).encode()).digest()
    )
