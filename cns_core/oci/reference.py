"""``oci://`` references: Docker-style normalisation and OCI distribution naming rules.

``oci://host[:port]/path[:tag][@sha256:...]``. As upstream (``reference.ParseNormalizedNamed``),
a first path component without ``.`` or ``:`` that is not ``localhost`` is not a host:
``oci://nginx`` is ``docker.io/library/nginx``. Host, repository and tag are then checked
against the OCI distribution grammar, each with its own message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..errors import InvalidRequestError

SCHEME = "oci://"
DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
MAX_NAME_LENGTH = 255

_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
#: hostname labels or an IPv4 address, or a bracketed IPv6 address; optional port
HOST_RE = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:.]+\])(?::(?P<port>[0-9]+))?$")
#: OCI distribution spec: lowercase components separated by ``.``, ``_``, ``__`` or ``-``+
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
_ANY_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_HEX64_RE = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True)
class OCIReference:
    """A parsed registry reference: a tag, a digest (it wins), or both."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``registry/repository``."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        """``registry/repository[:tag][@digest]``, without the scheme."""
        text = f"{self.name}:{self.tag}" if self.tag else self.name
        return f"{text}@{self.digest}" if self.digest else text

    @property
    def uri(self) -> str:
        return f"{SCHEME}{self}"

    def with_digest(self, digest: str) -> OCIReference:
        return replace(self, digest=digest)


def is_oci(text: str) -> bool:
    """True for ``oci://...`` (case-insensitive scheme)."""
    return text.strip().lower().startswith(SCHEME)


def default_tag(version: str) -> str:
    """The tag for a cns version: SemVer build metadata ``+`` becomes ``_`` (as Helm does)."""
    return version.replace("+", "_")


def parse_reference(text: str, *, default: str) -> OCIReference:
    """Parse ``oci://host[:port]/repository[:tag][@digest]``.

    ``default`` is the tag when there is neither a tag nor a digest.
    """
    raw = text.strip()
    if not is_oci(raw):
        raise _invalid(raw, "must start with oci://, e.g. oci://ghcr.io/org/bundle:1.0.0")
    rest = raw[len(SCHEME) :]
    if not rest:
        raise _invalid(raw, "empty reference after oci://")
    name, at, digest = rest.partition("@")
    if at and not _ANY_DIGEST_RE.match(digest):
        raise _invalid(raw, f"invalid digest format '{digest}': expected sha256:<64 hex digits>")
    if at and not DIGEST_RE.match(digest):
        if digest.startswith("sha256:"):
            raise _invalid(raw, f"invalid digest '{digest}': expected sha256:<64 hex digits>")
        raise _invalid(raw, f"unsupported digest '{digest}': only sha256 digests are supported")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not TAG_RE.match(tag):
            raise _invalid(
                raw,
                f"invalid tag format '{tag}': up to 128 letters, digits, '_', '.' or '-', "
                "not starting with '.' or '-'",
            )
    if _HEX64_RE.match(name):
        raise _invalid(raw, "invalid repository name: cannot be 64-byte hexadecimal")
    registry, repository = _split_domain(name)
    _check_host(raw, registry)
    _check_repository(raw, registry, repository)
    if tag is None and not digest:
        tag = default
    return OCIReference(registry, repository, tag, digest or None)


def _split_domain(name: str) -> tuple[str, str]:
    """Docker's splitDockerDomain: the first component is a host only if it looks like one."""
    first, slash, remainder = name.partition("/")
    if not slash or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain = first
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = f"library/{remainder}"
    return domain, remainder


def _check_host(raw: str, host: str) -> None:
    match = HOST_RE.match(host)
    port = match.group("port") if match else None
    if not match or (port is not None and not 0 < int(port) < 65536):
        raise _invalid(
            raw,
            f"invalid registry host format '{host}': must be a valid hostname or IP address "
            "with an optional port (1-65535)",
        )


def _check_repository(raw: str, registry: str, repository: str) -> None:
    if not REPOSITORY_RE.match(repository):
        raise _invalid(
            raw,
            f"invalid repository format '{repository}': must be lowercase alphanumeric "
            "path components separated by '/', with '.', '_', '__' or '-' inside a component",
        )
    if len(registry) + 1 + len(repository) > MAX_NAME_LENGTH:
        raise _invalid(raw, f"repository name longer than {MAX_NAME_LENGTH} characters")


def _invalid(raw: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(f"invalid OCI reference '{raw}': {why}", details={"reference": raw})
