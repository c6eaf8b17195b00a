"""Reading documents from files, stdin and http(s):// URLs (a real local server, real TLS)."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cns_core.cli import documents as cns_io
from cns_core.cli.documents import read_document, write_document
from cns_core.errors import (
    InvalidRequestError,
    NotFoundError,
    TimeoutExceededError,
    UnavailableError,
)
from cns_core.serialize import Format
from tests.support.cli import CnsRunner
from tests.support.threads import outcome_within

SNAPSHOT_YAML = "kind: Snapshot\nmeasurements: []\n"
SNAPSHOT_JSON = json.dumps({"kind": "Snapshot", "measurements": []})
ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/snap.yaml": (200, "text/plain", SNAPSHOT_YAML.encode()),
    "/snap.json": (200, "text/plain", SNAPSHOT_JSON.encode()),
    "/download": (200, "application/json", b'{"kind": "Snapshot", "measurements": [], "x": 1}'),
    "/sniff": (200, "application/octet-stream", SNAPSHOT_YAML.encode()),
    "/sniff-json": (200, "application/octet-stream", SNAPSHOT_JSON.encode()),
    "/broken.json": (200, "application/json", b'{"kind": '),
    "/huge.yaml": (200, "text/plain", b"a: " + b"x" * (cns_io.MAX_INPUT_BYTES + 10)),
    "/missing.yaml": (404, "text/plain", b"no"),
    "/error.yaml": (500, "text/plain", b"boom"),
    "/table.txt": (200, "text/plain", b"FIELD VALUE"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/slow.yaml":
            time.sleep(1.5)
        status, ctype, body = ROUTES.get(path, (200, "text/plain", SNAPSHOT_YAML.encode()))
        self.server.seen_agents.append(self.headers.get("User-Agent"))  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if path != "/huge.yaml":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(context: ssl.SSLContext | None = None) -> Iterator[tuple[str, http.server.HTTPServer]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen_agents = []  # type: ignore[attr-defined]
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    yield f"{scheme}://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[str, http.server.HTTPServer]]:
    yield from _serve()


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp_path = tmp_path_factory.mktemp("tls")
    if shutil.which("openssl") is None:
        pytest.skip("openssl binary not found (apt-get install openssl)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_web(tls_cert: tuple[Path, Path]) -> Iterator[tuple[str, http.server.HTTPServer]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_cert)
    yield from _serve(context)


@pytest.mark.parametrize(
    "path",
    [
        "/snap.yaml",
        "/snap.json",
        "/snap.yaml?token=abc&x=.json",
        "/download",
        "/sniff",
        "/sniff-json",
    ],
)
def test_url_documents_in_any_format(web: tuple[str, object], path: str) -> None:
    doc = read_document(web[0] + path)
    assert doc["kind"] == "Snapshot"


def test_url_sends_a_user_agent(web: tuple[str, http.server.HTTPServer]) -> None:
    read_document(web[0] + "/snap.yaml")
    assert web[1].seen_agents[-1].startswith("cns/")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/missing.yaml", NotFoundError, "HTTP 404 Not Found"),
        ("/error.yaml", UnavailableError, "HTTP 500 Internal Server Error"),
        ("/broken.json", InvalidRequestError, "invalid JSON in http://"),
        ("/huge.yaml", InvalidRequestError, "larger than 10485760 bytes"),
        ("/table.txt", InvalidRequestError, "the table format cannot be read back"),
    ],
)
def test_url_errors(
    web: tuple[str, object], path: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        read_document(web[0] + path)


def test_url_timeout(web: tuple[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cns_io, "URL_SOCKET_TIMEOUT", 0.3)
    with pytest.raises(TimeoutExceededError, match=r"no answer within 0.3s"):
        read_document(web[0] + "/slow.yaml")


def test_url_connection_refused() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()
    with pytest.raises(UnavailableError, match=rf"127.0.0.1:{port}/s.yaml: cannot fetch"):
        read_document(f"http://127.0.0.1:{port}/s.yaml")


def test_tls_is_verified(tls_web: tuple[str, object]) -> None:
    with pytest.raises(UnavailableError, match="TLS certificate verification failed"):
        read_document(tls_web[0] + "/snap.yaml")


def test_tls_with_a_trusted_private_ca(
    tls_web: tuple[str, object], tls_cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert[0]))
    assert read_document(tls_web[0] + "/snap.json")["kind"] == "Snapshot"


def test_urls_leave_no_temporary_files(
    web: tuple[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temp dir of its own: other processes on the machine write to the shared one."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    read_document(web[0] + "/snap.yaml")
    with pytest.raises(NotFoundError):
        read_document(web[0] + "/missing.yaml")
    assert os.listdir(private) == []


@pytest.mark.parametrize(
    "location", ["ftp://host/snap.yaml", "s3://bucket/snap.yaml", "file:///x.yaml"]
)
def test_unsupported_schemes(location: str) -> None:
    with pytest.raises(
        InvalidRequestError,
        match=r"unsupported scheme .*: use a file path, '-', an http\(s\):// URL or cm://namespace/name",
    ):
        read_document(location)
    with pytest.raises(InvalidRequestError, match="unsupported scheme"):
        write_document({}, location, Format.JSON)


def test_urls_are_read_only() -> None:
    with pytest.raises(InvalidRequestError, match="URLs are read-only"):
        write_document({}, "https://example.com/x.yaml", Format.YAML)


def test_files_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "snap.yml"
    path.write_text(SNAPSHOT_YAML)
    assert read_document(str(path))["kind"] == "Snapshot"
    monkeypatch.setattr(sys, "stdin", io.StringIO(SNAPSHOT_JSON))
    assert read_document("-")["kind"] == "Snapshot"
    with pytest.raises(NotFoundError, match="no such file"):
        read_document(str(tmp_path / "nope.yaml"))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("snap.conf", SNAPSHOT_YAML),
        ("snap.json", SNAPSHOT_YAML),  # YAML under a .json name (cns recipe -o r.json, once)
        ("snap.yaml", SNAPSHOT_JSON),
        ("snap", SNAPSHOT_JSON),
        ("snap.json", "{kind: Snapshot, measurements: []}"),  # a YAML flow mapping
    ],
)
def test_files_are_read_by_content_whatever_their_name(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert read_document(str(path)) == {"kind": "Snapshot", "measurements": []}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"kind": "Snapshot",', "invalid JSON in"),  # neither JSON nor YAML: the JSON error
        ("kind: [Snapshot", "invalid YAML in"),
        ("FIELD  VALUE\n-----  -----\n", "the table format cannot be read back"),
        (" \n", "the document is empty"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    with pytest.raises(InvalidRequestError, match=message):
        read_document(str(path))


def test_table_renderer_is_used_for_table_output(tmp_path: Path) -> None:
    out = tmp_path / "t.txt"
    write_document({"a": 1}, str(out), Format.TABLE, table=lambda doc: f"custom {doc['a']}\n")
    assert out.read_text() == "custom 1\n"
    write_document({"a": 1}, str(out), Format.TABLE)
    assert out.read_text().startswith("FIELD")


# --- GitHub issue 11, item 12: one time limit for a URL, redirects that stay safe -------

#: What a dripping server sends a byte of every DRIP seconds (within any socket timeout).
DRIP = 0.05


@contextlib.contextmanager
def dripping_server(*, headers_too: bool) -> Iterator[str]:
    """A loopback server that sends its answer (``headers_too``: from the status line on)
    one byte every DRIP seconds, until the client goes or the test ends."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/yaml\r\n\r\n"
    body = b"kind: Snapshot\nmeasurements: []\n" + b"#" * 100_000

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            if not headers_too:
                conn.sendall(head)
            for byte in (head if headers_too else b"") + body:
                if stop.wait(DRIP):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/snap.yaml"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _read_in_thread(source: str, within: float = 15.0) -> BaseException | object:
    """read_document(source) in a thread: what it returned or raised, which must be within
    ``within`` seconds (a generous bound; the limit under test is much shorter)."""
    return outcome_within(
        lambda: read_document(source), within, f"still reading {source} after {within}s"
    )


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_dripping_server_cannot_hold_a_download_past_the_limit(
    monkeypatch: pytest.MonkeyPatch, headers_too: bool
) -> None:
    monkeypatch.setattr(cns_io, "URL_TOTAL_TIMEOUT", 1.0)
    monkeypatch.setattr(cns_io, "URL_SOCKET_TIMEOUT", 5.0)  # each byte comes well within it
    with dripping_server(headers_too=headers_too) as url:
        outcome = _read_in_thread(url)
    assert isinstance(outcome, TimeoutExceededError), outcome
    assert str(outcome) == f"{url}: download took longer than 1s"


