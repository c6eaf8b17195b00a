"""Connections to the Kubernetes API: kubeconfig resolution, timeouts and error translation.

Kubeconfig resolution order: ``--kubeconfig``, then ``KUBECONFIG`` (a path list), then
``~/.kube/config``, then the in-cluster service account. Every call carries a request
timeout with a short connect timeout, so an unreachable cluster fails fast, and every
client or transport error becomes a :class:`~cns_core.errors.CNSError` whose message
names the operation and what went wrong.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import (
    CNSError,
    ErrorCode,
    InternalError,
    InvalidRequestError,
    NotFoundError,
    TimeoutExceededError,
    UnavailableError,
)

CONNECT_TIMEOUT = 5.0
DEFAULT_KUBECONFIG = "~/.kube/config"
IN_CLUSTER = "the in-cluster service account"
NO_CLUSTER = (
    "no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, "
    f"create {DEFAULT_KUBECONFIG}, or run inside a pod"
)


class PermissionDeniedError(CNSError):
    """The API server refused the credentials (401) or the operation (403)."""

    code = ErrorCode.UNAUTHORIZED


class ConflictError(CNSError):
    """The object already exists or was changed concurrently (409)."""

    code = ErrorCode.INVALID_REQUEST


def resolve_kubeconfig(
    kubeconfig: str | None, env: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """The kubeconfig path list to load (None means in-cluster) and a description of its origin."""
    env = os.environ if env is None else env
    if kubeconfig:
        path = os.path.expanduser(kubeconfig)
        if not os.path.isfile(path):
            raise NotFoundError(f"kubeconfig {kubeconfig}: no such file")
        return path, f"--kubeconfig {kubeconfig}"
    listed = env.get("KUBECONFIG", "").strip()
    if listed:
        paths = [os.path.expanduser(p) for p in listed.split(os.pathsep) if p.strip()]
        existing = [p for p in paths if os.path.isfile(p)]
        if not existing:
            raise UnavailableError(f"KUBECONFIG={listed}: none of the listed files exist")
        return os.pathsep.join(existing), f"KUBECONFIG={listed}"
    default = os.path.expanduser(DEFAULT_KUBECONFIG)
    if os.path.isfile(default):
        return default, DEFAULT_KUBECONFIG
    if env.get("KUBERNETES_SERVICE_HOST"):
        return None, IN_CLUSTER
    raise UnavailableError(NO_CLUSTER)


class _QuietRetries(logging.Filter):
    """Drops urllib3's "Retrying (...) after connection broken" warnings: a cluster that
    cannot be reached is reported once, by the error this module raises (they still show
    with debug logging on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Retrying") or logging.getLogger().isEnabledFor(
            logging.DEBUG
        )


_QUIET_RETRIES = _QuietRetries()


def connect(kubeconfig: str | None = None) -> Cluster:
    """An API connection configured from the first kubeconfig source that exists."""
    from kubernetes import client
    from urllib3.util.retry import Retry

    pool_log = logging.getLogger("urllib3.connectionpool")
    if _QUIET_RETRIES not in pool_log.filters:
        pool_log.addFilter(_QUIET_RETRIES)

    path, source = resolve_kubeconfig(kubeconfig)
    configuration = client.Configuration()
    _load_configuration(configuration, path, source)
    # one quick retry of a failed connect; never replay a request that reached the server
    configuration.retries = Retry(
        total=1, connect=1, read=0, status=0, redirect=0, backoff_factor=0.1
    )
    return Cluster(client.ApiClient(configuration), source=source, host=configuration.host)


def _load_configuration(configuration: Any, path: str | None, source: str) -> None:
    from kubernetes import config

    if path is None:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except config.ConfigException as exc:
            raise UnavailableError(f"cannot use {IN_CLUSTER}: {exc}") from None
        return
    try:
        config.load_kube_config(
            config_file=path, client_configuration=configuration, persist_config=False
        )
    except Exception as exc:  # the loader raises many types on malformed files
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InvalidRequestError(f"invalid kubeconfig ({source}): {message}") from None


