"""The governance desks in a real headless Chromium, one path per role the measures name: a requester,
the agency's steward answering and revoking, a user whose access was ended, the public reading the plans,
and the agency, the big-data authority and the expert panel passing a contested class along the chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog import access, requests, reviews
from catalog.events import trail
from catalog.portal.governance import GovernanceSettings
from catalog.store import CatalogStore
from tests.catalog.helpers import build_catalog, free_port, serving
from tests.catalog.test_governance import CONTACT, approved
from tests.catalog.test_plans import item, write_plan
from tests.catalog.test_review_chain import CHECKLISTS, TOKENS

CHROMIUM = Path("/usr/bin/chromium")
STEWARD = "governance-browser-steward-token"
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CatalogStore]]:
    from catalog.portal import create_app
    from catalog.record import utc_now

    root = tmp_path_factory.mktemp("governance-browser")
    year_end = utc_now().date().replace(month=12, day=31)
    plans = root / "plans"
    write_plan(plans, "transport", "济南市交通运输局", item("bus-ridership", year_end),
               item("metro-lines", year_end, "conditional", "数字经济"), year=year_end.year)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(root, base_url=base)
    settings = GovernanceSettings(plans_dir=plans, role_tokens=GovernanceSettings.digests(TOKENS),
                                  checklists=CHECKLISTS)
    with serving(create_app(store, base, STEWARD, governance=settings), port):
        yield base, store
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--headless", "--no-sandbox", "--disable-gpu",
                                            "--disable-background-networking", "--disable-component-update",
                                            "--disable-sync"])
        yield chromium
        chromium.close()


def new_tab(browser: Any) -> Any:
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    return context.new_page()


def log_in(browser: Any, base: str, path: str, token: str, form: str, landing: str) -> Any:
    tab = new_tab(browser)
    tab.goto(base + path)
    tab.fill("input[name=token]", token)
    tab.click(f"{form} button")
    tab.wait_for_url(base + landing)
    return tab


def test_a_requester_asks_and_the_steward_answers_in_public(portal, browser):
    base, store = portal
    citizen = new_tab(browser)
    citizen.goto(base + "/")
    citizen.click("header nav a:has-text('数据需求')")
    citizen.click("a.button:has-text('提出数据需求')")
    citizen.fill("input[name=title]", "门诊量按科室的月度统计")
    citizen.select_option("select[name=dataset_id]", "clinic-visits")
    citizen.fill("textarea[name=reason]", "研究各科室就诊的季节变化，需要按科室细分。")
    citizen.fill("input[name=contact]", CONTACT)
    citizen.click("#request-form button")
    assert "需求已提交" in citizen.locator("#filed").inner_text()
    request_url = citizen.url.split("?")[0]
    request_id = request_url.rsplit("/", 1)[-1]

    steward = log_in(browser, base, "/steward/login", STEWARD, "#login-form", "/steward")
    steward.click("header nav a:has-text('需求办理')")
    row = steward.locator(f"tr[data-id='{request_id}']")
    assert CONTACT in row.inner_text() and "济南市卫生健康委员会" in row.inner_text()
    row.locator("select[name=status]").select_option("accepted")
    row.locator("input[name=planned_date]").fill("2027-03-31")
    row.locator("textarea[name=answer]").fill("列入 2027 年开放计划，按科室汇总后有条件开放。")
    row.locator(".answer-form button").click()
    assert "同意开放" in steward.locator("#notice").inner_text()
    steward.context.close()

    citizen.goto(request_url)
    assert citizen.locator("#request-status").inner_text() == "同意开放"
    assert "列入 2027 年开放计划" in citizen.locator("#request-answer").inner_text()
    citizen.goto(base + "/requests")
    assert request_id in citizen.locator("#requests").inner_text()
    assert CONTACT not in citizen.content()
    assert requests.get(store, request_id).planned_date.isoformat() == "2027-03-31"
    citizen.context.close()


def test_a_steward_revokes_and_the_user_sees_why(portal, browser):
    base, store = portal
    app_id, receipt, _token = approved(store, "91370100MA3BROWSER")
    steward = log_in(browser, base, "/steward/login", STEWARD, "#login-form", "/steward")
    steward.goto(base + "/steward/access")
    row = steward.locator(f"#grants tr[data-id='{app_id}']")
    row.locator("input[name=violation]").fill("将数据转售给第三方")
    row.locator("button").click()
    assert "已终止 1 项使用权" in steward.locator("#notice").inner_text()
    steward.context.close()

    user = new_tab(browser)
    user.goto(f"{base}/applications/{app_id}?key={receipt}")
    assert user.locator("#application-status").inner_text() == "已终止"
    assert "将数据转售给第三方" in user.locator("#revocation").inner_text()
    assert access.get(store, app_id).status == "revoked"
    assert trail(store, "access", app_id)[-1].entry["event"]["violation"] == "将数据转售给第三方"
    user.context.close()


def test_the_public_reads_the_opening_plans(portal, browser):
    base, _ = portal
    tab = new_tab(browser)
    tab.goto(base + "/")
    tab.click("header nav a:has-text('开放计划')")
    planned = tab.locator("#planned").inner_text()
    assert "metro-lines" in planned and "按期开放" in planned and "数字经济" in planned
    assert "济南市交通运输局" in tab.locator("#plan-summary").inner_text()
    tab.click("#planned a:has-text('bus-ridership 标题')")
    assert tab.url.endswith("/datasets/bus-ridership")
    tab.context.close()


def _act(tab: Any, action: str, note: str, cls: str | None = None, ticks: int = 0) -> None:
    tab.select_option("#review-act select[name=action]", action)
    if cls:
        tab.select_option("#review-act select[name=open_class]", cls)
    for index in range(ticks):
        tab.check(f"#review-act input[name=check-{index}]")
    tab.fill("#review-act textarea[name=note]", note)
    tab.click("#review-act button")


def test_agency_authority_and_experts_settle_a_contested_class(portal, browser):
    base, store = portal
    agency = log_in(browser, base, "/review/login", TOKENS["agency_steward"], "#review-login",
                    "/review/agency_steward")
    agency.select_option("#review-new select[name=dataset_id]", "court-cases")
    agency.select_option("#review-new select[name=open_class]", "not_open")
    agency.fill("#review-new textarea[name=note]", "涉及个人隐私，依第六条不予开放")
    agency.click("#review-new button")
    case_id = agency.url.rsplit("/", 1)[-1]
    assert "待主管部门审核" in agency.locator("#case-stage").inner_text()
    assert agency.locator("#review-act").count() == 0  # not the agency's turn

    authority = log_in(browser, base, "/review/login", TOKENS["authority_reviewer"], "#review-login",
                       "/review/authority_reviewer")
    authority.click(f"#queue a:has-text('{case_id}')")
    _act(authority, "propose", "脱敏后可有条件开放", "conditional")
    assert "退回数据提供单位" in authority.locator("#case-stage").inner_text()

    agency.goto(f"{base}/review/agency_steward")
    agency.click(f"#queue a:has-text('{case_id}')")
    _act(agency, "maintain", "样本量小，脱敏后仍可识别")
    experts = log_in(browser, base, "/review/login", TOKENS["expert_panel"], "#review-login", "/review/expert_panel")
    experts.click(f"#queue a:has-text('{case_id}')")
    _act(experts, "decide", "专家评审：限科研使用，可有条件开放", "conditional")

    authority.goto(f"{base}/review/cases/{case_id}")
    _act(authority, "pass", "形式审查", ticks=1)  # one item left unticked: refused
    assert "逐项勾选" in authority.locator(".errors").inner_text()
    _act(authority, "pass", "形式审查通过", ticks=len(CHECKLISTS.formal_review))
    _act(authority, "pass", "技术检测通过", ticks=len(CHECKLISTS.technical_check))
    assert authority.locator("#case-status").inner_text() == "已通过，可开放"
    steps = authority.locator("#steps").inner_text()
    assert "建议调整类别" in steps and "坚持原定级" in steps and "专家评审决定" in steps
    for tab in (agency, authority, experts):
        tab.context.close()
    assert reviews.get(store, case_id).decided_class == "conditional"
    assert [e.entry["event"]["action"] for e in trail(store, "review", case_id)] == [
        "submit", "propose", "maintain", "decide", "pass", "pass"]
    assert store.verify_audit().ok
