"""Small synthetic recipe data sets for engine tests."""

from __future__ import annotations

import textwrap

from cns_core.recipes.datadir import DataFiles
from cns_core.recipes.store import RecipeStore, parse_store

REGISTRY = """\
apiVersion: cns.nvidia.com/v1alpha1
kind: ComponentRegistry
components:
  - name: alpha
    displayName: Alpha
    valueOverrideKeys: [a]
    helm: {defaultRepository: "https://charts.example.com", defaultChart: example/alpha, defaultVersion: 1.0.0}
  - name: beta
    displayName: Beta
    helm: {defaultRepository: "https://charts.example.com", defaultChart: example/beta-chart}
  - name: kappa
    displayName: Kappa
    kustomize: {defaultSource: "https://git.example.com/kappa", defaultPath: deploy, defaultTag: v1}
"""


def overlay(name: str, body: str = "") -> str:
    """An overlay file with the given (unindented) spec body."""
    spec = textwrap.indent(textwrap.dedent(body).strip(), "  ") if body.strip() else "  {}"
    return f"kind: recipeMetadata\napiVersion: cns.nvidia.com/v1alpha1\nmetadata:\n  name: {name}\nspec:\n{spec}\n"


BASE = overlay(
    "base",
    """
    constraints:
      - {name: K8s.server.version, value: ">= 1.25"}
    componentRefs:
      - name: alpha
        valuesFile: components/alpha/values.yaml
        overrides: {driver: {version: "1", enabled: true}}
      - name: beta
        version: 2.0.0
        dependencyRefs: [alpha]
    """,
)


def make_store(
    files: dict[str, str], *, registry: str = REGISTRY, base: str | None = BASE
) -> RecipeStore:
    """Parse a synthetic data set (paths relative to the data root)."""
    embedded = {"registry.yaml": registry, "components/alpha/values.yaml": "a: 1\n", **files}
    if base is not None:
        embedded.setdefault("overlays/base.yaml", base)
    return parse_store(DataFiles(embedded=embedded, external={}))
