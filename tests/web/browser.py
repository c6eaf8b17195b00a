"""Helpers of the browser tests: a headless Chromium (Playwright driving the system browser)
that may reach loopback addresses only, and the H100 snapshot the tests upload."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.paths import EXAMPLES, REPO

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
AXE = REPO / ".tools" / "axe" / "axe.min.js"
GET_AXE = REPO / "tools" / "get-axe.sh"
#: Where `make screenshots` wants the README's images (unset: only the test's temporary dir).
SCREENSHOTS_ENV = "CNS_SCREENSHOTS_DIR"
H100_EXAMPLE = EXAMPLES / "snapshots" / "h100-eks-ubuntu.yaml"


def chromium_path() -> str:
    """The system Chromium, or skip with the reason."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium chromium-driver)")
    return found


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOOPBACK_HOSTS or (parts.hostname or "").startswith("127.")


@dataclass
class Guard:
    """What the pages asked for that the test forbids: non-loopback requests, CSP violations."""

    blocked: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def page_error(self, error: Any) -> None:
        self.page_errors.append(str(error))

    def attach(self, context: Any) -> None:
        context.route("**/*", self.route)
        context.on("page", lambda page: self.watch(page))

    def watch(self, page: Any) -> None:
        page.on("console", self.console)
        page.on("pageerror", self.page_error)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"non-loopback requests were attempted: {self.blocked}"
        assert self.csp_violations == [], (
            f"Content-Security-Policy violations: {self.csp_violations}"
        )
        assert self.page_errors == [], f"JavaScript errors: {self.page_errors}"


class Screens:
    """Screenshots: a full page in the test's temporary directory (always), and the
    viewport into ``$CNS_SCREENSHOTS_DIR`` when set (``make screenshots``, the README's)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        published = os.environ.get(SCREENSHOTS_ENV)
        self.published = Path(published) if published else None
        self.taken: list[Path] = []

    def take(self, page: Any, name: str, focus: str = "") -> Path:
        """Screenshot ``page``; the published one shows the viewport from ``focus`` (a selector)."""
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        if self.published is not None:
            self.published.mkdir(parents=True, exist_ok=True)
            if focus:
                page.locator(focus).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            else:
                page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(self.published / f"{name}.png"), full_page=False)
        return path


def axe_source() -> str:
    """axe-core's script (fetched from npm by tools/get-axe.sh), or skip with the reason."""
    if not AXE.is_file():
        import subprocess

        if shutil.which("npm") is None:
            pytest.skip("axe-core is not fetched and npm is missing (tools/get-axe.sh)")
        run = subprocess.run(["sh", str(GET_AXE)], capture_output=True, text=True, timeout=120)
        if run.returncode != 0 or not AXE.is_file():
            pytest.skip(f"tools/get-axe.sh could not fetch axe-core: {run.stderr.strip()[-300:]}")
    return AXE.read_text(encoding="utf-8")


def h100_snapshot_text() -> str:
    """The EKS H100 node snapshot of examples/ (the format ``cns snapshot`` writes)."""
    return H100_EXAMPLE.read_text(encoding="utf-8")
