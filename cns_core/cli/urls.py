"""``http(s)://`` inputs of the command line (imported only when a URL is read).

- TLS is verified (at least TLS 1.2); ``SSL_CERT_FILE`` trusts a private CA.
- One limit for the whole download (connect, TLS handshake, headers, body): a watchdog
  shuts the connection's sockets down when it passes, so a server that sends a byte at
  a time cannot hold the command past it; each socket operation has its own limit too.
- Redirects are followed only to http(s) URLs, and never from https to plain http.
- The body is capped and held in memory (no temporary files).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import InvalidRequestError, NotFoundError, TimeoutExceededError, UnavailableError

_CHUNK = 64 * 1024


def fetch(
    url: str, *, max_bytes: int, socket_timeout: float, total_timeout: float, user_agent: str
) -> bytes:
    """GET ``url``: the body, at most ``max_bytes``, all within ``total_timeout`` seconds."""
    deadline = Deadline(total_timeout)
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _WatchedHTTPHandler(deadline),
        _WatchedHTTPSHandler(deadline),
        _SafeRedirects(url),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": user_agent,
            "Accept": "application/json, application/yaml;q=0.9, */*;q=0.5",
        },
    )
    deadline.start()
    try:
        with opener.open(request, timeout=min(socket_timeout, total_timeout)) as response:
            data = _read_capped(response, url, max_bytes)
    except urllib.error.HTTPError as exc:
        exc.close()
        status = f"HTTP {exc.code} {exc.reason}"
        if exc.code == 404:
            raise NotFoundError(f"{url}: {status}") from None
        raise UnavailableError(f"{url}: {status}") from None
    except urllib.error.URLError as exc:
        raise deadline.error(url) or _connection_error(url, exc.reason, socket_timeout) from None
    except (OSError, http.client.HTTPException) as exc:
        raise deadline.error(url) or _connection_error(url, exc, socket_timeout) from None
    finally:
        deadline.cancel()
    expired = deadline.error(url)  # a connection the watchdog shut reads as an early end
    if expired is not None:
        raise expired
    return data


def _read_capped(response: Any, url: str, max_bytes: int) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise InvalidRequestError(f"{url}: larger than {max_bytes} bytes ({length} bytes)")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidRequestError(f"{url}: larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _connection_error(url: str, reason: Any, socket_timeout: float) -> Exception:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return UnavailableError(
            f"{url}: TLS certificate verification failed ({reason.verify_message}); "
            "set SSL_CERT_FILE to trust a private CA"
        )
    if isinstance(reason, TimeoutError):
        return TimeoutExceededError(f"{url}: no answer within {socket_timeout:g}s")
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return UnavailableError(f"{url}: cannot fetch: {text}")


class Deadline:
    """The limit of one download: when it passes, every socket it watches is shut down,
    so whatever read or handshake is blocked on them returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def error(self, url: str) -> TimeoutExceededError | None:
        """The TIMEOUT error once the limit has passed, else None."""
        if not self.expired:
            return None
        return TimeoutExceededError(f"{url}: download took longer than {self.seconds:g}s")


def _shut(sock: socket.socket) -> None:
    """Shut the file descriptor down with the plain socket call (TLS sockets too: their
    own ``shutdown`` would also drop the TLS state another thread is reading with)."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedContext:
    """An SSLContext stand-in: its sockets are watched before the (blocking) handshake."""

    def __init__(self, context: ssl.SSLContext, deadline: Deadline) -> None:
        self._context = context
        self._deadline = deadline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        kwargs["do_handshake_on_connect"] = False
        tls = self._context.wrap_socket(sock, *args, **kwargs)
        self._deadline.watch(tls)
        tls.do_handshake()
        return tls


def _watched(base: type[http.client.HTTPConnection], deadline: Deadline) -> Any:
    """``base`` whose sockets ``deadline`` watches: the TCP socket once connected, and
    (HTTPS) the TLS socket before its handshake."""

    class Watched(base):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = self._connect_watched
            context = getattr(self, "_context", None)
            if context is not None:
                self._context = _WatchedContext(context, deadline)

        def _connect_watched(self, *args: Any, **kwargs: Any) -> socket.socket:
            sock = socket.create_connection(*args, **kwargs)
            deadline.watch(sock)
            return sock

    return Watched


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_watched(http.client.HTTPConnection, self._deadline), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        super().__init__(context=context)
        self._deadline = deadline
        self._tls = context

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = _watched(http.client.HTTPSConnection, self._deadline)
        return self.do_open(connection, req, context=self._tls)


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) URLs, and never from https to plain http."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any
    ) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:  # before urllib's own check, which would still try ftp://
            self._check(req.full_url, urljoin(req.full_url, location), fp)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def _check(self, current: str, target: str, fp: Any) -> None:
        scheme = urlsplit(target).scheme.lower()
        refusal = None
        if scheme not in ("http", "https"):
            refusal = "which is not an http(s) URL"
        elif urlsplit(current).scheme.lower() == "https" and scheme != "https":
            refusal = "leaving https for plain http"
        if refusal is not None:
            fp.close()
            shown = target if len(target) <= 200 else target[:197] + "..."
            raise UnavailableError(
                f"{self._url}: the server redirects to {shown}, {refusal}: refused "
                "(give the final https URL)"
            )