@dataclass
class Cluster:
    """One authenticated API connection, the typed API groups on it, and where it came from."""

    api_client: Any
    source: str
    host: str

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.api_client.close()

    @cached_property
    def core(self) -> Any:
        from kubernetes.client import CoreV1Api

        return CoreV1Api(self.api_client)

    @cached_property
    def batch(self) -> Any:
        from kubernetes.client import BatchV1Api

        return BatchV1Api(self.api_client)

    @cached_property
    def rbac(self) -> Any:
        from kubernetes.client import RbacAuthorizationV1Api

        return RbacAuthorizationV1Api(self.api_client)

    @cached_property
    def authorization(self) -> Any:
        from kubernetes.client import AuthorizationV1Api

        return AuthorizationV1Api(self.api_client)

    @cached_property
    def version(self) -> Any:
        from kubernetes.client import VersionApi

        return VersionApi(self.api_client)

    @cached_property
    def apis(self) -> Any:
        from kubernetes.client import ApisApi

        return ApisApi(self.api_client)

    @cached_property
    def custom(self) -> Any:
        from kubernetes.client import CustomObjectsApi

        return CustomObjectsApi(self.api_client)

    def call(
        self, what: str, method: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any
    ) -> Any:
        """Call a typed API method and return its JSON body as plain data ({} when empty).

        Raw JSON instead of the client's models: faster on big lists, and what the
        collectors and the agent want anyway.
        """
        body = self.call_raw(what, method, *args, timeout=timeout, **kwargs)
        return json.loads(body) if body else {}

    def call_raw(
        self, what: str, method: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any
    ) -> bytes:
        """Call a typed API method and return its body undecoded (pod logs are plain text)."""
        with self.errors(what, timeout):
            response = method(
                *args, _preload_content=False, _request_timeout=request_timeout(timeout), **kwargs
            )
            return bytes(response.data)

    @contextmanager
    def errors(self, what: str, timeout: float) -> Iterator[None]:
        """Translate client and transport errors raised inside the block into CNSErrors."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError, MaxRetryError, ReadTimeoutError

        try:
            yield
        except ApiException as exc:
            raise self._status_error(what, exc) from None
        except HTTPError as exc:
            reason = exc.reason if isinstance(exc, MaxRetryError) else exc
            if isinstance(reason, ReadTimeoutError):
                raise TimeoutExceededError(
                    f"{what}: the Kubernetes API server at {self.host} did not answer "
                    f"within {timeout:g}s"
                ) from None
            raise UnavailableError(
                f"{what}: cannot reach the Kubernetes API server at {self.host} "
                f"(configured by {self.source}): {_reason_text(reason)}"
            ) from None

    def _status_error(self, what: str, exc: Any) -> CNSError:
        status = int(exc.status or 0)
        message = _server_message(exc)
        if status == 401:
            return PermissionDeniedError(
                f"{what}: unauthorized: the API server rejected the credentials from {self.source}"
            )
        if status == 403:
            return PermissionDeniedError(f"{what}: forbidden: {message}")
        if status == 404:
            return NotFoundError(f"{what}: not found ({message})")
        if status == 409:
            return ConflictError(f"{what}: {message}")
        if status in (400, 422):
            return InvalidRequestError(f"{what}: rejected by the API server: {message}")
        if status in (408, 504):
            return TimeoutExceededError(f"{what}: the API server timed out: {message}")
        if status == 0 or status == 429 or status >= 500:
            return UnavailableError(f"{what}: the API server answered {status}: {message}")
        return InternalError(f"{what}: unexpected answer {status} from the API server: {message}")


def request_timeout(seconds: float) -> tuple[float, float]:
    """The ``(connect, read)`` timeout pair for one request with a budget of ``seconds``."""
    seconds = max(seconds, 0.1)
    return (min(CONNECT_TIMEOUT, seconds), seconds)


def _server_message(exc: Any) -> str:
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(exc.reason or "no message")


def _reason_text(reason: object) -> str:
    # urllib3 prefixes the connection object: keep only the human part
    return str(reason).rsplit("): ", 1)[-1]
