"""``--data DIR``: external recipe data layered over the embedded data, with its guards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cns_core.criteria import Criteria
from cns_core.errors import InvalidRequestError, NotFoundError
from cns_core.recipes import build_recipe, load_store
from cns_core.recipes.datadir import MAX_FILE_BYTES
from tests.support.threads import outcome_within

from .synthetic import overlay

EXTRA_REGISTRY = """\
apiVersion: cns.nvidia.com/v1alpha1
kind: ComponentRegistry
components:
  - name: volcano
    displayName: Volcano
    valueOverrideKeys: [vc]
    namespace: volcano-system
    helm:
      defaultRepository: oci://ghcr.io/volcano-sh/charts
      defaultChart: volcano
      defaultVersion: v1.12.0
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    """A data dir that adds a component through a new overlay for eks training."""
    return write(
        tmp_path / "data",
        {
            "registry.yaml": EXTRA_REGISTRY,
            "components/volcano/values.yaml": "basic:\n  image_pull_policy: IfNotPresent\n",
            "overlays/eks-training-volcano.yaml": overlay(
                "eks-training-volcano",
                """
                base: eks-training
                criteria: {service: eks, intent: training, nodes: 4}
                componentRefs:
                  - name: volcano
                    valuesFile: components/volcano/values.yaml
                    dependencyRefs: [gpu-operator]
                """,
            ),
        },
    )


def test_extra_component_is_added_with_registry_defaults(extra):
    store = load_store(extra)
    assert store.source == "merged (embedded + external)"
    result = build_recipe(Criteria(service="eks", intent="training", nodes=4), store)
    volcano = result.component("volcano")
    assert (volcano.source, volcano.version, volcano.type) == (
        "oci://ghcr.io/volcano-sh/charts",
        "v1.12.0",
        "Helm",
    )
    order = result.deployment_order
    assert order.index("gpu-operator") < order.index("volcano")
    assert result.applied_overlays[-1] == "eks-training-volcano"
    # the embedded data is untouched for everybody else
    assert load_store().registry.get("volcano") is None


def test_registry_entries_replace_embedded_ones_by_name(extra):
    (extra / "registry.yaml").write_text(
        EXTRA_REGISTRY
        + """\
  - name: cert-manager
    displayName: cert-manager (mirror)
    helm: {defaultRepository: https://mirror.example.com/jetstack, defaultChart: jetstack/cert-manager, defaultVersion: v1.18.0}
"""
    )
    registry = load_store(extra).registry
    names = [c.name for c in registry.components]
    assert names[-1] == "volcano"  # new ones appended
    assert names.index("cert-manager") == [c.name for c in load_store().registry.components].index(
        "cert-manager"
    )
    assert registry.get("cert-manager").helm_repository == "https://mirror.example.com/jetstack"


def test_same_path_replaces_embedded_file_and_same_name_replaces_overlay(extra):
    write(
        extra,
        {
            "components/gpu-operator/values.yaml": "driver:\n  enabled: false\n",
            # a different file name, but the same recipe name as the embedded eks overlay
            "overlays/my-eks.yaml": overlay(
                "eks",
                "criteria: {service: eks}\nconstraints: [{name: K8s.server.version, value: '>= 1.31'}]",
            ),
        },
    )
    store = load_store(extra)
    assert store.file("components/gpu-operator/values.yaml") == "driver:\n  enabled: false\n"
    assert store.overlays["eks"].source_file == "overlays/my-eks.yaml"
    constraints = build_recipe(Criteria(service="eks"), store).constraints
    assert ("K8s.server.version", ">= 1.31") in [(c.name, c.value) for c in constraints]


def test_missing_directory(tmp_path):
    with pytest.raises(NotFoundError, match="external data directory not found"):
        load_store(tmp_path / "nope")


def test_not_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidRequestError, match="external data path is not a directory"):
        load_store(tmp_path / "file")


def test_registry_is_required(tmp_path):
    write(tmp_path, {"overlays/x.yaml": overlay("x")})
    with pytest.raises(
        InvalidRequestError, match="registry.yaml is required in external data directory"
    ):
        load_store(tmp_path)


