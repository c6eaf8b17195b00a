"""The embedded recipe data: reviewed facts per query, frozen golden documents, data invariants.

Golden files are written by the code and reviewed; regenerate deliberately with
``CNS_UPDATE_GOLDEN=1 pytest tests/recipes/test_embedded_recipes.py`` and read the diff.

Expectations follow upstream's results (upstream-behavior.md §2.7, recipe-catalog.md §5)
adapted to two deliberate fixes, documented in docs/recipes.md: overlay ties are broken by
name with omitted fields as wildcards, and monitoring-hpa (prometheus-adapter) applies only
to inference intents instead of every query.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cns_core.criteria import Criteria
from cns_core.recipes import build_recipe
from cns_core.serialize import dump_yaml, load_yaml
from tests.support.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"
K8S = "K8s.server.version"
#: cert-manager depends on prometheus (its ServiceMonitor needs the monitoring CRDs)
BASE_ORDER = ("prometheus", "cert-manager", "gpu-operator", "nvsentinel", "skyhook-operator")
#: with prometheus-adapter (monitoring-hpa applies to inference intents)
ADAPTER_ORDER = (
    "prometheus",
    "cert-manager",
    "gpu-operator",
    "nvsentinel",
    "prometheus-adapter",
    "skyhook-operator",
)
#: h100-inference also adds network-operator and the Ubuntu tuning
H100_ORDER = (
    "prometheus",
    "cert-manager",
    "gpu-operator",
    "network-operator",
    "nvsentinel",
    "prometheus-adapter",
    "skyhook-operator",
    "skyhook-customizations",
)
#: EKS: the EBS CSI driver before Prometheus (its volume), EFA after gpu-operator (its label)
EKS_ORDER = (
    "aws-ebs-csi-driver",
    "prometheus",
    "cert-manager",
    "gpu-operator",
    "aws-efa",
    "nvsentinel",
    "skyhook-operator",
)
EKS_ADAPTER_ORDER = (*EKS_ORDER[:-1], "prometheus-adapter", "skyhook-operator")
#: GB200 on EKS: the DRA driver
GB200_EKS_ORDER = (*EKS_ORDER[:5], "nvidia-dra-driver-gpu", *EKS_ORDER[5:])
GB200_EKS_INFERENCE_ORDER = (
    *EKS_ORDER[:5],
    "nvidia-dra-driver-gpu",
    "nvsentinel",
    "prometheus-adapter",
    "skyhook-operator",
)
#: H100 on EKS Ubuntu: NVIDIA's tuning packages before gpu-operator
H100_EKS_UBUNTU_TRAINING_ORDER = (
    "aws-ebs-csi-driver",
    "prometheus",
    "cert-manager",
    "nvsentinel",
    "skyhook-operator",
    "skyhook-customizations",
    "gpu-operator",
    "aws-efa",
)
H100_EKS_UBUNTU_INFERENCE_ORDER = (
    "aws-ebs-csi-driver",
    "prometheus",
    "cert-manager",
    "network-operator",
    "nvsentinel",
    "prometheus-adapter",
    "skyhook-operator",
    "skyhook-customizations",
    "gpu-operator",
    "aws-efa",
)
#: GKE COS H100: the GKE tuning package before gpu-operator
H100_GKE_COS_INFERENCE_ORDER = (
    "prometheus",
    "cert-manager",
    "nvsentinel",
    "prometheus-adapter",
    "skyhook-operator",
    "skyhook-customizations",
    "gpu-operator",
)
H100_GKE_COS_TRAINING_ORDER = (
    "prometheus",
    "cert-manager",
    "nvsentinel",
    "skyhook-operator",
    "skyhook-customizations",
    "gpu-operator",
    "gke-nccl-tcpxo",
)
#: the Dynamo platform on the base stack: the CRD charts first, KAI before Dynamo
DYNAMO_ORDER = (
    "dynamo-crds",
    "kgateway-crds",
    "prometheus",
    "cert-manager",
    "gpu-operator",
    "k8s-ephemeral-storage-metrics",
    "kai-scheduler",
    "dynamo-platform",
    "kgateway",
    "nvsentinel",
)
#: the Kubeflow platform on the base stack: KAI before the trainer
KUBEFLOW_ORDER = (
    "prometheus",
    "cert-manager",
    "gpu-operator",
    "k8s-ephemeral-storage-metrics",
    "kai-scheduler",
    "kubeflow-trainer",
    "nvsentinel",
    "skyhook-operator",
)
#: what h100-inference requires of the cluster
H100_UBUNTU_INFERENCE = {
    K8S: ">= 1.31",
    "OS.release.ID": "ubuntu",
    "OS.release.VERSION_ID": ">= 24.04",
    "OS.sysctl./proc/sys/kernel/osrelease": ">= 6.8",
}
#: Ubuntu 24.04 exactly, kernel 6.8 or later (the aicr leaves and cns's GB200 training)
UBUNTU_2404 = {
    "OS.release.ID": "ubuntu",
    "OS.release.VERSION_ID": "24.04",
    "OS.sysctl./proc/sys/kernel/osrelease": ">= 6.8",
}
EKS_H100 = {"service": "eks", "accelerator": "h100"}
EKS_GB200 = {"service": "eks", "accelerator": "gb200"}
AKS_H100 = {"service": "aks", "accelerator": "h100"}
GKE_COS_H100 = {"service": "gke", "accelerator": "h100", "os": "cos"}
KIND_H100 = {"service": "kind", "accelerator": "h100"}
UBUNTU = {"os": "ubuntu"}
TRAINING, INFERENCE = {"intent": "training"}, {"intent": "inference"}
KUBEFLOW, DYNAMO = {"platform": "kubeflow"}, {"platform": "dynamo"}

# name: (query, appliedOverlays, deploymentOrder, constraints)
QUERIES: dict[str, tuple[dict, tuple, tuple, dict]] = {
    "q01-eks": ({"service": "eks"}, ("base", "eks"), EKS_ORDER, {K8S: ">= 1.28"}),
    "q02-eks-training": (
        {"service": "eks", "intent": "training"},
        ("base", "eks", "eks-training"),
        EKS_ORDER,
        {K8S: ">= 1.30"},
    ),
    "q03-eks-gb200-training": (
        {"service": "eks", "accelerator": "gb200", "intent": "training"},
        ("base", "eks", "eks-training", "gb200-eks-training"),
        GB200_EKS_ORDER,
        {K8S: ">= 1.32.4"},
    ),
    "q04-eks-gb200-ubuntu-training": (
        {"service": "eks", "accelerator": "gb200", "os": "ubuntu", "intent": "training"},
        ("base", "eks", "eks-training", "gb200-eks-training", "gb200-eks-ubuntu-training"),
        (*GB200_EKS_ORDER, "skyhook-customizations"),
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "q05-h100-ubuntu-inference": (
        {"accelerator": "h100", "os": "ubuntu", "intent": "inference"},
        ("base", "monitoring-hpa", "h100-inference"),
        H100_ORDER,
        H100_UBUNTU_INFERENCE,
    ),
    # upstream: eks and h100-inference tie and apply in random order; here the less
    # specific overlays come first, ties by name: h100-eks-inference (3 pinned) before
    # h100-inference (3), then h100-eks-ubuntu-inference (4), whose floor, exact
    # VERSION_ID and tuning profile win
    "q06-eks-h100-ubuntu-inference": (
        {"service": "eks", "accelerator": "h100", "os": "ubuntu", "intent": "inference"},
        (
            *("base", "eks", "monitoring-hpa", "eks-inference", "h100-eks-inference"),
            *("h100-inference", "h100-eks-ubuntu-inference"),
        ),
        H100_EKS_UBUNTU_INFERENCE_ORDER,
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "q07-gke-cos": (
        {"service": "gke", "os": "cos"},
        ("base", "gke", "gke-cos"),
        BASE_ORDER,
        {K8S: ">= 1.28"},
    ),
    # upstream had nothing for gke without an os; the new gke overlay applies
    "q08-gke": ({"service": "gke"}, ("base", "gke"), BASE_ORDER, {K8S: ">= 1.25"}),
    "q09-any": ({}, ("base",), BASE_ORDER, {K8S: ">= 1.25"}),
    "q10-eks-8-nodes": (
        {"service": "eks", "nodes": 8},
        ("base", "eks"),
        EKS_ORDER,
        {K8S: ">= 1.28"},
    ),
    "q11-aks-a100": (
        {"service": "aks", "accelerator": "a100"},
        ("base", "aks"),
        BASE_ORDER,
        {K8S: ">= 1.25"},
    ),
    "q12-gke-inference": (
        {"service": "gke", "intent": "inference"},
        ("base", "gke", "monitoring-hpa", "gke-inference"),
        ADAPTER_ORDER,
        {K8S: ">= 1.25"},
    ),
    "q13-aks-inference": (
        {"service": "aks", "intent": "inference"},
        ("base", "aks", "monitoring-hpa", "aks-inference"),
        ADAPTER_ORDER,
        {K8S: ">= 1.30"},
    ),
    # --- the platforms and the leaves aicr v0.11.1 validates (docs/recipes.md) ---
    "p01-kubeflow": (KUBEFLOW, ("base", "kubeflow"), KUBEFLOW_ORDER, {K8S: ">= 1.25"}),
    "p02-dynamo": (
        DYNAMO,
        ("base", "dynamo"),
        (*DYNAMO_ORDER, "skyhook-operator"),
        {K8S: ">= 1.25"},
    ),
    "p03-eks-h100-ubuntu-training-kubeflow": (
        {**EKS_H100, **UBUNTU, **TRAINING, **KUBEFLOW},
        (
            *("base", "eks", "kubeflow", "eks-training", "h100-eks-training"),
            *("h100-eks-ubuntu-training", "h100-eks-ubuntu-training-kubeflow"),
        ),
        (
            *("aws-ebs-csi-driver", "prometheus", "cert-manager", "k8s-ephemeral-storage-metrics"),
            *("nvsentinel", "skyhook-operator", "skyhook-customizations", "gpu-operator"),
            *("aws-efa", "kai-scheduler", "kubeflow-trainer"),
        ),
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p04-eks-h100-ubuntu-inference-dynamo": (
        {**EKS_H100, **UBUNTU, **INFERENCE, **DYNAMO},
        (
            *("base", "dynamo", "eks", "monitoring-hpa", "eks-inference", "h100-eks-inference"),
            *("h100-inference", "h100-eks-ubuntu-inference", "h100-eks-ubuntu-inference-dynamo"),
        ),
        (
            *("aws-ebs-csi-driver", "dynamo-crds", "kgateway-crds", "prometheus", "cert-manager"),
            *("k8s-ephemeral-storage-metrics", "kgateway", "network-operator", "nvsentinel"),
            *("prometheus-adapter", "skyhook-operator", "skyhook-customizations"),
            *("gpu-operator", "aws-efa", "kai-scheduler", "dynamo-platform"),
        ),
        {K8S: ">= 1.34", **UBUNTU_2404},
    ),
    "p05-eks-h100-training": (
        {**EKS_H100, **TRAINING},
        ("base", "eks", "eks-training", "h100-eks-training"),
        EKS_ORDER,
        {K8S: ">= 1.32.4"},
    ),
    "p06-eks-h100-ubuntu-training": (
        {**EKS_H100, **UBUNTU, **TRAINING},
        ("base", "eks", "eks-training", "h100-eks-training", "h100-eks-ubuntu-training"),
        H100_EKS_UBUNTU_TRAINING_ORDER,
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p07-eks-h100-inference": (
        {**EKS_H100, **INFERENCE},
        ("base", "eks", "monitoring-hpa", "eks-inference", "h100-eks-inference"),
        EKS_ADAPTER_ORDER,
        {K8S: ">= 1.32.4"},
    ),
    "p08-eks-gb200-ubuntu-training-kubeflow": (
        {**EKS_GB200, **UBUNTU, **TRAINING, **KUBEFLOW},
        (
            *("base", "eks", "kubeflow", "eks-training", "gb200-eks-training"),
            *("gb200-eks-ubuntu-training", "gb200-eks-ubuntu-training-kubeflow"),
        ),
        (
            *("aws-ebs-csi-driver", "prometheus", "cert-manager", "gpu-operator", "aws-efa"),
            *("k8s-ephemeral-storage-metrics", "kai-scheduler", "kubeflow-trainer"),
            *("nvidia-dra-driver-gpu", "nvsentinel", "skyhook-operator", "skyhook-customizations"),
        ),
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p09-eks-gb200-inference": (
        {**EKS_GB200, **INFERENCE},
        ("base", "eks", "monitoring-hpa", "eks-inference", "gb200-eks-inference"),
        GB200_EKS_INFERENCE_ORDER,
        {K8S: ">= 1.32.4"},
    ),
    "p10-eks-gb200-ubuntu-inference": (
        {**EKS_GB200, **UBUNTU, **INFERENCE},
        (
            *("base", "eks", "monitoring-hpa", "eks-inference", "gb200-eks-inference"),
            "gb200-eks-ubuntu-inference",
        ),
        GB200_EKS_INFERENCE_ORDER,
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p11-eks-gb200-ubuntu-inference-dynamo": (
        {**EKS_GB200, **UBUNTU, **INFERENCE, **DYNAMO},
        (
            *("base", "dynamo", "eks", "monitoring-hpa", "eks-inference", "gb200-eks-inference"),
            *("gb200-eks-ubuntu-inference", "gb200-eks-ubuntu-inference-dynamo"),
        ),
        (
            *("aws-ebs-csi-driver", "dynamo-crds", "kgateway-crds", "prometheus", "cert-manager"),
            *("gpu-operator", "aws-efa", "k8s-ephemeral-storage-metrics", "kai-scheduler"),
            *("dynamo-platform", "kgateway", "nvidia-dra-driver-gpu", "nvsentinel"),
            *("prometheus-adapter", "skyhook-operator"),
        ),
        {K8S: ">= 1.34", **UBUNTU_2404},
    ),
    "p12-aks-training": (
        {"service": "aks", **TRAINING},
        ("base", "aks", "aks-training"),
        BASE_ORDER,
        {K8S: ">= 1.30"},
    ),
    "p13-aks-h100-ubuntu-training-kubeflow": (
        {**AKS_H100, **UBUNTU, **TRAINING, **KUBEFLOW},
        (
            *("base", "aks", "kubeflow", "aks-training", "h100-aks-training"),
            *("h100-aks-ubuntu-training", "h100-aks-ubuntu-training-kubeflow"),
        ),
        KUBEFLOW_ORDER,
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p14-aks-h100-ubuntu-inference": (
        {**AKS_H100, **UBUNTU, **INFERENCE},
        (
            *("base", "aks", "monitoring-hpa", "aks-inference", "h100-aks-inference"),
            *("h100-inference", "h100-aks-ubuntu-inference"),
        ),
        H100_ORDER,
        {K8S: ">= 1.32.4", **UBUNTU_2404},
    ),
    "p15-aks-h100-ubuntu-inference-dynamo": (
        {**AKS_H100, **UBUNTU, **INFERENCE, **DYNAMO},
        (
            *("base", "aks", "dynamo", "monitoring-hpa", "aks-inference", "h100-aks-inference"),
            *("h100-inference", "h100-aks-ubuntu-inference", "h100-aks-ubuntu-inference-dynamo"),
        ),
        (
            *DYNAMO_ORDER[:-1],
            *("network-operator", "nvsentinel", "prometheus-adapter"),
            *("skyhook-operator", "skyhook-customizations"),
        ),
        {K8S: ">= 1.34", **UBUNTU_2404},
    ),
    "p16-gke-cos-training": (
        {"service": "gke", "os": "cos", **TRAINING},
        ("base", "gke", "gke-cos", "gke-cos-training"),
        BASE_ORDER,
        {K8S: ">= 1.30"},
    ),
    "p17-gke-cos-h100-training": (
        {**GKE_COS_H100, **TRAINING},
        ("base", "gke", "gke-cos", "gke-cos-training", "h100-gke-cos-training"),
        H100_GKE_COS_TRAINING_ORDER,
        {K8S: ">= 1.32"},
    ),
    "p18-gke-cos-h100-training-kubeflow": (
        {**GKE_COS_H100, **TRAINING, **KUBEFLOW},
        (
            *("base", "gke", "kubeflow", "gke-cos", "gke-cos-training"),
            *("h100-gke-cos-training", "h100-gke-cos-training-kubeflow"),
        ),
        (
            *("prometheus", "cert-manager", "k8s-ephemeral-storage-metrics", "nvsentinel"),
            *("skyhook-operator", "skyhook-customizations", "gpu-operator", "gke-nccl-tcpxo"),
            *("kai-scheduler", "kubeflow-trainer"),
        ),
        {K8S: ">= 1.32"},
    ),
    "p19-gke-cos-h100-inference": (
        {**GKE_COS_H100, **INFERENCE},
        (
            *("base", "gke", "monitoring-hpa", "gke-cos", "gke-inference", "gke-cos-inference"),
            "h100-gke-cos-inference",
        ),
        H100_GKE_COS_INFERENCE_ORDER,
        {K8S: ">= 1.32"},
    ),
    "p20-gke-cos-h100-inference-dynamo": (
        {**GKE_COS_H100, **INFERENCE, **DYNAMO},
        (
            *("base", "dynamo", "gke", "monitoring-hpa", "gke-cos", "gke-inference"),
            *("gke-cos-inference", "h100-gke-cos-inference", "h100-gke-cos-inference-dynamo"),
        ),
        (
            *("dynamo-crds", "kgateway-crds", "prometheus", "cert-manager"),
            *("k8s-ephemeral-storage-metrics", "kgateway", "nvsentinel", "prometheus-adapter"),
            *("skyhook-operator", "skyhook-customizations", "gpu-operator"),
            *("kai-scheduler", "dynamo-platform"),
        ),
        {K8S: ">= 1.34"},
    ),
    "p26-inference": (
        INFERENCE,
        ("base", "monitoring-hpa"),
        ADAPTER_ORDER,
        {K8S: ">= 1.25"},
    ),
    "p21-kind": ({"service": "kind"}, ("base", "kind"), BASE_ORDER, {K8S: ">= 1.25"}),
    "p22-kind-h100-training": (
        {**KIND_H100, **TRAINING},
        ("base", "kind", "h100-kind-training"),
        BASE_ORDER,
        {K8S: ">= 1.34"},
    ),
    "p23-kind-h100-inference": (
        {**KIND_H100, **INFERENCE},
        ("base", "kind", "monitoring-hpa", "kind-inference", "h100-kind-inference"),
        ADAPTER_ORDER,
        {K8S: ">= 1.30"},
    ),
    "p24-kind-h100-inference-dynamo": (
        {**KIND_H100, **INFERENCE, **DYNAMO},
        (
            *("base", "dynamo", "kind", "monitoring-hpa", "kind-inference"),
            *("h100-kind-inference", "h100-kind-inference-dynamo"),
        ),
        (*DYNAMO_ORDER, "prometheus-adapter", "skyhook-operator"),
        {K8S: ">= 1.34"},
    ),
    # kind has no aicr Kubeflow leaf; the platform overlay still applies
    "p25-kind-h100-training-kubeflow": (
        {**KIND_H100, **TRAINING, **KUBEFLOW},
        ("base", "kind", "kubeflow", "h100-kind-training"),
        KUBEFLOW_ORDER,
        {K8S: ">= 1.34"},
    ),
}


def build(store, query):
    return build_recipe(Criteria.parse(query), store, version="golden")


@pytest.mark.parametrize("name", QUERIES)
def test_reviewed_facts(store, name):
    query, applied, order, constraints = QUERIES[name]
    result = build(store, query)
    assert result.applied_overlays == applied
    assert result.deployment_order == order
    assert {c.name: c.value for c in result.constraints} == constraints


@pytest.mark.parametrize("name", QUERIES)
def test_golden_documents(store, name):
    text = dump_yaml(build(store, QUERIES[name][0]).to_dict())
    assert_golden(GOLDEN / f"{name}.yaml", text)


def test_gb200_gpu_operator_details(store):
    result = build(store, QUERIES["q04-eks-gb200-ubuntu-training"][0])
    gpu = result.component("gpu-operator")
    assert gpu.version == "v25.3.3"
    assert gpu.values_file == "components/gpu-operator/values-eks-training.yaml"
    assert gpu.manifest_files == (
        "components/gpu-operator/manifests/dcgm-exporter.yaml",
        "components/gpu-operator/manifests/kernel-module-params.yaml",
    )
    assert gpu.overrides["driver"]["version"] == "580.82.07"
    assert gpu.overrides["driver"]["kernelModuleConfig"] == {"name": "kernel-module-params"}
    assert gpu.overrides["cdi"] == {"enabled": True, "default": False}
    assert not result.component("skyhook-operator").overrides
    tuning = result.component("skyhook-customizations")
    assert tuning.overrides == {"profile": "ubuntu"}
    assert tuning.manifest_files == ("components/skyhook-customizations/manifests/tuning.yaml",)
    assert (tuning.type, tuning.source, tuning.version) == ("", "", "")  # manifests only
    dra = result.component("nvidia-dra-driver-gpu")
    assert (dra.version, dra.dependency_refs) == ("25.8.1", ("gpu-operator",))


def _before(result, first: str, then: str) -> bool:
    order = result.deployment_order
    return order.index(first) < order.index(then)


def test_kubeflow_leaf_is_kubeflow_trainer_on_kai(store):
    """The training platform on EKS H100 Ubuntu: every chart pinned as published, the
    trainer after KAI (its runtime's pods name KAI's scheduler and queue), NVIDIA's
    tuning packages before the GPU operator, EBS CSI before Prometheus."""
    result = build(store, QUERIES["p03-eks-h100-ubuntu-training-kubeflow"][0])
    pinned = {ref.name: (ref.source, ref.version) for ref in result.component_refs if ref.version}
    assert pinned["kai-scheduler"] == ("oci://ghcr.io/nvidia/kai-scheduler", "v0.13.0")
    assert pinned["kubeflow-trainer"] == ("oci://ghcr.io/kubeflow/charts", "2.1.0")
    assert pinned["aws-ebs-csi-driver"] == (
        "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
        "2.55.0",
    )
    assert pinned["aws-efa"] == ("https://aws.github.io/eks-charts", "v0.5.3")
    assert pinned["k8s-ephemeral-storage-metrics"][1] == "1.19.2"
    assert pinned["gpu-operator"] == ("https://helm.ngc.nvidia.com/nvidia", "v25.10.1")
    trainer = result.component("kubeflow-trainer")
    assert trainer.values_file == "components/kubeflow-trainer/values.yaml"
    assert trainer.manifest_files == (
        "components/kubeflow-trainer/manifests/torch-distributed-runtime.yaml",
    )
    assert trainer.dependency_refs == ("cert-manager", "gpu-operator", "kai-scheduler")
    tuning = result.component("skyhook-customizations")
    assert tuning.overrides == {
        "profile": "nvidia",
        "service": "eks",
        "accelerator": "h100",
        "intent": "multiNodeTraining",
    }
    assert result.component("gpu-operator").dependency_refs == (
        "cert-manager",
        "skyhook-customizations",
    )
    assert result.component("prometheus").overrides["prometheus"]["prometheusSpec"][
        "storageSpec"
    ] == {"volumeClaimTemplate": {"spec": {"storageClassName": "gp2"}}}
    for first, then in [
        ("kai-scheduler", "kubeflow-trainer"),
        ("gpu-operator", "kai-scheduler"),
        ("skyhook-operator", "skyhook-customizations"),
        ("skyhook-customizations", "gpu-operator"),
        ("aws-ebs-csi-driver", "prometheus"),
        ("prometheus", "k8s-ephemeral-storage-metrics"),
    ]:
        assert _before(result, first, then), (first, then)
    assert result.deployment_order[-1] == "kubeflow-trainer"


def test_dynamo_leaf_is_dynamo_behind_kgateway_on_kai(store):
    result = build(store, QUERIES["p04-eks-h100-ubuntu-inference-dynamo"][0])
    for name in ("dynamo-crds", "dynamo-platform"):
        ref = result.component(name)
        assert (ref.source, ref.version) == (
            "https://helm.ngc.nvidia.com/nvidia/ai-dynamo",
            "0.9.0",
        )
    for name in ("kgateway-crds", "kgateway"):
        ref = result.component(name)
        assert (ref.source, ref.version) == ("oci://cr.kgateway.dev/kgateway-dev/charts", "v2.0.0")
    assert result.component("kgateway").manifest_files == (
        "components/kgateway/manifests/inference-gateway.yaml",
    )
    assert result.component("dynamo-platform").dependency_refs == (
        *("dynamo-crds", "cert-manager", "prometheus", "gpu-operator", "kai-scheduler"),
    )
    # no DRA GPU allocation on H100 (see the dynamo overlay); NVIDIA's inference tuning
    assert result.component("nvidia-dra-driver-gpu") is None
    assert result.component("skyhook-customizations").overrides["intent"] == "inference"
    for first, then in [
        ("dynamo-crds", "dynamo-platform"),
        ("kai-scheduler", "dynamo-platform"),
        ("prometheus", "dynamo-platform"),
        ("kgateway-crds", "kgateway"),
        ("cert-manager", "kgateway"),
    ]:
        assert _before(result, first, then), (first, then)


def test_gb200_dynamo_keeps_the_dra_driver_without_gpu_allocation(store):
    result = build(store, QUERIES["p11-eks-gb200-ubuntu-inference-dynamo"][0])
    dra = result.component("nvidia-dra-driver-gpu")
    assert dra.version == "25.8.1"
    assert dra.overrides == {"controller": {"affinity": None}}
    assert "gpuResourcesEnabledOverride" not in dra.overrides
    # GB200 inference runs the base gpu-operator, as aicr validated it
    assert result.component("gpu-operator").version == "v25.10.1"
    assert result.component("skyhook-customizations") is None


def test_gke_cos_h100_training_has_tcpxo_and_the_gke_tuning(store):
    result = build(store, QUERIES["p17-gke-cos-h100-training"][0])
    tcpxo = result.component("gke-nccl-tcpxo")
    assert (tcpxo.type, tcpxo.source, tcpxo.version) == ("", "", "")  # manifests only
    assert tcpxo.manifest_files == (
        "components/gke-nccl-tcpxo/manifests/nccl-tcpxo-installer.yaml",
        "components/gke-nccl-tcpxo/manifests/nri-device-injector.yaml",
    )
    assert tcpxo.dependency_refs == ("gpu-operator",)
    assert result.component("skyhook-customizations").overrides == {
        "profile": "gke",
        "accelerator": "h100",
        "intent": "multiNodeTraining",
    }
    gpu = result.component("gpu-operator")
    assert gpu.values_file == "components/gpu-operator/values-gke-cos.yaml"
    assert "components/gpu-operator/manifests/gke-resource-quota.yaml" in gpu.manifest_files
    env = result.component("skyhook-operator").overrides["controllerManager"]["manager"]["env"]
    assert env == {"copyDirRoot": "/etc/skyhook", "reapplyOnReboot": "true"}


def test_kind_uses_the_hosts_driver_and_toolkit(store):
    result = build(store, QUERIES["p24-kind-h100-inference-dynamo"][0])
    gpu = result.component("gpu-operator")
    assert gpu.values_file == "components/gpu-operator/values-kind.yaml"
    kind_values = load_yaml(store.file(gpu.values_file))
    assert kind_values["driver"] == {"enabled": False}
    assert kind_values["toolkit"] == {"enabled": False}
    names = {ref.name for ref in result.component_refs}
    assert not names & {
        "aws-ebs-csi-driver",
        "aws-efa",
        "network-operator",
        "skyhook-customizations",
    }
    prometheus = result.component("prometheus").overrides["prometheus"]["prometheusSpec"]
    assert prometheus["retention"] == "7d"


def test_platform_components_come_only_with_a_platform(store):
    """KAI, the trainer, Dynamo, kgateway and the ephemeral-storage metrics are in no
    recipe without --platform (aicr installs KAI and the metrics in every recipe)."""
    platform_only = {
        "kai-scheduler",
        "kubeflow-trainer",
        "dynamo-crds",
        "dynamo-platform",
        "kgateway-crds",
        "kgateway",
        "k8s-ephemeral-storage-metrics",
    }
    for name, (query, *_) in QUERIES.items():
        names = {ref.name for ref in build(store, query).component_refs}
        if "platform" not in query:
            assert not names & platform_only, name


def test_recipes_are_deterministic_whatever_the_overlay_order(store):
    """Same document when the store lists its overlays in reverse: ties break by name."""
    from dataclasses import replace
    from types import MappingProxyType

    reversed_store = replace(
        store, overlays=MappingProxyType(dict(reversed(list(store.overlays.items()))))
    )
    for query, *_ in QUERIES.values():
        assert build(store, query).to_dict() == build(reversed_store, query).to_dict()


# --- data-set invariants (what upstream's yaml_test checks, for every file we ship) ---

CONSTRAINT_NAME = re.compile(r"^(K8s|GPU|OS|SystemD)\.[^.]+\..+$")


def test_every_component_is_registered_with_chart_and_namespace(store):
    every = [store.base, *store.overlays.values()]
    for meta in every:
        for ref in meta.component_refs:
            entry = store.registry.get(ref.name)
            assert entry is not None, f"{meta.source_file}: {ref.name} not in registry"
            assert entry.namespace, ref.name
            if entry.manifests_only:  # no chart: the refs name manifests and pin nothing
                assert ref.manifest_files and not (ref.source or ref.version), ref.name
            else:
                assert entry.helm_chart and entry.helm_repository, ref.name


def test_every_leaf_overlay_is_in_the_facts_table(store):
    """Each leaf (an overlay nothing inherits from) has its own reviewed query."""
    bases = {overlay.base for overlay in store.overlays.values()}
    queried = {Criteria.parse(query).cache_key for query, *_ in QUERIES.values()}
    for name, overlay in store.overlays.items():
        if name not in bases:
            assert overlay.criteria is not None
            assert overlay.criteria.cache_key in queried, name


def test_constraints_are_well_formed(store):
    for meta in [store.base, *store.overlays.values()]:
        for constraint in meta.constraints:
            assert CONSTRAINT_NAME.match(constraint.name), (meta.source_file, constraint.name)
            assert constraint.value.strip(), (meta.source_file, constraint.name)


def test_leaf_and_intermediate_overlays_have_criteria_and_no_duplicates(store):
    seen = {}
    for overlay in store.overlays.values():
        assert overlay.criteria is not None and overlay.criteria.specificity >= 1, overlay.name
        key = overlay.criteria.cache_key
        assert key not in seen, f"{overlay.name} and {seen.get(key)} have the same criteria"
        seen[key] = overlay.name


def test_every_values_file_and_manifest_is_valid(store):
    for path, text in store.files.items():
        if path.startswith("components/") and "/manifests/" not in path:
            doc = load_yaml(text, source=path)
            assert doc is None or isinstance(doc, dict), path


def test_overlay_file_names_match_their_recipe_names(store):
    for overlay in store.overlays.values():
        stem = Path(overlay.source_file).stem
        assert stem == overlay.name or overlay.name == "h100-inference", overlay.source_file
