"""Docker client configuration for the OCI tests: config.json, logins, credential helpers."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

from .registry import PASSWORD, USER


def write_docker_config(directory: Path, config: dict[str, object]) -> None:
    (directory / "config.json").write_text(json.dumps(config))


def login(directory: Path, host: str, user: str = USER, password: str = PASSWORD) -> None:
    """What ``docker login host`` leaves in config.json without a credential store."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    write_docker_config(directory, {"auths": {host: {"auth": token}}})


def path_with(directory: Path) -> str:
    return f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"


HELPER = """#!{python}
import json, sys
store = {store!r}
if sys.argv[1:] != ["get"]:
    sys.exit(2)
server = sys.stdin.read().strip()
with open({log!r}, "a") as log:
    log.write(server + "\\n")
if server not in store:
    print("credentials not found in native keychain")
    sys.exit(1)
user, secret = store[server]
print(json.dumps({{"ServerURL": server, "Username": user, "Secret": secret}}))
"""


def credential_helper(bin_dir: Path, name: str, store: dict[str, tuple[str, str]]) -> Path:
    """A ``docker-credential-<name>`` on ``bin_dir`` answering ``get`` from ``store``; its log."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / f"{name}.log"
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(HELPER.format(python=sys.executable, store=store, log=str(log)))
    script.chmod(0o755)
    return log
