"""Data Docs in a real headless Chromium, offline: styled, icons drawn, scripts working, nothing fetched remotely."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.quality.test_offline_docs import build_site

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
BOOTSTRAP_PRIMARY = "rgb(0, 123, 255)"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("docs-browser"))


def validation_page(site: Path) -> Path:
    return next(site.glob("validations/**/*.html"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_chromium_screenshots_a_validation_page(site: Path, tmp_path: Path) -> None:
    """The screenshot a person looks at (kept in the test's tmp folder as validation.png)."""
    shot = tmp_path / "validation.png"
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
         "--hide-scrollbars", f"--screenshot={shot}", validation_page(site).as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert png_size(shot) == (1400, 1000)
    assert shot.stat().st_size > 30_000  # a blank or unstyled page compresses to far less


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the DOM checks need the playwright package")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN",
        )
        context.set_default_timeout(10_000)
        yield context
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    tab = browser.new_page()
    tab.requests, tab.errors = [], []
    tab.on("request", lambda request: tab.requests.append(request.url))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    yield tab
    tab.close()


def open_offline(page: Any, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    remote = [url for url in page.requests if not url.startswith(("file://", "data:"))]
    assert remote == [], f"the page asked for {remote}"
    assert page.errors == []


def test_a_validation_page_is_styled_and_its_filter_works(site: Path, page: Any) -> None:
    open_offline(page, validation_page(site))
    style = page.evaluate("""() => {
        const button = getComputedStyle(document.querySelector('.btn-primary:not(.active)'));
        const footer = getComputedStyle(document.querySelector('footer'));
        return {button: button.backgroundColor, font: getComputedStyle(document.body).fontFamily,
                footer: footer.position, jquery: jQuery.fn.jquery, tooltip: typeof jQuery.fn.tooltip,
                icons: [...document.fonts].some(f => f.family.includes('Font Awesome') && f.status === 'loaded'),
                iconWidth: document.querySelector('i.fas').getBoundingClientRect().width};
    }""")
    assert style["button"] == BOOTSTRAP_PRIMARY  # Bootstrap's CSS is applied
    assert style["font"].startswith("-apple-system")  # Bootstrap's font stack, not the browser's serif
    assert style["footer"] == "fixed"
    assert style["jquery"].startswith("3.") and style["tooltip"] == "function"  # Bootstrap's plugins (Popper)
    assert style["icons"] and style["iconWidth"] > 5  # Font Awesome's solid font is loaded and drawn

    def visible(selector: str) -> int:
        return page.locator(selector).evaluate_all("els => els.filter(e => e.offsetParent !== null).length")

    assert visible("td i.fa-check-circle") > 0 and visible("td i.fa-times") == 1
    page.get_by_text("Failed Only").click()
    page.wait_for_function("() => !jQuery(':animated').length")
    assert visible("td i.fa-check-circle") == 0 and visible("td i.fa-times") == 1
    page.get_by_text("Show All").click()
    page.wait_for_function("() => !jQuery(':animated').length")
    assert visible("td i.fa-check-circle") > 0


def test_the_index_lists_the_run_and_its_tabs_switch(site: Path, page: Any) -> None:
    open_offline(page, site / "index.html")
    runs = page.locator("#Validation-Results tbody tr")
    assert runs.count() == 1
    assert page.locator("#Expectation-Suites").is_hidden()
    page.get_by_role("tab", name="Expectation Suites").click()
    page.wait_for_function("() => document.querySelector('#Expectation-Suites').offsetParent !== null")
    assert page.locator("#Expectation-Suites tbody tr").inner_text().strip() == "offline-demo"
    page.get_by_role("tab", name="Validation Results").click()
    page.wait_for_function("() => document.querySelector('#Validation-Results').offsetParent !== null")
    runs.first.locator("td").nth(2).click()  # anywhere on the row, as with bootstrap-table
    page.wait_for_url("**/validations/**")
    assert page.locator(".ge-breadcrumbs").inner_text().startswith("Home")
