"""Registry credentials as ``docker login`` leaves them.

The Docker config is ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``. For a
registry, as the Docker CLI and oras-go decide: a ``credHelpers`` entry for it, else the
``credsStore``, names a helper ``docker-credential-<name>`` that is asked with ``get`` (the
server address on stdin, JSON ``{Username, Secret}`` on stdout); without either, the
``auths`` entry (``auth`` = base64 ``user:password``) is used. Docker Hub is stored under
``https://index.docker.io/v1/``. oras-py's own loader ignores ``DOCKER_CONFIG``, that
Docker Hub key and legacy ``https://host/v1/`` keys, hence this module.

No credentials is not an error (anonymous access); a helper that cannot be run only
warns, as upstream does. Identity tokens (OAuth2 refresh tokens, user ``<token>``) are
not supported: they are reported and skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidRequestError

log = logging.getLogger(__name__)

DOCKER_HUB = "docker.io"
DOCKER_HUB_ADDRESS = "https://index.docker.io/v1/"
HELPER_TIMEOUT = 30.0
TOKEN_USER = "<token>"


@dataclass(frozen=True)
class Credential:
    """A username and password (or token used as one), and where they came from."""

    username: str
    password: str
    source: str

    def __repr__(self) -> str:  # never print the secret
        return f"Credential(username={self.username!r}, source={self.source!r})"


def docker_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    env = os.environ if env is None else env
    base = env.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def server_address(registry: str) -> str:
    """The key ``docker login`` stores a registry under."""
    return DOCKER_HUB_ADDRESS if registry == DOCKER_HUB else registry


def find_credential(registry: str, config_path: Path | None = None) -> Credential | None:
    """The credential for ``registry`` (host[:port]), or None for anonymous access."""
    path = config_path or docker_config_path()
    config = _load(path)
    if not config:
        return None
    address = server_address(registry)
    helpers = config.get("credHelpers") or {}
    helper = helpers.get(registry) or helpers.get(address) or config.get("credsStore")
    if helper:
        return _from_helper(str(helper), address)
    return _from_auths(config.get("auths") or {}, registry, address, path)


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidRequestError(f"cannot read Docker config {path}: {exc.strerror}") from None
    try:
        config = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise InvalidRequestError(f"Docker config {path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise InvalidRequestError(f"Docker config {path} is not a JSON object")
    return config


def _hostname(key: str) -> str:
    """``https://host:5000/v1/`` → ``host:5000`` (Docker's ConvertToHostname)."""
    for scheme in ("http://", "https://"):
        if key.startswith(scheme):
            key = key[len(scheme) :]
    return key.split("/", 1)[0]


def _from_auths(
    auths: Mapping[str, Any], registry: str, address: str, path: Path
) -> Credential | None:
    entry = auths.get(address) or auths.get(registry)
    if entry is None:
        entry = next(
            (value for key, value in auths.items() if _hostname(key) in (registry, address)),
            None,
        )
    if not isinstance(entry, dict):
        return None
    source = f"{path} auths"
    if entry.get("identitytoken"):
        log.warning("%s: identity tokens are not supported for %s; ignoring it", source, registry)
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequestError(
                f"{source}: the auth of {registry} is not base64 'user:password'"
            ) from None
        user, colon, password = decoded.partition(":")
        if not colon:
            raise InvalidRequestError(f"{source}: the auth of {registry} has no ':'")
        return Credential(user, password, source)
    if entry.get("username") and entry.get("password"):
        return Credential(str(entry["username"]), str(entry["password"]), source)
    return None


def _from_helper(helper: str, address: str) -> Credential | None:
    program = f"docker-credential-{helper}"
    try:
        run = subprocess.run(
            [program, "get"],
            input=address,
            capture_output=True,
            text=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        log.warning(
            "credential helper %s not found on PATH; continuing without credentials", program
        )
        return None
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning(
            "credential helper %s failed (%s); continuing without credentials", program, exc
        )
        return None
    if run.returncode != 0:
        message = (run.stdout.strip() or run.stderr.strip()).splitlines()
        reason = message[-1] if message else f"exit code {run.returncode}"
        if "credentials not found" not in reason.lower():
            log.warning("credential helper %s: %s; continuing without credentials", program, reason)
        return None
    try:
        payload = json.loads(run.stdout)
        username, secret = str(payload["Username"]), str(payload["Secret"])
    except (ValueError, KeyError, TypeError):
        log.warning("credential helper %s printed no {Username, Secret} JSON; ignoring it", program)
        return None
    if username == TOKEN_USER:
        log.warning(
            "credential helper %s returned an identity token, which is not supported", program
        )
        return None
    return Credential(username, secret, program)
