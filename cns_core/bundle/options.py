"""Bundle options: deployer, GitOps repository, --set overrides, node placement, selection."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..choice_enum import Choice
from ..errors import InvalidRequestError
from .overrides import SetOverride, parse_sets
from .placement import Placement

REPO_PLACEHOLDER = "https://github.com/YOUR-ORG/YOUR-REPO.git"
_REPO_RE = re.compile(r"(https?|ssh|git)://[^\s/]+(/\S*)?|[\w.-]+@[\w.-]+:\S+")


class Deployer(Choice):
    """What the bundle deploys with."""

    HELM = "helm"
    ARGOCD = "argocd"
    FLUX = "flux"


@dataclass(frozen=True)
class BundleOptions:
    """Everything besides the recipe that shapes a bundle (all parsed and validated)."""

    deployer: Deployer = Deployer.HELM
    repo: str = ""
    overrides: tuple[SetOverride, ...] = ()
    placement: Placement = field(default_factory=Placement)
    bundlers: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        *,
        deployer: str = Deployer.HELM.value,
        repo: str = "",
        sets: Iterable[str] = (),
        system_node_selector: Iterable[str] = (),
        system_node_toleration: Iterable[str] = (),
        accelerated_node_selector: Iterable[str] = (),
        accelerated_node_toleration: Iterable[str] = (),
        bundlers: Iterable[str] = (),
    ) -> BundleOptions:
        """Parse raw option strings (CLI flags or query parameters); errors name the bad item."""
        return cls(
            deployer=Deployer.parse(deployer),
            repo=parse_repo(repo),
            overrides=parse_sets(list(sets)),
            placement=Placement.parse(
                system_node_selector=system_node_selector,
                system_node_toleration=system_node_toleration,
                accelerated_node_selector=accelerated_node_selector,
                accelerated_node_toleration=accelerated_node_toleration,
            ),
            bundlers=parse_bundlers(bundlers),
        )

    def to_dict(self) -> dict[str, Any]:
        """Canonical form: equal options give equal dicts (used in cache keys)."""
        return {
            "deployer": self.deployer.value,
            "repo": self.repo,
            "set": [[o.target, list(o.path), o.value] for o in self.overrides],
            "placement": self.placement.to_dict(),
            "bundlers": list(self.bundlers),
        }


def parse_repo(repo: str) -> str:
    """A Git repository URL for Argo CD or Flux (``""`` = none given)."""
    repo = repo.strip()
    if repo and not _REPO_RE.fullmatch(repo):
        raise InvalidRequestError(
            f"invalid repo {repo!r}: expected a Git repository URL such as "
            "https://github.com/org/gitops.git, ssh://git@host/org/repo.git or git@host:org/repo.git"
        )
    return repo


def parse_bundlers(items: Iterable[str]) -> tuple[str, ...]:
    """Component names from repeated and/or comma-separated items, in order, without repeats."""
    names = (name.strip() for item in items for name in item.split(","))
    return tuple(dict.fromkeys(name for name in names if name))
