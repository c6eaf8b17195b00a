"""cns_core's pipeline entry points, used from Python as the CLI and the web app use them."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cns_core


@pytest.mark.parametrize("name", sorted(set(cns_core.__all__) - {"API_VERSION", "__version__"}))
def test_every_exported_name_resolves_and_is_documented(name):
    value = getattr(cns_core, name)
    assert value.__doc__, name


def test_all_lists_exactly_the_lazy_exports():
    assert set(cns_core.__all__) - {"API_VERSION", "__version__"} == set(cns_core._EXPORTS)


def test_the_pipeline_from_python(store):
    recipe = cns_core.build_recipe(
        cns_core.Criteria.parse({"service": "eks", "accelerator": "gb200", "intent": "training"}),
        cns_core.load_store(),
    )
    bundle = cns_core.generate_bundle(recipe, store, cns_core.BundleOptions.parse())
    assert "Chart.yaml" in bundle.files and bundle.zip


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cns_core.nope  # noqa: B018


def test_import_is_lazy():
    code = "import sys, cns_core; print(sorted(m for m in sys.modules if m.startswith('cns_core')))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "['cns_core']"
