"""A real OCI registry (CNCF Distribution, Debian ``docker-registry``) on loopback.

Each registry is started on a free 127.0.0.1 port from a generated config (storage in a
temp dir), optionally with htpasswd basic auth (bcrypt, ``htpasswd -B``), TLS (a CA and
a server certificate made with openssl) or bearer tokens from a token server in a
thread, and stopped in ``finally``.
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .server import free_port

USER, PASSWORD = "alice", "s3cret-pw"
START_TIMEOUT = 10.0


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/bin") / name, Path("/usr/sbin") / name) if p.is_file()), None
    )


DOCKER_REGISTRY = _tool("docker-registry")
HTPASSWD = _tool("htpasswd")
OPENSSL = _tool("openssl")


@dataclass(frozen=True)
class Registry:
    """A running registry: ``host`` (127.0.0.1:PORT), its storage, CA and credentials."""

    host: str
    storage: Path
    ca_file: Path | None = None
    auth: bool = False

    def blob_file(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        algo, hexa = digest.split(":")
        return self.storage / "docker/registry/v2/blobs" / algo / hexa[:2] / hexa / "data"

    def ref(self, repo: str, tag: str | None = "1.0.0") -> str:
        return f"oci://{self.host}/{repo}" + (f":{tag}" if tag else "")


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for 127.0.0.1/localhost signed by it: (ca, cert, key)."""
    if OPENSSL is None:
        pytest.skip("openssl not found (Debian package openssl)")
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key = directory / "server.pem", directory / "server.key"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    commands = [
        [OPENSSL, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-subj", "/CN=cns test CA"],
        [
            OPENSSL, "req", "-x509", *ec, "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
            "-CA", ca, "-CAkey", ca_key,
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "basicConstraints=critical,CA:FALSE",
        ],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(list(map(str, command)), check=True, capture_output=True, timeout=30)
    return ca, cert, key


@contextmanager
def run_registry(
    directory: Path, *, auth: bool = False, tls: bool = False, token: TokenServer | None = None
) -> Iterator[Registry]:
    """Start docker-registry in ``directory``; yield it once it answers /v2/; stop it after.

    ``auth``: htpasswd basic auth; ``token``: bearer tokens from that token server.
    """
    if DOCKER_REGISTRY is None:
        pytest.skip("docker-registry not found (Debian package docker-registry)")
    port = free_port()
    storage = directory / "storage"
    storage.mkdir(parents=True)
    http_config: dict[str, object] = {"addr": f"127.0.0.1:{port}"}
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": http_config,
    }
    ca = None
    if tls:
        ca, cert, key = make_certificates(directory)
        http_config["tls"] = {"certificate": str(cert), "key": str(key)}
    if auth:
        if HTPASSWD is None:
            pytest.skip("htpasswd not found (Debian package apache2-utils)")
        run = subprocess.run(
            [HTPASSWD, "-Bbn", USER, PASSWORD], check=True, capture_output=True, timeout=30
        )
        (directory / "htpasswd").write_bytes(run.stdout)
        config["auth"] = {"htpasswd": {"realm": "cns-test", "path": str(directory / "htpasswd")}}
    if token is not None:
        config["auth"] = {
            "token": {
                "realm": token.realm,
                "service": TOKEN_SERVICE,
                "issuer": TOKEN_ISSUER,
                "rootcertbundle": str(token.certificate),
            }
        }
    config_file = directory / "config.yml"
    config_file.write_text(json.dumps(config))  # JSON is YAML
    log = directory / "registry.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [DOCKER_REGISTRY, "serve", str(config_file)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(proc, port, tls, log)
        yield Registry(f"127.0.0.1:{port}", storage, ca, auth or token is not None)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, tls: bool, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if tls:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    "127.0.0.1", port, timeout=1, context=context
                )
            else:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v2/")
            status = conn.getresponse().status
            conn.close()
            if status in (200, 401):
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"docker-registry did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)


TOKEN_SERVICE, TOKEN_ISSUER = "cns-test-registry", "cns-test-issuer"


@dataclass
class TokenServer:
    """A Docker token server (the distribution token auth spec): Basic in, RS256 JWT out.

    It grants what the scope asks for to alice with the right password, nothing to an
    anonymous caller, and answers 401 to a wrong password. ``requests`` counts the calls.
    """

    realm: str
    certificate: Path
    requests: list[str]


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@contextmanager
def run_token_server(directory: Path) -> Iterator[TokenServer]:
    """Serve /token on a free port in a thread; the signing certificate for the registry."""
    import base64
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if OPENSSL is None:
        pytest.skip("openssl not found (Debian package openssl)")
    key, cert = directory / "token.key", directory / "token.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=cns token signer"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    der = subprocess.run(
        [OPENSSL, "x509", "-in", str(cert), "-outform", "DER"],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    calls: list[str] = []
    good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def sign(access: list[dict[str, object]]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {
            "iss": TOKEN_ISSUER, "sub": USER, "aud": TOKEN_SERVICE, "iat": now,
            "nbf": now - 10, "exp": now + 300, "jti": f"cns-{now}-{len(calls)}",
            "access": access,
        }  # fmt: skip
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = subprocess.run(
            [OPENSSL, "dgst", "-sha256", "-sign", str(key)],
            input=signing_input.encode(), check=True, capture_output=True, timeout=30,
        ).stdout  # fmt: skip
        return f"{signing_input}.{_b64url(signature)}"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            given = self.headers.get("Authorization")
            calls.append(
                f"{'anonymous' if given is None else 'basic'} {query.get('scope', [''])[0]}"
            )
            if given is not None and given != good:
                self.send_response(401)
                self.end_headers()
                return
            access = []
            if given is not None:
                for scope in query.get("scope", []):
                    kind, name, actions = scope.split(":")
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
            body = json.dumps({"token": sign(access), "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TokenServer(f"http://127.0.0.1:{server.server_address[1]}/token", cert, calls)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
