"""Talking to an OCI registry, through oras-py.

oras-py (``oras.provider.Registry``) does the distribution protocol: blob existence checks,
upload sessions and their ``Location``, blob downloads, URLs, bearer-token requests. Three
of its behaviours do not fit a command line, so ``do_request`` is replaced here:

- it retries every failure five times with sleeps of 3 to 29 s, so an unreachable
  registry or a wrong password took minutes; here nothing is retried, and every request
  has a timeout;
- its token backend answers only ``Bearer`` challenges, and ``Basic`` (a registry with
  htpasswd, Harbor, Artifactory) is a separate backend chosen up front; here the
  challenge picks: Basic gets the credential, Bearer a token from oras's token backend;
- a failure surfaced as ``ValueError("Issue with ...")``; here each status becomes a cns
  error with the registry's own message and an exit code (401/403 credentials, 404 not
  found, 5xx and connection errors unavailable).

Manifests are sent and read as bytes (oras-py re-serialises JSON, which changes the
digest), and checked against the digests the registry reports.
"""

from __future__ import annotations

import base64
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oras.auth
import oras.auth.utils
import oras.container
import oras.defaults
import oras.provider
import requests

from ..errors import (
    CNSError,
    ErrorCode,
    InvalidRequestError,
    NotFoundError,
    TimeoutExceededError,
    UnavailableError,
)
from .artifact import MANIFEST_MEDIA_TYPE, Artifact, Descriptor, VerificationError, sha256_digest
from .credentials import Credential
from .reference import OCIReference

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
ACCEPT_MANIFESTS = ", ".join(oras.defaults.default_manifest_accepted_media_types)
_REASONS = (
    re.compile(r"(certificate verify failed: [^'\"(]+)"),
    re.compile(r"\[SSL: ([A-Z_]+)\]"),
    re.compile(r"\[Errno -?\d+\] ([^'\")]+)"),
)
TLS_HINT = (
    "use --ca-file FILE to trust a private CA, --insecure-tls to skip verification, "
    "or --plain-http for a registry without TLS"
)


class RegistryAuthError(CNSError):
    """The registry wants credentials, or refused the ones given."""

    code = ErrorCode.UNAUTHORIZED


class RegistryError(CNSError):
    """The registry answered with an error cns cannot attribute to the input."""

    code = ErrorCode.INTERNAL


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach the registry: ``--plain-http``, ``--insecure-tls``, ``--ca-file``."""

    plain_http: bool = False
    insecure_tls: bool = False
    ca_file: str | None = None
    timeout: float = READ_TIMEOUT

    @property
    def tls_verify(self) -> bool | str:
        """requests' ``verify``: a CA bundle path, False (``--insecure-tls``) or True."""
        if self.insecure_tls:
            return False
        if self.ca_file:
            path = Path(self.ca_file)
            if not path.is_file():
                raise NotFoundError(f"--ca-file {self.ca_file}: no such file")
            return str(path)
        return True


