"""``oci://`` references: Docker normalisation, OCI naming rules, one message per mistake."""

from __future__ import annotations

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.oci.reference import OCIReference, default_tag, is_oci, parse_reference

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oci://nginx", OCIReference("docker.io", "library/nginx", "9.9.9")),
        ("oci://org/bundle:1.0", OCIReference("docker.io", "org/bundle", "1.0")),
        ("oci://index.docker.io/org/b", OCIReference("docker.io", "org/b", "9.9.9")),
        ("oci://docker.io/b", OCIReference("docker.io", "library/b", "9.9.9")),
        ("oci://localhost/b", OCIReference("localhost", "b", "9.9.9")),
        ("oci://localhost:5000/a/b/c:v2", OCIReference("localhost:5000", "a/b/c", "v2")),
        (
            "oci://127.0.0.1:5000/cns/bundle:1.0.0",
            OCIReference("127.0.0.1:5000", "cns/bundle", "1.0.0"),
        ),
        ("oci://ghcr.io/my.org/x__y/a--b", OCIReference("ghcr.io", "my.org/x__y/a--b", "9.9.9")),
        ("OCI://Registry.Example.com/a", OCIReference("Registry.Example.com", "a", "9.9.9")),
        (f"oci://ghcr.io/a@{DIGEST}", OCIReference("ghcr.io", "a", None, DIGEST)),
        (f"oci://ghcr.io/a:t@{DIGEST}", OCIReference("ghcr.io", "a", "t", DIGEST)),
        ("oci://[::1]:5000/a", OCIReference("[::1]:5000", "a", "9.9.9")),
        ("  oci://ghcr.io/a:_x.Y-1  ", OCIReference("ghcr.io", "a", "_x.Y-1")),
    ],
)
def test_parse_normalises_like_docker(text, expected):
    assert parse_reference(text, default="9.9.9") == expected


def test_string_forms():
    ref = parse_reference("oci://localhost:5000/cns/b:1", default="x")
    assert str(ref) == "localhost:5000/cns/b:1"
    assert ref.uri == "oci://localhost:5000/cns/b:1"
    assert str(ref.with_digest(DIGEST)) == f"localhost:5000/cns/b:1@{DIGEST}"
    assert parse_reference(f"oci://h.io/a@{DIGEST}", default="x").uri == f"oci://h.io/a@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ghcr.io/a/b", "must start with oci://"),
        ("https://ghcr.io/a", "must start with oci://"),
        ("oci://", "empty reference after oci://"),
        ("oci://bad_host.io/a", "invalid registry host format 'bad_host.io'"),
        ("oci://-bad.io/a", "invalid registry host format '-bad.io'"),
        ("oci://host.io:0/a", "invalid registry host format 'host.io:0'"),
        ("oci://host.io:65536/a", "with an optional port (1-65535)"),
        ("oci://host.io:port/a", "invalid registry host format 'host.io:port'"),
        ("oci://ghcr.io/Org/a", "invalid repository format 'Org/a'"),
        ("oci://ghcr.io/a//b", "invalid repository format 'a//b'"),
        ("oci://ghcr.io/a/", "invalid repository format 'a/'"),
        ("oci://ghcr.io/-a", "invalid repository format '-a'"),
        ("oci://ghcr.io/a_", "invalid repository format 'a_'"),
        ("oci://ghcr.io/a___b", "invalid repository format 'a___b'"),
        ("oci://ghcr.io/a:", "invalid tag format ''"),
        ("oci://ghcr.io/a:-x", "invalid tag format '-x'"),
        ("oci://ghcr.io/a:.x", "invalid tag format '.x'"),
        ("oci://ghcr.io/a:1+2", "invalid tag format '1+2'"),
        ("oci://ghcr.io/a:" + "x" * 129, "up to 128 letters"),
        ("oci://ghcr.io/a@sha256:abc", "invalid digest 'sha256:abc'"),
        ("oci://ghcr.io/a@md5:" + "a" * 32, "only sha256 digests are supported"),
        ("oci://ghcr.io/a@", "invalid digest format ''"),
        ("oci://" + "a" * 64, "cannot be 64-byte hexadecimal"),
        ("oci://ghcr.io/" + "/".join(["abcdefgh"] * 30), "longer than 255 characters"),
    ],
)
def test_bad_references_say_which_part_is_wrong(text, message):
    with pytest.raises(InvalidRequestError) as caught:
        parse_reference(text, default="1.0.0")
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"invalid OCI reference '{text.strip()}'")


def test_tag_limits_are_exact():
    assert parse_reference("oci://h.io/a:" + "x" * 128, default="d").tag == "x" * 128


def test_default_tag_is_a_valid_tag_for_any_semver():
    assert default_tag("0.1.0") == "0.1.0"
    assert default_tag("1.2.3-rc.1+build.5") == "1.2.3-rc.1_build.5"
    assert parse_reference("oci://h.io/a", default=default_tag("1.0.0+g1")).tag == "1.0.0_g1"


@pytest.mark.parametrize(("text", "yes"), [("oci://x", True), (" OCI://x", True), ("./oci", False)])
def test_is_oci(text, yes):
    assert is_oci(text) is yes
