"""Node placement: system / accelerated node selectors and tolerations at registry paths.

Spellings are those of :mod:`cns_core.scheduling`. Nothing is written unless the
user gave it: there is no tolerate-everything default (``*`` asks for one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequestError
from ..nested_maps import NotAMapError, deep_copy, put
from ..recipes.registry import NodeScheduling
from ..scheduling import parse_node_selector, parse_tolerations


@dataclass(frozen=True)
class Placement:
    """Parsed node selectors and tolerations for the two node classes."""

    system_node_selector: dict[str, str] = field(default_factory=dict)
    system_tolerations: list[dict[str, str]] = field(default_factory=list)
    accelerated_node_selector: dict[str, str] = field(default_factory=dict)
    accelerated_tolerations: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def parse(
        cls,
        *,
        system_node_selector: Iterable[str] = (),
        system_node_toleration: Iterable[str] = (),
        accelerated_node_selector: Iterable[str] = (),
        accelerated_node_toleration: Iterable[str] = (),
    ) -> Placement:
        """Parse the four option lists; errors name the option and the bad item."""
        return cls(
            system_node_selector=parse_node_selector(
                system_node_selector, option="system-node-selector"
            ),
            system_tolerations=parse_tolerations(
                system_node_toleration, option="system-node-toleration"
            ),
            accelerated_node_selector=parse_node_selector(
                accelerated_node_selector, option="accelerated-node-selector"
            ),
            accelerated_tolerations=parse_tolerations(
                accelerated_node_toleration, option="accelerated-node-toleration"
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """Canonical form (for cache keys and bundle READMEs)."""
        return {
            "systemNodeSelector": self.system_node_selector,
            "systemTolerations": self.system_tolerations,
            "acceleratedNodeSelector": self.accelerated_node_selector,
            "acceleratedTolerations": self.accelerated_tolerations,
        }

    def apply(self, values: dict[str, Any], paths: NodeScheduling, component: str) -> list[str]:
        """Write what was given at the component's registered paths (in place).

        Returns a warning for each given flag that does not reach some of the
        component's workloads (the registry's ``notReached``), so nothing is dropped
        silently.
        """
        pairs: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
            ("system-node-selector", self.system_node_selector, paths.system_node_selector_paths),
            ("system-node-toleration", self.system_tolerations, paths.system_toleration_paths),
            (
                "accelerated-node-selector",
                self.accelerated_node_selector,
                paths.accelerated_node_selector_paths,
            ),
            (
                "accelerated-node-toleration",
                self.accelerated_tolerations,
                paths.accelerated_toleration_paths,
            ),
        )
        warnings = []
        for flag, value, targets in pairs:
            if not value:
                continue
            for target in targets:
                _write(values, target, value, component)
            if flag in paths.not_reached:
                warnings.append(f"{component}: --{flag} does not reach {paths.not_reached[flag]}")
        return warnings


def _write(values: dict[str, Any], dotted: str, value: Any, component: str) -> None:
    try:
        put(values, dotted.split("."), deep_copy(value))
    except NotAMapError as exc:
        raise InvalidRequestError(
            f"cannot place {component} nodes at {dotted!r}: its value {exc.where!r} is a "
            f"{exc.found}, not a map (check the values and --set for {component})"
        ) from None
