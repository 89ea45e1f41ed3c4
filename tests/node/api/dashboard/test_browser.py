"""The dashboard in a real headless browser (Debian's Chromium driven by Playwright) against a
live learning node on a real port: no console errors, the height moves on its own, a new model
version appears without a reload, the accuracy chart has a point per version, search finds a
transaction, the audit shows every check verified, a hostile moniker stays text.

Screenshots of each page go to ``<pytest's base temp>/dashboard-screenshots/``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, sync_playwright

from tests.node.api.cluster import ServedNode
from tests.node.api.dashboard.live import HOSTILE_MONIKER, KEY, Feeder, make_live_node

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FIRST_VERSIONS = 3
LIVE_WAIT_MS = 2_500
"""New blocks and versions must show within 2 s; the page polls every second."""


class Browser:
    """One page in a fresh profile, with what the browser complained about."""

    def __init__(self, context: BrowserContext, shots: Path) -> None:
        self.context, self.shots = context, shots
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _on_dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog opened: {dialog.message}")
        dialog.dismiss()

    def open(self, url: str) -> Page:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_selector(".live-dot.on", timeout=5_000)
        return self.page

    def shoot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedNode, Feeder]]:
    feeder = Feeder(FIRST_VERSIONS)
    with ServedNode(tmp_path_factory.mktemp("node"), make=make_live_node, extra=feeder.run) as n:
        deadline = time.monotonic() + 60
        while not feeder.done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feeder.done, "the live node made no model versions"
        yield n, feeder


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")
    shots = tmp_path_factory.getbasetemp() / "dashboard-screenshots"
    shots.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1280, "height": 900}, offline=False,
        )  # fmt: skip
        try:
            yield Browser(context, shots)
        finally:
            context.close()


def test_browser_network_page_is_live_without_errors(
    live: tuple[ServedNode, Feeder], browser: Browser
) -> None:
    node, _ = live
    page = browser.open(node.url + "/")
    shown = page.locator(".statusbar [data-status=height]").inner_text()
    newest = page.locator("table.blocks tbody tr").first.locator("td").first.inner_text()
    page.wait_for_function(
        "([a, b]) => document.querySelector('.statusbar [data-status=height]').textContent !== a"
        " && document.querySelector('table.blocks tbody td').textContent !== b",
        arg=[shown, newest], timeout=LIVE_WAIT_MS,
    )  # fmt: skip
    assert "ago" in page.locator("table.blocks time").first.inner_text()
    assert page.get_by_text(HOSTILE_MONIKER).count() >= 1  # shown as text, not run
    browser.shoot("network")
    assert browser.problems == []


def test_browser_task_page_charts_a_point_per_version_and_shows_new_ones(
    live: tuple[ServedNode, Feeder], browser: Browser
) -> None:
    node, feeder = live
    page = browser.open(node.url + "/ui/tasks/1")
    points = page.locator("svg.chart circle.point")
    assert points.count() == FIRST_VERSIONS == page.locator("table.versions tbody tr").count()
    feeder.versions = FIRST_VERSIONS + 1  # the node makes one more version now
    page.wait_for_function(  # a function, not a string: the page's CSP forbids eval
        "(n) => document.querySelectorAll('svg.chart circle.point').length === n",
        arg=FIRST_VERSIONS + 1,
        timeout=LIVE_WAIT_MS + 2_000,  # the block that aggregates it comes first
    )
    assert page.locator("table.versions tbody tr").count() == FIRST_VERSIONS + 1
    assert page.locator("svg.chart").get_attribute("data-points") == str(FIRST_VERSIONS + 1)
    browser.shoot("task")
    assert browser.problems == []


def test_browser_search_finds_a_transaction_by_its_hash(
    live: tuple[ServedNode, Feeder], browser: Browser
) -> None:
    node, feeder = live
    page = browser.open(node.url + "/")
    page.fill("header input[name=q]", feeder.transfer_hash.hex())
    page.press("header input[name=q]", "Enter")
    page.wait_for_url(f"**/ui/txs/{feeder.transfer_hash.hex()}")
    assert page.locator("h1").inner_text() == "Transaction"
    assert page.get_by_text("Transfer", exact=True).count() == 1
    assert page.locator(".ok").first.inner_text() == "✓ verified"
    browser.shoot("transaction")
    assert browser.problems == []


def test_browser_audit_page_shows_every_check_verified(
    live: tuple[ServedNode, Feeder], browser: Browser
) -> None:
    node, _ = live
    page = browser.open(node.url + "/ui/tasks/1/models/2/audit")
    assert page.locator("[data-verified]").get_attribute("data-verified") == "true"
    assert page.locator(".bad").count() == 0
    marks = page.locator(".ok").all_inner_texts()
    assert len(marks) >= 10 and all(m.startswith("✓") for m in marks)
    browser.shoot("audit")
    for name, path in (("block", "/ui/blocks/3"), ("account", f"/ui/accounts/{KEY.address.hex()}")):
        browser.open(node.url + path)
        browser.shoot(name)
    assert browser.problems == []
