"""Fixtures for the deployment tests: the real helm binary, and the chart rendered by it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from ..bundle.conftest import helm, run_helm  # noqa: F401  (the session helm fixture)
from ..conftest import REPO

CHART = REPO / "deployments" / "helm" / "cns"
KUSTOMIZE_BASE = REPO / "deployments" / "kustomize" / "base"
RELEASE = "cns"

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def render(helm: str, tmp_path_factory: pytest.TempPathFactory) -> Render:  # noqa: F811
    """``render(values, *args)``: the objects ``helm template`` renders (cached per input)."""
    cache: dict[str, list[dict[str, Any]]] = {}
    folder = tmp_path_factory.mktemp("values")

    def run(values: dict[str, Any] | None = None, *args: str) -> list[dict[str, Any]]:
        text = yaml.safe_dump(values or {}, sort_keys=True)
        key = text + "\0".join(args)
        if key not in cache:
            path = folder / f"values-{len(cache)}.yaml"
            path.write_text(text)
            result = run_helm(helm, "template", RELEASE, str(CHART), "-f", str(path), *args)
            assert result.returncode == 0, result.stderr
            cache[key] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return cache[key]

    return run
