"""The recipe explorer in a real headless Chromium against the app under real gunicorn.

Every flow of the UI: pick criteria, read the table and graph, expand values, compare,
download a bundle (its bytes equal the API's), upload an H100 snapshot (file picker and
drag and drop) and read the report; the same without JavaScript; axe-core finds no
accessibility violation; a phone-width page does not scroll sideways. The browser may
reach loopback addresses only: every other request is blocked and the test fails if
one was attempted. A screenshot of each page lands in the test's temporary directory
(and in docs/images with ``make screenshots``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.server import Server

from .browser import CHROMIUM_ARGS, Guard, Screens, axe_source, chromium_path, h100_snapshot_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
H100 = {"service": "eks", "accelerator": "h100", "intent": "inference", "os": "ubuntu"}
GB200 = {"service": "eks", "accelerator": "gb200", "intent": "training", "os": "ubuntu"}


def http(url: str, body: bytes | None = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server("wsgi:app", env={"CNS_LOG_LEVEL": "warning"}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Screens:
    return Screens(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def guard() -> Guard:
    return Guard()


def new_page(browser: Any, guard: Guard, *, width: int = 1280, javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 1000},
        accept_downloads=True,
        java_script_enabled=javascript,
    )
    guard.attach(context)
    page = context.new_page()
    guard.watch(page)
    page.set_default_timeout(10_000)
    return page


def pick_criteria(page: Any, criteria: dict[str, str], prefix: str = "") -> None:
    for name, value in criteria.items():
        page.select_option(f"#{prefix}{name}", value)


def api_recipe(server: Server, criteria: dict[str, str]) -> bytes:
    status, _, body = http(server.url(f"/v1/recipe?{urlencode(criteria)}"))
    assert status == 200
    return body


def test_explore_table_graph_values_and_json(server, browser, guard, screens):
    page = new_page(browser, guard)
    page.set_extra_http_headers({"Accept": BROWSER_ACCEPT})
    page.goto(server.url("/"))
    assert page.locator("h1").inner_text() == "Explore a recipe"
    page.set_extra_http_headers({})
    pick_criteria(page, H100)
    page.get_by_role("button", name="Show recipe").click()
    page.wait_for_selector("table.components")
    assert "service=eks" in page.url and "accelerator=h100" in page.url  # bookmarkable
    recipe = json.loads(api_recipe(server, H100))
    order = recipe["deploymentOrder"]
    names = page.locator("table.components tbody th").all_inner_texts()
    assert names == order
    versions = page.locator("table.components tbody td[data-label=Version]").all_inner_texts()
    # a component of recipe manifests only (skyhook-customizations) has no version: '—'
    by_name = {ref["name"]: ref.get("version", "—") for ref in recipe["componentRefs"]}
    assert versions == [by_name[name] for name in order]
    graph = page.locator("#graph svg")
    assert graph.locator("g.g-node").count() == len(order)
    edges = sum(len(ref.get("dependencyRefs", [])) for ref in recipe["componentRefs"])
    assert graph.locator("path.g-edge").count() == edges
    values = page.locator("#component-gpu-operator")
    assert not values.locator("pre").is_visible()
    values.locator("summary").click()
    assert values.locator("pre").is_visible()
    assert values.locator(".y-key", has_text="driver").count() >= 1
    page.locator("details.raw summary").click()
    assert page.locator("#recipe-json").text_content() == api_recipe(server, H100).decode()
    screens.take(page, "explore")
    page.context.close()
    guard.assert_clean()


def test_keyboard_reaches_the_form_and_skip_link(server, browser, guard):
    page = new_page(browser, guard)
    page.goto(server.url("/ui"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "service"
    page.keyboard.press("ArrowDown")  # a focused select changes with the keyboard
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "accelerator"
    page.context.close()
    guard.assert_clean()


def test_compare_two_recipes(server, browser, guard, screens):
    page = new_page(browser, guard)
    page.goto(server.url(f"/ui/compare?{urlencode(H100)}"))
    pick_criteria(page, GB200, prefix="b-")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("table.diff")
    row = page.locator("#diff-nvidia-dra-driver-gpu")
    assert row.locator(".badge").inner_text() == "added"
    assert page.locator("#diff-network-operator .badge").inner_text() == "removed"
    assert page.locator("#diff-gpu-operator .badge").inner_text() == "changed"
    gpu = page.locator("#changes-gpu-operator")
    assert "driver.version" in gpu.inner_text()
    assert page.locator("svg.dep-graph").count() == 2
    screens.take(page, "compare")
    page.context.close()
    guard.assert_clean()


def test_bundle_validation_as_you_type_and_download(server, browser, guard, screens, tmp_path):
    criteria = {"service": "eks", "accelerator": "h100", "intent": "training"}
    page = new_page(browser, guard)
    page.goto(server.url(f"/ui/bundle?{urlencode(criteria)}"))
    assert page.locator("#bundle-submit").inner_text() == "Download bundles.zip"
    assert not page.locator("#repo-field").is_visible()  # helm needs no repository
    page.fill("#set", "nope")
    recipe = api_recipe(server, criteria)
    _, _, error = http(
        server.url("/v1/bundle?set=nope"), recipe, **{"Content-Type": "application/json"}
    )
    message = json.loads(error)["message"]
    sync_api.expect(page.locator("#set-error")).to_have_text(message)
    assert page.get_attribute("#set", "aria-invalid") == "true"
    page.fill("#set", "gpu-operator:driver.version=580.105.08")
    page.fill("#accelerated-node-selector", "nodeGroup=gpu")
    page.check("#deployer-argocd")
    assert page.locator("#repo-field").is_visible()
    page.fill("#repo", "https://github.com/acme/gitops.git")
    sync_api.expect(page.locator("#set-error")).to_have_text("")
    with page.expect_download() as download_info:
        page.locator("#bundle-submit").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename == "bundles.zip"
    query = urlencode(
        [
            ("deployer", "argocd"),
            ("repo", "https://github.com/acme/gitops.git"),
            ("set", "gpu-operator:driver.version=580.105.08"),
            ("accelerated-node-selector", "nodeGroup=gpu"),
        ]
    )
    status, headers, expected = http(
        server.url(f"/v1/bundle?{query}"), recipe, **{"Content-Type": "application/json"}
    )
    assert status == 200
    assert saved.read_bytes() == expected
    warnings = headers["X-Bundle-Warnings"].split(" | ")
    sync_api.expect(page.locator("#download-status")).to_contain_text("Downloaded bundles.zip")
    assert page.locator("#bundle-warnings li").all_inner_texts() == warnings
    assert f"/v1/bundle?{query}" in page.locator("#curl-bundle-url").inner_text()
    screens.take(page, "bundle", focus="#set")
    page.context.close()
    guard.assert_clean()


def _report_via_api(server: Server, snapshot_text: str, intent: str) -> dict[str, Any]:
    from cns_core.serialize import load_yaml

    body = json.dumps({"snapshot": load_yaml(snapshot_text), "criteria": {"intent": intent}})
    status, _, data = http(
        server.url("/v1/validate"), body.encode(), **{"Content-Type": "application/json"}
    )
    assert status == 200, data
    return json.loads(data)


def test_check_a_node_by_file_picker(server, browser, guard, screens, tmp_path):
    snapshot = tmp_path / "h100-eks-ubuntu.yaml"
    snapshot.write_text(h100_snapshot_text())
    page = new_page(browser, guard)
    page.goto(server.url("/ui/check"))
    page.set_input_files("#snapshot", str(snapshot))
    sync_api.expect(page.locator("#snapshot-name")).to_have_text("Selected: h100-eks-ubuntu.yaml")
    page.select_option("#intent", "inference")
    page.get_by_role("button", name="Check the node").click()
    page.wait_for_selector("table.report")
    detected = page.locator("section:has(#detected-h) dd").all_inner_texts()
    assert detected[:3] == ["eks", "h100", "any"]  # service, accelerator, intent (not measured)
    assert "ubuntu" in detected
    report = _report_via_api(server, snapshot.read_text(), "inference")
    rows = page.locator("table.report tbody tr")
    assert rows.count() == len(report["results"])
    for i, result in enumerate(report["results"]):
        cells = rows.nth(i).locator("td, th").all_inner_texts()
        assert cells[0] == result["status"]
        assert cells[1:3] == [result["name"], result["expected"]]
        assert cells[3] == (result["actual"] or "—")
    status = report["summary"]["status"].upper()
    assert page.locator("#result-h .status-word").inner_text() == status
    screens.take(page, "check", focus="#result-h")
    page.context.close()
    guard.assert_clean()


def test_check_a_node_by_drag_and_drop(server, browser, guard):
    page = new_page(browser, guard)
    page.goto(server.url("/ui/check"))
    transfer = page.evaluate_handle(
        """(text) => {
            const data = new DataTransfer();
            data.items.add(new File([text], "dropped.yaml", {type: "application/yaml"}));
            return data;
        }""",
        h100_snapshot_text(),
    )
    page.dispatch_event("#dropzone", "dragover", {"dataTransfer": transfer})
    assert "dragover" in page.get_attribute("#dropzone", "class")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    sync_api.expect(page.locator("#snapshot-name")).to_have_text("Selected: dropped.yaml")
    page.get_by_role("button", name="Check the node").click()
    page.wait_for_selector("table.report")
    assert "dropped.yaml" in page.locator("section:has(#result-h)").inner_text()
    page.context.close()
    guard.assert_clean()


def test_everything_but_the_download_works_without_javascript(server, browser, guard, tmp_path):
    page = new_page(browser, guard, javascript=False)
    page.goto(server.url("/ui"))
    pick_criteria(page, H100)
    page.get_by_role("button", name="Show recipe").click()
    assert page.locator("table.components tbody tr").count() >= 5
    page.locator("#component-prometheus summary").click()
    assert page.locator("#component-prometheus pre").is_visible()
    page.goto(server.url("/ui?service=windows"))
    assert "invalid service 'windows'" in page.locator(".alert").inner_text()
    page.goto(server.url(f"/ui/bundle?{urlencode(H100)}"))
    assert page.locator("#bundle-submit").inner_text() == "Check options"
    page.fill("#set", "nope")
    page.locator("#bundle-submit").click()
    assert "invalid set override 'nope'" in page.locator("#set-error").inner_text()
    page.fill("#set", "")
    page.locator("#bundle-submit").click()
    assert "These options are valid" in page.locator("#check-ok").inner_text()
    snapshot = tmp_path / "node.yaml"
    snapshot.write_text(h100_snapshot_text())
    page.goto(server.url("/ui/check"))
    page.set_input_files("#snapshot", str(snapshot))
    page.get_by_role("button", name="Check the node").click()
    page.wait_for_selector("table.report tbody tr")  # the form posts and the page reloads
    assert page.locator("table.report tbody tr").count() >= 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Snapshot\nmeasurements: 3\n")
    page.goto(server.url("/ui/check"))
    page.set_input_files("#snapshot", str(bad))
    page.get_by_role("button", name="Check the node").click()
    assert "measurements must be a list" in page.locator(".alert").inner_text()
    page.context.close()
    guard.assert_clean()


def _axe_violations(page: Any, source: str) -> list[str]:
    page.evaluate(source)  # evaluated by the driver, not a page script: the CSP is not loosened
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa', 'best-practice']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [1280, 390], ids=["laptop", "phone"])
def test_pages_are_accessible_and_fit_the_screen(server, browser, guard, screens, width, tmp_path):
    """axe-core (WCAG 2.1 A/AA and best practices) on every page and state; no sideways scroll."""
    source = axe_source()
    page = new_page(browser, guard, width=width)
    urls = {
        "explore": f"/ui?{urlencode(H100)}",
        "compare": f"/ui/compare?{urlencode(H100)}&{urlencode({'b-' + k: v for k, v in GB200.items()})}",
        "bundle": f"/ui/bundle?{urlencode(H100)}",
        "error": "/ui?service=windows",
        "check": "/ui/check",
    }
    found = {}
    for name, url in urls.items():
        page.goto(server.url(url))
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        if width != 390:  # the rules do not depend on the width; the layout check below does
            found[name] = _axe_violations(page, source)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if width == 390:
            screens.take(page, f"{name}-phone")
    snapshot = tmp_path / "node.yaml"
    snapshot.write_text(h100_snapshot_text())
    page.set_input_files("#snapshot", str(snapshot))
    page.get_by_role("button", name="Check the node").click()
    page.wait_for_selector("table.report")
    found["check result"] = _axe_violations(page, source)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the check result scrolls sideways by {overflow}px at {width}px"
    assert {name: v for name, v in found.items() if v} == {}
    page.context.close()
    guard.assert_clean()
