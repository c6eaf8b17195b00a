"""Push to and pull from a real registry (docker-registry on loopback), through the CLI."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from cns_core import __version__
from cns_core.bundle import BundleOptions, generate_bundle
from cns_core.oci import pack_bundle, parse_reference, push_bundle
from cns_core.oci.client import RegistryOptions
from tests.support.cli import CnsRunner
from tests.support.docker_config import credential_helper, login, path_with, write_docker_config
from tests.support.files import tree
from tests.support.registry import PASSWORD, USER
from tests.support.server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def _manifest(registry, repo: str, tag: str) -> tuple[bytes, str]:
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{repo}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read(), response.headers["Docker-Content-Digest"]


def test_push_then_pull_gives_the_same_files_byte_for_byte(
    runner, tmp_path, registry, recipe_file, gb200, store
):
    ref = registry.ref("cns/bundle", "1.0.0")
    refs = tmp_path / "refs.txt"
    pushed = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", ref, "--plain-http", "--image-refs", refs]
    )
    assert pushed.exit_code == 0, pushed.output
    expected = pack_bundle(
        generate_bundle(gb200, store, BundleOptions.parse()).files, version=__version__
    )
    assert f"Helm umbrella chart pushed to {ref}" in pushed.stdout
    assert f"digest: {expected.digest}" in pushed.stdout
    assert refs.read_text() == f"{registry.host}/cns/bundle:1.0.0@{expected.digest}\n"

    raw, stored = _manifest(registry, "cns/bundle", "1.0.0")
    assert raw == expected.manifest and stored == expected.digest
    assert json.loads(raw)["artifactType"] == "application/vnd.nvidia.cns.artifact"

    pulled = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "pulled"])
    assert pulled.exit_code == 0, pulled.output
    assert f"{ref}@{expected.digest} verified and written to {tmp_path / 'pulled'}" in pulled.stdout
    local = runner.invoke(["bundle", "-r", recipe_file, "-o", tmp_path / "local"])
    assert local.exit_code == 0
    assert tree(tmp_path / "pulled") == tree(tmp_path / "local")
    assert "checksums.txt" in tree(tmp_path / "pulled")
    modes = {
        p.relative_to(tmp_path / "pulled"): p.stat().st_mode & 0o777
        for p in (tmp_path / "pulled").rglob("*")
    }
    assert modes == {
        p.relative_to(tmp_path / "local"): p.stat().st_mode & 0o777
        for p in (tmp_path / "local").rglob("*")
    }
    assert modes[Path("deploy.sh")] == 0o755


def test_push_prints_the_bundle_warnings_on_stderr(runner, registry, recipe_file):
    result = runner.invoke(
        [
            "bundle",
            "-r",
            recipe_file,
            "-o",
            registry.ref("cns/warn"),
            "--plain-http",
            "-d",
            "argocd",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "warning: no --repo given" in result.stderr
    assert "warning" not in result.stdout


def test_same_bundle_same_digest_every_push_and_every_tag(runner, registry, recipe_file):
    digests = []
    for tag in ("a", "a", "b"):
        result = runner.invoke(
            ["bundle", "-r", recipe_file, "-o", registry.ref("cns/twice", tag), "--plain-http"]
        )
        assert result.exit_code == 0, result.output
        digests.append(_manifest(registry, "cns/twice", tag)[1])
    assert len(set(digests)) == 1


def test_default_tag_is_the_cns_version_and_pull_by_digest_to_a_zip(
    runner, tmp_path, registry, recipe_file
):
    result = runner.invoke(
        [
            "bundle",
            "-r",
            recipe_file,
            "-o",
            registry.ref("cns/default", None),
            "--plain-http",
            "-d",
            "argocd",
            "--repo",
            "https://github.com/a/b.git",
        ]
    )
    assert result.exit_code == 0, result.output
    raw, digest = _manifest(registry, "cns/default", __version__)
    assert json.loads(raw)["annotations"]["org.opencontainers.image.version"] == __version__
    by_digest = f"oci://{registry.host}/cns/default@{digest}"
    assert f"cns bundle pull {by_digest} --plain-http -o ./bundle" in result.stdout
    pulled = runner.invoke(["bundle", "pull", by_digest, "--plain-http", "-o", tmp_path / "b.zip"])
    assert pulled.exit_code == 0, pulled.output
    assert "app-of-apps.yaml" in pulled.stdout
    assert (tmp_path / "b.zip").read_bytes()[:2] == b"PK"
    again = runner.invoke(
        ["bundle", "pull", registry.ref("cns/default", None), "--plain-http", "-o", tmp_path / "d"]
    )
    assert again.exit_code == 0, again.output
    assert (tmp_path / "d" / "app-of-apps.yaml").is_file()


def _push_own_blobs(runner: CnsRunner, recipe_file, ref: str) -> None:
    """Push a bundle whose blobs no other test shares (storage is content-addressed)."""
    marker = f"gpu-operator:cnsTestMarker={ref.rpartition('/')[2]}"
    result = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", ref, "--plain-http", "--set", marker]
    )
    assert result.exit_code == 0, result.output


def test_a_tampered_layer_is_refused_naming_it_and_nothing_is_written(
    runner, tmp_path, registry, recipe_file
):
    ref = registry.ref("cns/tampered")
    _push_own_blobs(runner, recipe_file, ref)
    layer = json.loads(_manifest(registry, "cns/tampered", "1.0.0")[0])["layers"][0]["digest"]
    blob = registry.blob_file(layer)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    blob.write_bytes(bytes(data))
    result = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "out"])
    assert result.exit_code == 3, result.output
    assert f"layer {layer} does not match its content" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_a_tampered_manifest_is_refused(runner, tmp_path, registry, recipe_file, by):
    ref = registry.ref(f"cns/manifest-{by}")
    _push_own_blobs(runner, recipe_file, ref)
    raw, digest = _manifest(registry, f"cns/manifest-{by}", "1.0.0")
    registry.blob_file(digest).write_bytes(raw.replace(b"CNS Bundle", b"CNS Bundlf"))
    target = ref if by == "tag" else f"oci://{registry.host}/cns/manifest-{by}@{digest}"
    result = runner.invoke(["bundle", "pull", target, "--plain-http", "-o", tmp_path / "out"])
    assert result.exit_code == 3, result.output
    assert "the manifest received has digest sha256:" in result.stderr
    assert f"not {digest}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_longer_layer_is_refused_before_it_is_read_whole(runner, tmp_path, registry, recipe_file):
    ref = registry.ref("cns/longer")
    _push_own_blobs(runner, recipe_file, ref)
    layer = json.loads(_manifest(registry, "cns/longer", "1.0.0")[0])["layers"][0]
    blob = registry.blob_file(layer["digest"])
    blob.write_bytes(blob.read_bytes() + b"appended")
    result = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "out"])
    assert result.exit_code == 3, result.output
    assert f"layer {layer['digest']} is larger than the {layer['size']} bytes" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_file_that_does_not_match_checksums_txt_is_refused_naming_it(
    runner, tmp_path, registry, gb200, store
):
    files = dict(generate_bundle(gb200, store, BundleOptions.parse()).files)
    files["values.yaml"] += b"# edited after checksums.txt was written\n"
    ref = parse_reference(registry.ref("cns/badsum"), default="x")
    push_bundle(files, ref, RegistryOptions(plain_http=True), version="1")
    result = runner.invoke(["bundle", "pull", ref.uri, "--plain-http", "-o", tmp_path / "out"])
    assert result.exit_code == 3, result.output
    assert "values.yaml does not match its sha256 in checksums.txt" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_wrong_digest_in_the_reference_is_refused(runner, tmp_path, registry, recipe_file):
    ref = registry.ref("cns/digest")
    assert runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"]).exit_code == 0
    # a digest that exists nowhere: the registry says not found
    wrong = f"oci://{registry.host}/cns/digest@sha256:{'0' * 64}"
    result = runner.invoke(["bundle", "pull", wrong, "--plain-http", "-o", tmp_path / "o"])
    assert result.exit_code == 4, result.output
    assert "not found" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["oci://{host}/cns/none:1.0.0", "--plain-http"],
            4,
            "oci://{host}/cns/none:1.0.0 not found on {host}",
        ),
        (
            ["oci://{host}/cns/bundle:1.0.0"],
            4,
            "registry {host} does not speak TLS on this port: use --plain-http",
        ),
        (["oci://{host}/Cns/x", "--plain-http"], 3, "invalid repository format 'Cns/x'"),
        (["oci://{host}/cns/x:bad+tag", "--plain-http"], 3, "invalid tag format 'bad+tag'"),
        (["oci://bad_host:5000/x"], 3, "invalid registry host format 'bad_host:5000'"),
        (["{host}/cns/x"], 3, "must start with oci://"),
        (["oci://{host}/cns/x", "-o", "oci://{host}/y"], 3, "pull writes a directory or a .zip"),
        (
            ["oci://{host}/cns/x", "--ca-file", "/nonexistent/ca.pem"],
            4,
            "--ca-file /nonexistent/ca.pem: no such file",
        ),
    ],
)
def test_pull_errors_are_one_line_with_their_exit_code(
    runner, tmp_path, registry, args, code, message
):
    args = [a.format(host=registry.host) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "o")]
    result = runner.invoke(["bundle", "pull", *args])
    assert result.exit_code == code, result.output
    assert message.format(host=registry.host) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_registry_is_exit_4_at_once(runner, tmp_path, recipe_file):
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    push = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", f"oci://{host}/cns/x:1", "--plain-http"]
    )
    assert push.exit_code == 4, push.output
    assert f"cannot reach registry {host}: Connection refused" in push.stderr
    pull = runner.invoke(["bundle", "pull", f"oci://{host}/cns/x:1", "-o", tmp_path / "o"])
    assert pull.exit_code == 4
    assert (
        f"cannot reach registry {host}: Connection refused (--plain-http for a registry without TLS)"
        in pull.stderr
    )


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("oci://ghcr.io/Org/x", "invalid repository format 'Org/x'"),
        ("oci://ghcr.io/org/x:", "invalid tag format ''"),
        ("oci://ghcr.io:99999/org/x", "invalid registry host format 'ghcr.io:99999'"),
        (
            f"oci://ghcr.io/org/x@sha256:{'a' * 64}",
            "push to a tag (oci://HOST/REPO:TAG), not a digest",
        ),
    ],
)
def test_bad_output_references_fail_before_anything_is_generated(runner, tmp_path, output, message):
    missing = tmp_path / "no-such-recipe.yaml"  # never read: the reference is checked first
    result = runner.invoke(["bundle", "-r", missing, "-o", output])
    assert result.exit_code == 3, result.output
    assert message in result.stderr


def test_registry_flags_need_a_registry_output(runner, tmp_path, recipe_file):
    result = runner.invoke(
        [
            "bundle",
            "-r",
            recipe_file,
            "-o",
            tmp_path / "d",
            "--plain-http",
            "--image-refs",
            tmp_path / "r",
        ]
    )
    assert result.exit_code == 3
    assert "--plain-http, --image-refs: only with -o oci://" in result.stderr
    assert not (tmp_path / "d").exists()


# --- basic auth ---------------------------------------------------------------------------


def test_auth_required_without_credentials(runner, auth_registry, recipe_file):
    result = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", auth_registry.ref("cns/a"), "--plain-http"]
    )
    assert result.exit_code == 1, result.output
    assert (
        f"registry {auth_registry.host} requires authentication (401 Unauthorized" in result.stderr
    )
    assert f"docker login {auth_registry.host}" in result.stderr


def test_wrong_password_is_refused_naming_the_user_and_the_source(
    runner, auth_registry, recipe_file, docker_config, tmp_path
):
    login(docker_config, auth_registry.host, password="Wr0ng-Pa55")
    push = runner.invoke(
        ["bundle", "-r", recipe_file, "-o", auth_registry.ref("cns/a"), "--plain-http"]
    )
    assert push.exit_code == 1, push.output
    assert f"registry {auth_registry.host} refused the credentials of '{USER}'" in push.stderr
    assert str(docker_config / "config.json") in push.stderr
    assert "Wr0ng-Pa55" not in push.stderr
    pull = runner.invoke(
        ["bundle", "pull", auth_registry.ref("cns/a"), "--plain-http", "-o", tmp_path / "o"]
    )
    assert pull.exit_code == 1 and "refused the credentials" in pull.stderr


def test_docker_login_credentials_push_and_pull(
    runner, tmp_path, auth_registry, recipe_file, docker_config
):
    login(docker_config, auth_registry.host)
    ref = auth_registry.ref("cns/auth")
    assert runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"]).exit_code == 0
    result = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "o"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "Chart.yaml").is_file()


@pytest.mark.parametrize("how", ["credsStore", "credHelpers"])
def test_credential_helpers_push_and_pull(
    runner, tmp_path, auth_registry, recipe_file, docker_config, monkeypatch, how
):
    log = credential_helper(tmp_path / "bin", "cnstest", {auth_registry.host: (USER, PASSWORD)})
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
    config = (
        {"credsStore": "cnstest"}
        if how == "credsStore"
        else {"credHelpers": {auth_registry.host: "cnstest"}}
    )
    write_docker_config(docker_config, config)
    ref = auth_registry.ref(f"cns/{how.lower()}")
    push = runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"])
    assert push.exit_code == 0, push.output
    pull = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "o"])
    assert pull.exit_code == 0, pull.output
    assert log.read_text().splitlines() == [auth_registry.host] * 2


# --- TLS ----------------------------------------------------------------------------------


def test_tls_with_a_private_ca_needs_the_ca_or_insecure_tls(
    runner, tmp_path, tls_registry, recipe_file, docker_config, monkeypatch
):
    login(docker_config, tls_registry.host)
    ref = tls_registry.ref("cns/tls")
    untrusted = runner.invoke(["bundle", "-r", recipe_file, "-o", ref])
    assert untrusted.exit_code == 4, untrusted.output
    assert (
        f"TLS error talking to {tls_registry.host}: certificate verify failed" in untrusted.stderr
    )
    assert "--ca-file FILE" in untrusted.stderr and "--insecure-tls" in untrusted.stderr

    assert runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--insecure-tls"]).exit_code == 0
    by_ca = runner.invoke(
        ["bundle", "pull", ref, "--ca-file", tls_registry.ca_file, "-o", tmp_path / "ca"]
    )
    assert by_ca.exit_code == 0, by_ca.output
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_registry.ca_file))
    by_env = runner.invoke(["bundle", "pull", ref, "-o", tmp_path / "env"])
    assert by_env.exit_code == 0, by_env.output
    assert tree(tmp_path / "ca") == tree(tmp_path / "env") == tree(tmp_path / "ca")

    plain = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "p"])
    assert plain.exit_code == 4
    assert f"registry {tls_registry.host} serves HTTPS only: drop --plain-http" in plain.stderr


# --- bearer tokens (the registry's token auth, a token server in the test) ------------------


def test_bearer_token_registry_push_and_pull(
    runner, tmp_path, token_registry, recipe_file, docker_config
):
    registry, token = token_registry
    ref = registry.ref("cns/bearer")
    anonymous = runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"])
    assert anonymous.exit_code == 1, anonymous.output
    assert f"registry {registry.host} requires authentication" in anonymous.stderr
    assert token.requests[-1].startswith("anonymous repository:cns/bearer:")

    login(docker_config, registry.host, password="Wr0ng-Pa55")
    wrong = runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"])
    assert wrong.exit_code == 1
    assert f"refused the credentials of '{USER}'" in wrong.stderr

    login(docker_config, registry.host)
    token.requests.clear()
    push = runner.invoke(["bundle", "-r", recipe_file, "-o", ref, "--plain-http"])
    assert push.exit_code == 0, push.output
    granted = {frozenset(r.rpartition(":")[2].split(",")) for r in token.requests}
    assert frozenset({"pull", "push"}) in granted, token.requests  # the registry's order varies
    assert all(r.startswith("basic repository:cns/bearer:") for r in token.requests)
    pull = runner.invoke(["bundle", "pull", ref, "--plain-http", "-o", tmp_path / "o"])
    assert pull.exit_code == 0, pull.output
    assert tree(tmp_path / "o") == tree_of_local(runner, tmp_path, recipe_file)


def tree_of_local(runner, tmp_path, recipe_file):
    assert runner.invoke(["bundle", "-r", recipe_file, "-o", tmp_path / "local"]).exit_code == 0
    return tree(tmp_path / "local")
