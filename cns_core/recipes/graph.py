"""Component dependency checks and the deterministic deployment order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from ..errors import InvalidRequestError
from .model import ComponentRef


def deployment_order(refs: Iterable[ComponentRef], *, where: str = "recipe") -> tuple[str, ...]:
    """Validate dependencies and return the lexicographically smallest topological order.

    Dependencies come first; among components ready at the same time the
    alphabetically first goes next. Unknown dependencies and cycles raise
    INVALID_REQUEST naming the components involved.
    """
    deps = {ref.name: tuple(dict.fromkeys(ref.dependency_refs)) for ref in refs}
    for name in sorted(deps):
        for dep in deps[name]:
            if dep not in deps:
                raise InvalidRequestError(
                    f"{where}: component {name!r} depends on unknown component {dep!r}; "
                    f"components in this recipe: {', '.join(sorted(deps))}"
                )
    _check_cycles(deps, where)
    dependents: dict[str, list[str]] = {name: [] for name in deps}
    waiting = {name: len(d) for name, d in deps.items()}
    for name, ds in deps.items():
        for dep in ds:
            dependents[dep].append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for child in dependents[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    return tuple(order)


def _check_cycles(deps: dict[str, tuple[str, ...]], where: str) -> None:
    """Depth-first search for a cycle, names and dependencies in sorted order; iterative,
    so a chain of any length cannot exhaust the interpreter's stack."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(deps):
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [iter(sorted(deps[root]))]
        while pending:
            dep = next(pending[-1], None)
            if dep is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                raise InvalidRequestError(
                    f"{where}: circular dependency between components: {' -> '.join(cycle)}"
                )
            if dep not in state:
                state[dep] = 1
                path.append(dep)
                pending.append(iter(sorted(deps[dep])))
