"""Bundle generation: recipe + options → an in-memory file map, checksums and zip."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .. import __version__
from ..lru import LRUCache
from ..recipes.aliases import canonical_recipe
from ..recipes.model import RecipeResult
from ..recipes.store import RecipeStore
from ..serialize import dump_yaml
from ..tracing import span
from .archive import CHECKSUMS_FILE, checksums, zip_bytes
from .argocd import argocd_files
from .describe import recipe_digest
from .flux import FLUX_KUSTOMIZATION_FILE, GIT_SOURCE_FILE, flux_files
from .helm import helm_files
from .options import REPO_PLACEHOLDER, BundleOptions, Deployer
from .plan import Checkpoint, no_checkpoint, plan_bundle

RECIPE_FILE = "recipe.yaml"
WARNINGS_FILE = "warnings.txt"
#: recipe.yaml by the recipe's digest: bundles of one recipe with other options share it.
_RECIPE_FILES_BYTES = 1024 * 1024
_RECIPE_FILES = LRUCache[bytes](
    32, max_weight=_RECIPE_FILES_BYTES, weight=len, max_entry_weight=_RECIPE_FILES_BYTES // 4
)


@dataclass(frozen=True)
class Bundle:
    """A generated bundle: every file by relative path, plus what to tell the user.

    ``warnings``: what the options asked for but the charts cannot do, and what the
    user must do by hand (also in ``warnings.txt`` and the README).
    """

    deployer: Deployer
    files: Mapping[str, bytes]
    warnings: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def size(self) -> int:
        """Uncompressed size of all files, in bytes."""
        return sum(len(data) for data in self.files.values())

    @functools.cached_property
    def zip(self) -> bytes:
        """The byte-deterministic zip archive of the bundle."""
        with span("cns.bundle.zip") as current:
            if current is not None:
                current.set_attribute("cns.bundle.files", len(self.files))
            return zip_bytes(self.files)

    @functools.cached_property
    def checksum(self) -> str:
        """sha256 of the zip (same recipe and options → same checksum)."""
        return hashlib.sha256(self.zip).hexdigest()


def forget_reused() -> None:
    """Forget what bundles reuse from earlier ones (planned values, YAML entries, deflated
    files, recipe.yaml, READMEs): the next build starts as a worker's first one does."""
    from .. import serialize
    from . import archive, describe, helm, values

    for memo in (
        values._PLANNED,
        serialize._ENTRIES,
        archive._DEFLATED,
        _RECIPE_FILES,
        helm._READMES,
        describe._DIGESTS,
    ):
        memo.clear()


def generate_bundle(
    recipe: RecipeResult,
    store: RecipeStore,
    options: BundleOptions,
    *,
    version: str = __version__,
    checkpoint: Checkpoint | None = None,
) -> Bundle:
    """Build every file of the bundle in memory (``version``: the cns version it names).

    Components named by a registry alias (``kube-prometheus-stack``) are renamed to the
    registry's names first; ``recipe.yaml`` in the bundle carries those names.

    ``checkpoint``, when given, is called with what comes next before each component is
    planned and before each later stage; whatever it raises stops the build (the
    service passes its request deadline, so an over-budget build stops early).
    """
    with span("cns.bundle.render") as current:
        if current is not None:
            current.set_attribute("cns.bundle.deployer", options.deployer.value)
        return _render(recipe, store, options, version, checkpoint or no_checkpoint)


def _render(
    recipe: RecipeResult,
    store: RecipeStore,
    options: BundleOptions,
    version: str,
    check: Checkpoint,
) -> Bundle:
    recipe = canonical_recipe(recipe, store.registry, store.files)
    components, warnings = plan_bundle(recipe, store, options, check)
    check(f"writing the {options.deployer.value} files")
    if options.deployer is Deployer.HELM:
        files = helm_files(recipe, store, components, version, warnings)
        steps = (
            "{dir}/deploy.sh    (one Helm release per component, in deployment order; "
            "--dry-run shows the commands)",
            "or install the umbrella chart as one release: see {dir}/README.md",
        )
    elif options.deployer is Deployer.ARGOCD:
        if not options.repo:
            warnings.append(
                _no_repo("the Applications point", "app-of-apps.yaml and */application.yaml")
            )
        files = argocd_files(recipe, store, components, options.repo, version, warnings)
        steps = (_push_step(options.repo), "kubectl apply -f {dir}/app-of-apps.yaml")
    else:
        if not options.repo:
            warnings.append(_no_repo("the GitRepository points", GIT_SOURCE_FILE))
        files = flux_files(recipe, store, components, options.repo, version, warnings)
        steps = (
            _push_step(options.repo),
            f"kubectl apply -f {{dir}}/{GIT_SOURCE_FILE} -f {{dir}}/{FLUX_KUSTOMIZATION_FILE}   "
            "(or flux bootstrap / flux create: see {dir}/README.md)",
        )
    check("writing recipe.yaml and checksums.txt")
    if warnings:
        files[WARNINGS_FILE] = "".join(f"{w}\n" for w in warnings).encode()
    files[RECIPE_FILE] = _RECIPE_FILES.get_or_build(
        recipe_digest(recipe), lambda: dump_yaml(recipe.to_dict()).encode()
    )[0]
    files[CHECKSUMS_FILE] = checksums(files)
    ordered = {path: files[path] for path in sorted(files)}
    return Bundle(options.deployer, MappingProxyType(ordered), tuple(warnings), steps)


def _no_repo(what: str, files: str) -> str:
    """The warning of a GitOps bundle generated without ``--repo``."""
    return (
        f"no --repo given: {what} at {REPO_PLACEHOLDER}; "
        f"rerun with --repo URL (or edit {files}) before applying"
    )


def _push_step(repo: str) -> str:
    return (
        "push the contents of {dir} to the root of your GitOps repository "
        f"({repo or REPO_PLACEHOLDER})"
    )
