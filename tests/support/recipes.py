"""The recipes the bundle tests (and the OCI tests) build from the embedded data, by case."""

from __future__ import annotations

from cns_core.criteria import Criteria
from cns_core.recipes import RecipeResult, RecipeStore, build_recipe

#: (case name, criteria) of the recipes the bundle tests use
RECIPES = {
    "eks-gb200-ubuntu-training": {
        "service": "eks",
        "accelerator": "gb200",
        "intent": "training",
        "os": "ubuntu",
    },
    "h100-ubuntu-inference": {"accelerator": "h100", "intent": "inference", "os": "ubuntu"},
    # the training platform on EKS: Kubeflow Trainer on KAI, NVIDIA's tuning packages,
    # the EBS CSI driver and EFA
    "eks-h100-ubuntu-training-kubeflow": {
        "service": "eks",
        "accelerator": "h100",
        "intent": "training",
        "os": "ubuntu",
        "platform": "kubeflow",
    },
    # the inference platform on kind: Dynamo behind kgateway, a prerequisite warning
    "kind-h100-inference-dynamo": {
        "service": "kind",
        "accelerator": "h100",
        "intent": "inference",
        "platform": "dynamo",
    },
    # GKE COS training: a component of manifests only with built-in kinds (TCPXO)
    "gke-cos-h100-training": {
        "service": "gke",
        "accelerator": "h100",
        "os": "cos",
        "intent": "training",
    },
}


def recipe_for(store: RecipeStore, case: str) -> RecipeResult:
    """The recipe of one of :data:`RECIPES`, built from ``store``."""
    return build_recipe(Criteria.parse(RECIPES[case]), store, version="test")
