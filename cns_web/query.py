"""What a ``GET /v1/recipe`` query asks for: criteria, plus the seed API's (eidos) extras.

``osv``, ``kernel`` and ``k8s`` are node facts (they exclude overlays whose
constraints they fail); ``context=true`` adds the explain trace to the recipe. A query
without them is answered exactly like ``POST /v1/recipe`` with the same criteria.
"""

from __future__ import annotations

from typing import NamedTuple

from cns_core.criteria import Criteria
from cns_core.nodefacts import NodeFacts


class RecipeQuery(NamedTuple):
    """A validated recipe query."""

    criteria: Criteria
    facts: NodeFacts = NodeFacts()
    context: bool = False

    @property
    def plain(self) -> bool:
        """Only criteria: the recipe is the one ``cns recipe`` gives for them."""
        return not self.facts and not self.context

    @property
    def cache_key(self) -> tuple[object, ...]:
        return (*self.criteria.cache_key, *self.facts, self.context)
