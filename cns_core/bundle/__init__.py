"""Deployable bundles: a Helm umbrella chart, Argo CD applications or Flux HelmReleases.

``generate_bundle(recipe, store, BundleOptions.parse(...))`` builds every file in
memory; :mod:`.archive` writes them to a directory or a byte-deterministic zip.
"""

from .generate import RECIPE_FILE, Bundle, generate_bundle
from .options import BundleOptions, Deployer

__all__ = [
    "RECIPE_FILE",
    "Bundle",
    "BundleOptions",
    "Deployer",
    "generate_bundle",
]