class _Registry(oras.provider.Registry):
    """oras's Registry with one request per call, Basic or Bearer auth, and mapped errors."""

    def __init__(
        self,
        ref: OCIReference,
        options: RegistryOptions,
        credential: Credential | None,
    ) -> None:
        super().__init__(
            hostname=ref.registry, insecure=options.plain_http, tls_verify=options.tls_verify
        )
        self.ref = ref
        self.credential = credential
        self.timeout = (CONNECT_TIMEOUT, options.timeout)
        self.plain_http = options.plain_http
        self._authorization: str | None = None
        if credential is not None:
            self.auth.set_basic_auth(credential.username, credential.password)

    def do_request(  # oras's signature, without its retry decorator
        self,
        url: str,
        method: str = "GET",
        data: dict[str, Any] | bytes | None = None,
        headers: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        sent = dict(headers or {})
        if self._authorization:
            sent["Authorization"] = self._authorization
        response = self._send(method, url, sent, data, json, stream)
        if response.status_code == 401:
            answer = self._answer(response)
            if answer and answer != sent.get("Authorization"):
                response.close()
                self._authorization = sent["Authorization"] = answer
                response = self._send(method, url, sent, data, json, stream)
        if response.status_code >= 400 and not (response.status_code == 404 and method == "HEAD"):
            raise self._error(response, method)
        return response

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        data: Any,
        json: Any,
        stream: bool,
    ) -> requests.Response:
        host = self.ref.registry
        try:
            return self.session.request(
                method,
                url,
                data=data,
                json=json,
                headers=headers,
                stream=stream,
                verify=self._tls_verify,
                timeout=self.timeout,
            )
        except requests.exceptions.SSLError as exc:
            if "WRONG_VERSION_NUMBER" in str(exc):
                raise UnavailableError(
                    f"registry {host} does not speak TLS on this port: use --plain-http"
                ) from None
            raise UnavailableError(
                f"TLS error talking to {host}: {_reason(exc)}; {TLS_HINT}"
            ) from None
        except requests.exceptions.Timeout:
            raise TimeoutExceededError(
                f"registry {host} did not answer within {self.timeout[1]:g} s"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            hint = "" if self.plain_http else " (--plain-http for a registry without TLS)"
            raise UnavailableError(f"cannot reach registry {host}: {_reason(exc)}{hint}") from None

    def _answer(self, response: requests.Response) -> str | None:
        """The Authorization header answering a 401 challenge, if there is one to give."""
        challenge = response.headers.get("WWW-Authenticate", "")
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == "basic":
            if self.credential is None:
                return None
            pair = f"{self.credential.username}:{self.credential.password}".encode()
            return f"Basic {base64.b64encode(pair).decode()}"
        if scheme == "bearer":
            header = oras.auth.utils.parse_auth_header(challenge)
            if not header.realm:
                return None
            auth = self.auth
            assert isinstance(auth, oras.auth.TokenAuth)
            try:
                token = (
                    auth.request_token(header)
                    if self.credential is not None
                    else auth.request_anonymous_token(header)
                )
            except requests.exceptions.RequestException as exc:
                raise UnavailableError(
                    f"cannot get a token for {self.ref.registry} from {header.realm}: {_reason(exc)}"
                ) from None
            return f"Bearer {token}" if token else None
        return None

    def _error(self, response: requests.Response, method: str) -> CNSError:
        status, host = response.status_code, self.ref.registry
        detail = _registry_message(response)
        what = f"{response.status_code} {response.reason}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            if self.credential is None:
                return RegistryAuthError(
                    f"registry {host} requires authentication ({what}); log in with "
                    f"docker login {host} (cns reads $DOCKER_CONFIG or ~/.docker/config.json)"
                )
            return RegistryAuthError(
                f"registry {host} refused the credentials of '{self.credential.username}' "
                f"from {self.credential.source} ({what})"
            )
        if status == 404:
            return NotFoundError(f"{self.ref.uri} not found on {host} ({what})")
        if status == 400 and "HTTPS server" in response.text:
            return UnavailableError(f"registry {host} serves HTTPS only: drop --plain-http")
        if status == 429 or status >= 500:
            return UnavailableError(f"registry {host} is unavailable ({what})")
        if status == 400:
            return InvalidRequestError(f"registry {host} rejected the {method} ({what})")
        return RegistryError(f"registry {host} answered {method} with {what}")


class RegistryClient:
    """Push and fetch one repository's artifacts."""

    def __init__(
        self,
        ref: OCIReference,
        options: RegistryOptions | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.ref = ref
        self.options = options or RegistryOptions()
        self._registry = _Registry(ref, self.options, credential)
        self._container = _container(ref)
        self._prefix = self._registry.prefix

    def push(self, artifact: Artifact) -> str:
        """Upload the blobs (skipping those the registry has) and the manifest; its digest."""
        with tempfile.TemporaryDirectory(prefix="cns-oci-") as tmp:
            for descriptor in (artifact.config, artifact.layer):
                blob = Path(tmp) / descriptor.digest.replace(":", "-")
                blob.write_bytes(artifact.blobs[descriptor.digest])
                layer = {
                    "mediaType": descriptor.media_type,
                    "digest": descriptor.digest,
                    "size": descriptor.size,
                }
                try:
                    response = self._registry.upload_blob(str(blob), self._container, layer)
                except ValueError as exc:  # oras: no upload Location in the answer
                    raise RegistryError(f"registry {self.ref.registry}: {exc}") from None
                self._expect_success(response, f"upload of blob {descriptor.digest}")
        if not self.ref.tag:
            raise InvalidRequestError(f"{self.ref.uri}: a push needs a tag, not only a digest")
        url = f"{self._prefix}://{self._container.manifest_url(self.ref.tag)}"
        response = self._registry.do_request(
            url, "PUT", data=artifact.manifest, headers={"Content-Type": MANIFEST_MEDIA_TYPE}
        )
        self._expect_success(response, "manifest upload")
        stored = response.headers.get("Docker-Content-Digest")
        if stored and stored != artifact.digest:
            raise VerificationError(
                f"registry {self.ref.registry} stored the manifest as {stored}, "
                f"not {artifact.digest}"
            )
        return artifact.digest

    def fetch_manifest(self) -> tuple[bytes, str]:
        """The manifest bytes and their digest, checked against the reference and the registry."""
        url = f"{self._prefix}://{self._container.manifest_url()}"
        with self._registry.do_request(
            url, "GET", headers={"Accept": ACCEPT_MANIFESTS}, stream=True
        ) as response:
            raw = _read_capped(response, MAX_MANIFEST_BYTES, "manifest", self.ref.uri)
            stored = response.headers.get("Docker-Content-Digest")
        digest = sha256_digest(raw)
        for expected in (self.ref.digest, stored):
            if expected and expected.startswith("sha256:") and expected != digest:
                raise VerificationError(
                    f"{self.ref.uri}: the manifest received has digest {digest}, not {expected}"
                )
        return raw, digest

    def fetch_blob(self, descriptor: Descriptor) -> bytes:
        """A blob's bytes, read up to its declared size (one byte more is an error)."""
        with self._registry.get_blob(self._container, descriptor.digest, stream=True) as response:
            return _read_capped(
                response,
                descriptor.size,
                f"layer {descriptor.digest}",
                self.ref.uri,
                f"layer {descriptor.digest} is larger than the {descriptor.size} bytes "
                "its descriptor names: the layer was altered or corrupted",
            )

    def _expect_success(self, response: requests.Response, what: str) -> None:
        if response.status_code not in (200, 201, 202, 204):
            raise RegistryError(
                f"registry {self.ref.registry}: {what} answered {response.status_code} "
                f"{response.reason}"
            )


def _container(ref: OCIReference) -> oras.container.Container:
    """oras's Container with the parts set directly (its parser guesses the host by dots)."""
    container = oras.container.Container("placeholder", registry=ref.registry)
    namespace, _, repository = ref.repository.rpartition("/")
    container.namespace = namespace or None
    container.repository = repository
    container.tag = ref.tag or ref.digest
    container.digest = ref.digest
    return container


def _read_capped(
    response: requests.Response, limit: int, what: str, where: str, too_big: str = ""
) -> bytes:
    """The body, refused past ``limit`` bytes (``too_big``: the message then)."""
    chunks, total = [], 0
    try:
        for chunk in response.iter_content(chunk_size=65536):
            total += len(chunk)
            if total > limit:
                raise VerificationError(
                    f"{where}: {too_big or f'the {what} is larger than {limit} bytes'}"
                )
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise UnavailableError(f"{where}: reading the {what} failed: {_reason(exc)}") from None
    return b"".join(chunks)


def _registry_message(response: requests.Response) -> str:
    """``CODE: message`` of the distribution error body, else a short text body."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        text = (
            response.text.strip()
            if response.headers.get("Content-Type", "").startswith("text/plain")
            else ""
        )
        return text.splitlines()[0][:200] if text else ""
    parts = [
        f"{e.get('code', '')}: {e.get('message', '')}".strip(": ")
        for e in errors
        if isinstance(e, dict)
    ]
    return "; ".join(p for p in parts if p)


def _reason(exc: BaseException) -> str:
    """The useful part of a requests/urllib3 error, as one short line."""
    text = str(exc)
    for pattern in _REASONS:
        match = pattern.search(text)
        if match:
            return match.group(1).strip()
    return text[:200]
