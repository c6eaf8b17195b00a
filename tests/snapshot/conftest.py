"""Fixtures for the snapshot tests: a fake host tree, fake commands on PATH, a fake NVML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from snapshot_fakes import DATA

OS_RELEASE = """\
PRETTY_NAME="Ubuntu 24.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.3 LTS (Noble Numbat)"
ID=ubuntu
ID_LIKE=debian
# a comment
EMPTY=
NOEQUALS
"""


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    """A small Linux-like tree: /proc/cmdline, /proc/sys, /proc/modules, /etc/os-release."""
    root = tmp_path / "root"
    files = {
        "proc/cmdline": "BOOT_IMAGE=/boot/vmlinuz-6.8.0-1028-aws root=PARTUUID=abc ro "
        "console=tty1 nokaslr hugepages=5128 hugepagesz=2M panic=-1\n",
        "proc/sys/kernel/osrelease": "6.8.0-1028-aws\n",
        "proc/sys/kernel/ostype": "Linux\n",
        "proc/sys/kernel/pid_max": "4194304\n",
        "proc/sys/kernel/table": "alpha 1 2\nbeta 3\n",
        "proc/sys/kernel/text": "first line\nsecond\n",
        "proc/sys/kernel/empty": "",
        "proc/sys/vm/swappiness": "60\n",
        "proc/sys/net/ipv4/ip_forward": "1\n",
        "proc/sys/dev/cdrom/info": "CD-ROM information\n",
        "proc/modules": "nvidia 12345 10 nvidia_uvm, Live 0x0\nxt_nat 16384 2 - Live 0x0\n"
        "overlay 151552 5 - Live 0x0\n",
        "etc/os-release": OS_RELEASE,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "proc/sys/kernel/binary").write_bytes(b"\xff\xfe\x00bad")
    (root / "proc/sys/kernel/huge").write_text("x" * (1024 * 1024 + 1))
    (root / "proc/sys/kernel/link").symlink_to(root / "proc/sys/kernel/ostype")
    return root


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], Path]:
    """Install shell scripts as commands; PATH holds only them (scripts use absolute paths)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    def install(name: str, body: str) -> Path:
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
        return script

    return install


@pytest.fixture
def fake_systemctl(fake_bin: Callable[[str, str], Path]) -> Path:
    """``systemctl show UNIT`` printing recorded output (containerd running, others missing)."""
    return fake_bin(
        "systemctl",
        f"""[ "$1" = show ] || exit 2
case "$2" in
  containerd.service) exec /bin/cat {DATA / "systemctl-show-containerd.txt"} ;;
  *) exec /bin/cat {DATA / "systemctl-show-missing.txt"} ;;
esac""",
    )


@pytest.fixture
def no_kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No cluster: no KUBECONFIG, an empty HOME, not in a pod."""
    for var in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NODE_NAME", raising=False)
