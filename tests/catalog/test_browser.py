"""The portal in a real headless Chromium: what a citizen, a researcher and a steward do with it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog import access
from catalog.store import CatalogStore
from tests.catalog.helpers import XSS_TITLE, build_catalog, free_port, serving

CHROMIUM = Path("/usr/bin/chromium")
STEWARD = "browser-steward-token"
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CatalogStore]]:
    """The real HTTP server (uvicorn) on a free port, in a thread, over a small catalog."""
    from catalog.portal import create_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path_factory.mktemp("browser"), base_url=base)
    with serving(create_app(store, base, STEWARD), port):
        yield base, store
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _steward_page(browser: Any, base: str) -> Any:
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto(f"{base}/steward/login")
    tab.fill("input[name=token]", STEWARD)
    tab.click("#login-form button")
    tab.wait_for_url(f"{base}/steward")
    return tab


def test_browse_filter_search_and_download(portal: tuple[str, CatalogStore], page: Any) -> None:
    base, store = portal
    page.goto(base + "/")
    assert page.locator("li.dataset").count() == 4
    page.select_option("select[name=cls]", "conditional")
    page.click(".filters button")
    page.wait_for_url("**/?*cls=conditional*")
    assert page.locator("li.dataset").all_inner_texts()[0].startswith("门诊量统计")
    page.goto(base + "/")
    page.select_option("select[name=theme]", "司法")
    page.click(".filters button")
    assert page.locator("li.dataset h2").all_inner_texts() == ["案件信息"]
    page.goto(base + "/")
    page.fill("input[name=q]", "公交客流")
    page.click(".filters button")
    page.click("text=公交客流统计")
    assert "无条件开放" in page.locator("#catalog-entry").inner_text()
    assert "联系电话" in page.locator("#field-items").inner_text()
    with page.expect_download() as info:
        page.click("a.download:has-text('data.csv')")
    download = info.value
    record = store.latest("bus-ridership")
    csv = next(o for o in record.outputs if o.path == "data.csv")
    assert _sha256(download.path()) == csv.sha256
    assert download.suggested_filename == "bus-ridership-v2-data.csv"
    page.click("#quality-report")
    assert "质量报告" in page.content()


def test_not_open_and_hostile_title(portal: tuple[str, CatalogStore], page: Any) -> None:
    base, _ = portal
    page.goto(base + "/datasets/court-cases")
    assert "不予开放，仅公开目录信息" in page.locator("#downloads").inner_text()
    assert page.locator("a.download").count() == 0
    page.goto(base + "/datasets/road-works")
    assert page.locator("h1").inner_text().startswith(XSS_TITLE)
    page.goto(base + "/?q=养护")
    assert page.locator("li.dataset h2").inner_text() == XSS_TITLE
    assert page.dialogs == []  # the script in the title never ran
    response = page.goto(base + "/datasets/bus-ridership/versions/2/files/..%2F..%2F..%2Fcatalog.db")
    assert response.status == 404 and "未找到" in page.content()


def test_apply_approve_and_download_conditional(portal: tuple[str, CatalogStore], page: Any, browser: Any) -> None:
    base, store = portal
    page.goto(base + "/datasets/clinic-visits")
    assert page.locator("a.download").count() == 0
    page.click("#downloads a:has-text('申请使用')")
    page.fill("input[name=applicant]", "王研究")
    page.fill("input[name=organisation]", "山东大学公共卫生学院")
    page.fill("input[name=identity]", "12370000495570017X")
    page.fill("input[name=contact]", "wang@example.edu.cn")
    page.fill("textarea[name=purpose]", "研究门诊量的季节变化规律，用于公共卫生资源配置分析。")
    page.fill("input[name=term_days]", "30")
    page.fill("input[name=requested_count]", "1")
    page.click("#apply-form button")  # commitment not ticked: the server refuses
    assert "须接受数据安全承诺" in page.locator(".errors").inner_text()
    assert page.input_value("input[name=organisation]") == "山东大学公共卫生学院"  # what was typed is kept
    page.check("input[name=commitment]")
    page.click("#apply-form button")
    app_id = page.locator("#application-id").inner_text()
    page.click("#status-link")
    status_url = page.url
    assert page.locator("#application-status").inner_text() == "待审核"

    steward = _steward_page(browser, base)
    row = steward.locator(f"tr[data-id='{app_id}']")
    row.locator("input[name=note]").first.fill("用途明确，同意")
    row.locator("button:has-text('批准')").click()
    assert "已批准" in steward.locator("#notice").inner_text()
    steward.context.close()

    page.goto(status_url)
    assert page.locator("#application-status").inner_text() == "已批准"
    token = page.locator("#access-token").inner_text().strip()
    page.click("text=凭令牌下载")
    page.fill("input[name=token]", token)
    with page.expect_download() as info:
        page.click("#access-form button")
    record = store.latest("clinic-visits")
    assert _sha256(info.value.path()) == record.outputs[0].sha256
    page.goto(base + "/datasets/clinic-visits/access")
    page.fill("input[name=token]", token)
    page.click("#access-form button")
    assert "访问次数上限" in page.locator(".errors").inner_text()
    assert [d["application_id"] for d in access.downloads(store, "clinic-visits")] == [app_id]


def test_file_objection_and_see_answer(portal: tuple[str, CatalogStore], page: Any, browser: Any) -> None:
    base, _ = portal
    page.goto(base + "/datasets/bus-ridership")
    page.click("#objections a:has-text('提交异议')")
    page.select_option("select[name=field]", "客流")
    page.fill("textarea[name=description]", "2024年1月的客流数字比站内公示大一倍。")
    page.fill("input[name=contact]", "citizen@example.cn")
    page.click("#objection-form button")
    assert "异议已提交" in page.locator("#filed").inner_text()

    steward = _steward_page(browser, base)
    row = steward.locator("#objections tbody tr").first
    row.locator("textarea[name=answer]").fill("经核实为录入错误，已在第 3 版更正。")
    row.locator("button").click()
    assert "已答复" in steward.locator("#notice").inner_text()
    steward.context.close()

    page.goto(base + "/datasets/bus-ridership")
    section = page.locator("#objections").inner_text()
    assert "经核实为录入错误，已在第 3 版更正。" in section and "已答复" in section
    assert "citizen@example.cn" not in page.content()
