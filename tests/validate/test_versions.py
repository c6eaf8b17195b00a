"""Vendor-suffixed version parsing and precision-aware comparison."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cns_core.errors import InvalidRequestError
from cns_core.versions import Version, looks_like_version


@pytest.mark.parametrize(
    ("text", "numbers", "precision", "extras"),
    [
        ("1", (1, 0, 0), 1, ""),
        ("v2", (2, 0, 0), 1, ""),
        ("v0.1", (0, 1, 0), 2, ""),
        ("1.2.3", (1, 2, 3), 3, ""),
        ("v1.33.5-eks-3025e55", (1, 33, 5), 3, "-eks-3025e55"),
        ("1.28.0-gke.1337000", (1, 28, 0), 3, "-gke.1337000"),
        ("v1.30.2-aks.1", (1, 30, 2), 3, "-aks.1"),
        ("6.8.0-1028-aws", (6, 8, 0), 3, "-1028-aws"),
        ("1.2.3+build.7", (1, 2, 3), 3, "+build.7"),
        ("24.04", (24, 4, 0), 2, ""),
        ("  1.30 ", (1, 30, 0), 2, ""),
    ],
)
def test_parse(text: str, numbers: tuple[int, int, int], precision: int, extras: str) -> None:
    version = Version.parse(text)
    assert version.numbers == numbers
    assert version.precision == precision
    assert version.extras == extras


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "version string is empty"),
        ("1.2.3.4", "more than 3 components"),
        ("v1.2.a", "component 'a' is not a number"),
        ("-1.2.3", "component '-1' is negative"),
        ("1.-2.3", "component '-2' is negative"),
        ("1..2", "empty component"),
        ("abc", "component 'abc' is not a number"),
        ("1.2.3rc1", "component '3rc1' is not a number"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        Version.parse(text)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("6.8", "6.8.0-1028-aws", 0),  # shorter precision: only major.minor compared
        ("1.33", "1.33.9", 0),
        ("2.0", "2.0.0", 0),
        ("1.30.14", "1.32.4", -1),
        ("v1.33.5-eks-3025e55", "1.32.4", 1),
        ("1", "1.99", 0),
        ("24.04", "24.4", 0),
        ("1.9", "1.10", -1),
    ],
)
def test_compare_at_the_shorter_precision(left: str, right: str, expected: int) -> None:
    assert Version.parse(left).compare(Version.parse(right)) == expected
    assert Version.parse(right).compare(Version.parse(left)) == -expected


def test_equals_ignores_precision() -> None:
    assert not Version.parse("1.2").equals(Version.parse("1.2.3"))
    assert Version.parse("1.2").equals(Version.parse("1.2.0-vendor"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.30", True), ("v24.04", True), ("24", False), ("ubuntu", False), ("a.b", False)],
)
def test_looks_like_version(text: str, expected: bool) -> None:
    assert looks_like_version(text) is expected


parts = st.integers(min_value=0, max_value=10**6)
versions = st.lists(parts, min_size=1, max_size=3).map(lambda p: ".".join(map(str, p)))
suffixes = st.sampled_from(["", "-eks-3025e55", "-1028-aws", "-gke.1337000", "+meta"])


@given(versions, suffixes)
def test_parse_round_trips(text: str, suffix: str) -> None:
    version = Version.parse("v" + text + suffix)
    assert str(version) == text + suffix
    assert Version.parse(str(version)) == version


@given(versions, versions)
def test_compare_is_antisymmetric(a: str, b: str) -> None:
    assert Version.parse(a).compare(Version.parse(b)) == -Version.parse(b).compare(Version.parse(a))


@given(st.text(max_size=12))
def test_parse_never_crashes(text: str) -> None:
    try:
        Version.parse(text)
    except InvalidRequestError as exc:
        assert str(exc).startswith("invalid version")
