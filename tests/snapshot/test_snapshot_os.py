"""The OS collector against a fake /proc and /etc tree."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cns_core.errors import InvalidRequestError
from cns_core.snapshot import MeasurementType
from cns_core.snapshot.collectors.os import (
    collect_grub,
    collect_kmod,
    collect_os,
    collect_release,
    collect_sysctl,
    parse_lines,
    parse_map,
)


def test_subtypes_in_upstream_order(fake_root: Path) -> None:
    measurement = collect_os(fake_root)
    assert measurement.type is MeasurementType.OS
    assert [s.name for s in measurement.subtypes] == ["grub", "sysctl", "kmod", "release"]


def test_grub_flags_are_empty_strings_and_root_is_dropped(fake_root: Path) -> None:
    assert collect_grub(fake_root) == {
        "BOOT_IMAGE": "/boot/vmlinuz-6.8.0-1028-aws",
        "ro": "",
        "console": "tty1",
        "nokaslr": "",
        "hugepages": "5128",
        "hugepagesz": "2M",
        "panic": "-1",
    }


def test_sysctl_walk(fake_root: Path) -> None:
    sysctl = collect_sysctl(fake_root)
    assert sysctl["/proc/sys/kernel/osrelease"] == "6.8.0-1028-aws"
    assert sysctl["/proc/sys/vm/swappiness"] == "60"
    # every line has >= 2 fields: one key per line
    assert sysctl["/proc/sys/kernel/table/alpha"] == "1 2"
    assert sysctl["/proc/sys/kernel/table/beta"] == "3"
    assert "/proc/sys/kernel/table" not in sysctl
    # other multi-line files keep their lines
    assert sysctl["/proc/sys/kernel/text"] == "first line\nsecond"
    assert sysctl["/proc/sys/kernel/empty"] == ""


def test_sysctl_skips_net_cdrom_symlinks_binary_and_huge_files(fake_root: Path) -> None:
    keys = set(collect_sysctl(fake_root))
    assert not any(k.startswith(("/proc/sys/net/", "/proc/sys/dev/cdrom/")) for k in keys)
    for skipped in ("link", "binary", "huge"):
        assert f"/proc/sys/kernel/{skipped}" not in keys
    assert all(isinstance(v, str) for v in collect_sysctl(fake_root).values())


def test_kmod_first_field_is_true(fake_root: Path) -> None:
    assert collect_kmod(fake_root) == {"nvidia": True, "xt_nat": True, "overlay": True}


def test_release_trims_quotes_and_skips_empty_values(fake_root: Path) -> None:
    release = collect_release(fake_root)
    assert release["ID"] == "ubuntu"
    assert release["VERSION_ID"] == "24.04"
    assert release["PRETTY_NAME"] == "Ubuntu 24.04.3 LTS"
    assert "EMPTY" not in release and "NOEQUALS" not in release


def test_release_falls_back_to_usr_lib_only_when_etc_is_missing(fake_root: Path) -> None:
    lib = fake_root / "usr/lib/os-release"
    lib.parent.mkdir(parents=True)
    lib.write_text("ID=rhel\nVERSION_ID='9.4'\n")
    assert collect_release(fake_root)["ID"] == "ubuntu"
    (fake_root / "etc/os-release").unlink()
    assert collect_release(fake_root) == {"ID": "rhel", "VERSION_ID": "9.4"}


def test_missing_sources_give_empty_subtypes_with_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        measurement = collect_os(tmp_path)
    assert [(s.name, s.data) for s in measurement.subtypes] == [
        ("grub", {}),
        ("sysctl", {}),
        ("kmod", {}),
        ("release", {}),
    ]
    text = caplog.text
    for source in ("/proc/cmdline", "/proc/sys", "/proc/modules", "os-release"):
        assert source in text


def test_binary_cmdline_is_an_error(fake_root: Path) -> None:
    (fake_root / "proc/cmdline").write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidRequestError, match=r"/proc/cmdline: not valid UTF-8"):
        collect_os(fake_root)


def test_oversized_modules_file_is_an_error(fake_root: Path) -> None:
    (fake_root / "proc/modules").write_text("m 1 0 - Live 0x0\n" * 70000)
    with pytest.raises(InvalidRequestError, match=r"/proc/modules: larger than 1048576 bytes"):
        collect_kmod(fake_root)


@pytest.mark.parametrize(
    ("text", "delimiter", "expected"),
    [
        ("a\n\n  b  \n# comment\nc", "\n", ["a", "b", "c"]),
        ("x=1 y=2  z", None, ["x=1", "y=2", "z"]),
        ("a;b;;#c", ";", ["a", "b"]),
        ("", "\n", []),
    ],
)
def test_parse_lines(text: str, delimiter: str | None, expected: list[str]) -> None:
    assert parse_lines(text, delimiter) == expected


def test_parse_map_defaults_and_duplicates() -> None:
    assert parse_map(["a=1", "b", "a=2", "c= 'x' "], trim="'") == {"a": "2", "b": "", "c": "x"}
    assert parse_map(["a=1", "b", "c="], skip_empty=True) == {"a": "1"}