def test_symlink_leaving_the_directory_is_refused(extra, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("a: 1\n")
    os.symlink(outside, extra / "components" / "leak.yaml")
    with pytest.raises(
        InvalidRequestError,
        match="symlink leaves the external data directory: components/leak.yaml",
    ):
        load_store(extra)


def test_symlink_inside_the_directory_is_allowed(extra):
    os.symlink(
        extra / "components/volcano/values.yaml",
        extra / "components/volcano/values-alias.yaml",
    )
    assert load_store(extra).files["components/volcano/values-alias.yaml"].startswith("basic:")


def test_symlinked_directory_and_broken_symlink_are_refused(extra, tmp_path):
    os.symlink(tmp_path, extra / "linkdir")
    with pytest.raises(InvalidRequestError, match="symlinked directories are not supported"):
        load_store(extra)
    os.unlink(extra / "linkdir")
    os.symlink(extra / "missing.yaml", extra / "dangling.yaml")
    with pytest.raises(InvalidRequestError, match="broken symlink in external data: dangling.yaml"):
        load_store(extra)


def test_file_over_10_mib_is_refused(extra):
    with open(extra / "components" / "big.yaml", "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(
        InvalidRequestError, match=rf"file too large in external data \({MAX_FILE_BYTES + 1} bytes"
    ):
        load_store(extra)


def test_non_utf8_file_is_refused(extra):
    (extra / "components" / "latin1.yaml").write_bytes(b"a: \xe9\n")
    with pytest.raises(
        InvalidRequestError, match="data file is not UTF-8 text: components/latin1.yaml"
    ):
        load_store(extra)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object/apply:os.system [id]\n", "could not determine a constructor"),
        ("a: &x [1, 2]\nb: [*x, *x]\n", "YAML aliases are not allowed"),
        ("a: " + "[" * 200 + "]" * 200 + "\n", "maximum depth"),
    ],
)
def test_yaml_that_builds_objects_explodes_or_nests_too_deep_is_refused(extra, text, message):
    (extra / "overlays" / "evil.yaml").write_text(text)
    with pytest.raises(InvalidRequestError, match=message):
        load_store(extra)


def test_invalid_external_registry(extra):
    (extra / "registry.yaml").write_text("components:\n  - displayName: no name\n")
    with pytest.raises(InvalidRequestError, match=r"components\[0\]: name is required"):
        load_store(extra)


def test_hidden_directories_are_ignored(extra):
    write(extra, {".git/objects/pack.yaml": "not: [valid"})
    assert "volcano" in [c.name for c in load_store(extra).registry.components]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("aaa-eks", ["base", "aaa-eks", "eks"]),
        ("zzz-eks", ["base", "eks", "zzz-eks"]),
    ],
)
def test_external_overlay_tying_an_embedded_one_is_ordered_by_name(extra, name, expected):
    """Same specificity as the embedded `eks` overlay: the name decides, whichever loads first."""
    write(
        extra,
        {
            f"overlays/{name}.yaml": overlay(
                name,
                "criteria: {service: eks}\n"
                f"constraints: [{{name: K8s.server.version, value: '>= 1.{40 if name < 'eks' else 41}'}}]",
            )
        },
    )
    recipe = build_recipe(Criteria(service="eks"), load_store(extra))
    assert list(recipe.applied_overlays) == expected
    # the later overlay wins the constraint it shares with the earlier one
    winner = "1.28" if name < "eks" else "1.41"
    assert [c.value for c in recipe.constraints if c.name == "K8s.server.version"] == [
        f">= {winner}"
    ]


# --- GitHub issue 11, item 7: a request reaches only what the data itself references ----

SECRET = "password=hunter2\n"


@pytest.fixture
def with_secrets(extra: Path) -> Path:
    """The data dir plus files nothing in it references (an operator's stray files)."""
    write(
        extra,
        {
            "priv/credentials.env": SECRET,
            "components/priv/secret.yaml": f"token: {SECRET}",
            "components/volcano/values-unused.yaml": f"token: {SECRET}",
        },
    )
    return extra


def test_only_yaml_files_are_loaded_and_only_referenced_ones_are_served(with_secrets):
    store = load_store(with_secrets)
    assert "priv/credentials.env" not in store.files  # never read at all
    assert "components/priv/secret.yaml" in store.files  # read (YAML), but...
    for path in (
        "components/priv/secret.yaml",
        "components/volcano/values-unused.yaml",
        "priv/credentials.env",
        "../../etc/passwd",
    ):
        assert store.file(path) is None  # ...no recipe can name it
    assert (
        store.file("components/volcano/values.yaml")
        == "basic:\n  image_pull_policy: IfNotPresent\n"
    )
    assert store.file("components/gpu-operator/values.yaml")  # embedded, of a registry component


@pytest.mark.parametrize("kind", ["FIFO", "socket"])
@pytest.mark.parametrize("name", ["overlays/pipe.yaml", "pipe"])
def test_entries_that_are_not_regular_files_are_refused_at_load_without_blocking(extra, kind, name):
    import socket

    path = extra / name
    if kind == "FIFO":
        os.mkfifo(path)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    outcome = outcome_within(
        lambda: load_store(extra), 10, f"loading the data blocked on the {kind}"
    )
    assert isinstance(outcome, InvalidRequestError), outcome
    assert f"not a regular file in external data: {name} (a {kind})" in str(outcome)
