"""Every chart version a leaf recipe pins is the version the published chart carries
(GitHub issue 10, item 4): Chart.yaml's ``version`` of the real chart's folder, except
where publishing rewrites a placeholder (reference.PUBLISHED_VERSIONS, with the
README's reason). Helm resolves a near miss (``v25.4.0`` for ``25.4.0``) only by falling
back to the closest version, with a warning; Argo CD not at all."""

from __future__ import annotations

import pytest

from tests.support.chart_bundles import cases, recipe_for
from tests.support.chart_reference import chart_folder, published_version


@pytest.mark.parametrize("case", cases())
def test_pinned_versions_are_the_published_ones(charts, store, case):
    recipe = recipe_for(store, case)
    failures = []
    for ref in recipe.component_refs:
        entry = store.registry.get(ref.name)
        if entry is not None and entry.manifests_only:
            # no chart: nothing is pinned, and nothing may pretend to be
            if ref.version or ref.source:
                failures.append(f"{ref.name}: has no chart but pins {ref.source} {ref.version}")
            continue
        chart = entry.chart_name if entry else ref.name
        folder = chart_folder(chart, ref.version)
        if folder is None:
            failures.append(f"{ref.name}: no reference data for chart {chart} {ref.version}")
            continue
        published = published_version(folder)
        if ref.version != published:
            failures.append(
                f"{ref.name}: pins {chart} {ref.version!r}; the published chart is "
                f"{published!r} ({folder.name})"
            )
    assert not failures, f"{case}:\n  " + "\n  ".join(failures)
