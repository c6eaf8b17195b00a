"""Golden bundles: two frozen recipes, each as helm, argocd and flux, every file compared byte
for byte.

The inputs (``golden/<case>/recipe-input.yaml``) are frozen recipes; the bundles are
built from them with the embedded recipe data. After a reviewed change in the code or
the data, regenerate with ``CNS_UPDATE_GOLDEN=1 pytest tests/bundle/test_bundle_golden.py``
and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.cli.documents import read_document
from cns_core.recipes import RecipeResult
from cns_core.serialize import dump_yaml
from tests.support.recipes import recipe_for

from ..support.golden import assert_golden_tree, updating

GOLDEN = Path(__file__).parent / "golden"
VERSION = "0.0.0-golden"
CASES = {
    "eks-gb200-ubuntu-training": {
        "sets": ["gpuoperator:driver.version=580.105.08", 'skyhook-operator:tuning="1"'],
        "accelerated_node_selector": ["nvidia.com/gpu.present=true"],
        "accelerated_node_toleration": ["nvidia.com/gpu:NoSchedule"],
        "system_node_selector": ["node-role.kubernetes.io/system=true"],
    },
    "h100-ubuntu-inference": {},
    "eks-h100-ubuntu-training-kubeflow": {
        "system_node_toleration": ["dedicated=system:NoSchedule"],
        "accelerated_node_toleration": ["nvidia.com/gpu:NoSchedule"],
    },
    "kind-h100-inference-dynamo": {"system_node_selector": ["role=system"]},
    "gke-cos-h100-training": {},
}
REPO = "https://github.com/example/gpu-gitops.git"


def _input(store, case: str) -> RecipeResult:
    path = GOLDEN / case / "recipe-input.yaml"
    if updating() and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(recipe_for(store, case).to_dict()))
    return RecipeResult.from_dict(read_document(str(path)), source=str(path))


@pytest.mark.parametrize("deployer", ["helm", "argocd", "flux"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_bundle(store, case, deployer):
    options = BundleOptions.parse(
        deployer=deployer, repo="" if deployer == "helm" else REPO, **CASES[case]
    )
    bundle = generate_bundle(_input(store, case), store, options, version=VERSION)
    assert_golden_tree(GOLDEN / case / deployer, bundle.files)