@pytest.mark.timeout(30)  # bounded even where the limit does not hold
def test_cli_input_from_a_dripping_server_exits_4_with_one_line(
    runner: CnsRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:

    monkeypatch.setattr(cns_io, "URL_TOTAL_TIMEOUT", 1.0)
    with dripping_server(headers_too=False) as url:
        result = runner.invoke(["bundle", "-r", url, "-o", str(tmp_path / "b")])
    assert result.exit_code == 4, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"{url}: download took longer than 1s" in lines[0], lines


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """``/to?<url>`` answers 302 to ``<url>``."""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.path.partition("?")[2])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def redirector(context: ssl.SSLContext | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"{'https' if context else 'http'}://127.0.0.1:{server.server_address[1]}/to?"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tls_redirector(tls_cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert[0]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_cert)
    with redirector(context) as url:
        yield url


def test_https_redirecting_to_plain_http_is_refused(
    tls_redirector: str, tls_web: tuple[str, object], web: tuple[str, http.server.HTTPServer]
) -> None:
    assert read_document(tls_redirector + tls_web[0] + "/snap.json")["kind"] == "Snapshot"
    asked = len(web[1].seen_agents)  # type: ignore[attr-defined]
    with pytest.raises(UnavailableError, match="leaving https for plain http: refused"):
        read_document(tls_redirector + web[0] + "/snap.json")
    assert len(web[1].seen_agents) == asked  # type: ignore[attr-defined]  # never asked


@pytest.mark.parametrize("scheme", ["ftp", "file", "gopher"])
def test_redirects_to_anything_but_http_are_refused_without_a_connection(scheme: str) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    target = f"{scheme}://127.0.0.1:{port}/snap.yaml" if scheme != "file" else "file:///etc/passwd"
    try:
        with redirector() as url, pytest.raises(UnavailableError, match="not an http\\(s\\) URL"):
            read_document(url + target)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing tried to connect
    finally:
        listener.close()
