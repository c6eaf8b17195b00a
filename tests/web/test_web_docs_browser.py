"""``/docs`` in a real headless Chromium against real gunicorn: Swagger UI renders the API's
operations from assets this service serves, requests no other host, and breaks no rule of
the page's Content-Security-Policy."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.server import Server

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,2000",
)
#: Operations the page must show, as Swagger UI renders them (method, path).
OPERATIONS = [("get", "/v1/recipe"), ("post", "/v1/recipe"), ("post", "/v1/bundle")]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server("wsgi:app", workers=1, env={"CNS_LOG_LEVEL": "warning"}) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium through the system chromedriver, with a fresh profile and network logging."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} not found (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for (Chrome's DevTools network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _wait_for(driver: Any, css: str, timeout: float = 20.0) -> list[Any]:
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing matched {css!r} within {timeout}s:\n{driver.page_source[:2000]}")


def test_swagger_ui_renders_the_operations_offline(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.url("/docs"))
    _wait_for(browser, ".opblock-summary-path")
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.lower(),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    browser.save_screenshot(str(tmp_path / "docs.png"))
    for operation in OPERATIONS:
        assert operation in shown, (operation, sorted(shown))
    assert (
        "cns: Cloud Native Stack recipe API" in browser.find_element(By.CSS_SELECTOR, ".title").text
    )

    # chrome:// entries are the browser's own start page, loaded before the navigation
    urls = [url for url in _requested_urls(browser) if not url.startswith(("chrome:", "data:"))]
    origins = {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in urls}
    assert origins == {f"http://127.0.0.1:{server.port}"}, urls
    paths = {urlsplit(url).path for url in urls}
    assert {"/docs", "/docs/init.js", "/docs/swagger-ui/swagger-ui-bundle.js", "/openapi.json"} <= (
        paths
    )

    # "Try it out" on GET /v1/recipe: the page may call the API it documents (connect-src)
    _wait_for(browser, ".opblock-get .opblock-summary")[0].click()
    _wait_for(browser, ".opblock-get .try-out__btn")[0].click()
    _wait_for(browser, ".opblock-get .execute")[0].click()
    status = _wait_for(browser, ".opblock-get .live-responses-table tbody .response-col_status")[0]
    assert status.text.strip() == "200"

    problems = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]
    ]
    assert problems == []


def test_the_page_allows_no_inline_script_and_no_other_origin(server: Server) -> None:
    """The policy the browser test ran under, read from a real response."""
    import urllib.request

    with urllib.request.urlopen(server.url("/docs"), timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "http" not in policy
    assert "<script>" not in page and "https://" not in page
