"""The review chain (Art. 8 ¶4-5, Art. 18) over real HTTP: each role logs in with its own token and acts
on its own page; a contested class goes back to the agency, then to the expert panel; the formal review
and technical check tick their checklists; every step is in the case and in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from catalog import reviews
from catalog.events import trail
from catalog.portal import create_app
from catalog.portal.governance import GovernanceSettings
from catalog.store import CatalogStore
from pipelines.commands.governance import review_group
from tests.catalog.helpers import build_catalog, free_port, serving
from tests.catalog.test_portal_security import csrf

TOKENS = {"agency_steward": "agency-token-0123456789abcdef", "authority_reviewer": "authority-token-0123456789abc",
          "expert_panel": "expert-token-0123456789abcdef"}
CHECKLISTS = reviews.Checklists(formal_review=("依据已记录", "合法性审查已完成"), technical_check=("脱敏评估通过",))


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[tuple[str, CatalogStore]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path / "catalog", base_url=base)
    settings = GovernanceSettings(role_tokens=GovernanceSettings.digests(TOKENS), checklists=CHECKLISTS)
    with serving(create_app(store, base, None, governance=settings), port):
        yield base, store
    store.close()


@contextmanager
def logged_in(base: str, role: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base) as client:
        response = client.post("/review/login", data={"token": TOKENS[role], "csrf": csrf(client, "/review/login")})
        assert response.status_code == 303 and response.headers["location"] == f"/review/{role}"
        assert "httponly" in response.headers["set-cookie"].lower()
        yield client


def act(client: httpx.Client, case_id: str, **form: str) -> httpx.Response:
    token = csrf(client, f"/review/cases/{case_id}")
    return client.post(f"/review/cases/{case_id}/act", data=form | {"csrf": token})


def test_a_contested_class_goes_back_to_the_agency_then_to_the_experts_and_is_checked_before_opening(portal):
    base, store = portal
    with logged_in(base, "agency_steward") as agency:
        page = agency.get("/review/agency_steward").text
        assert 'id="review-new"' in page
        submitted = agency.post("/review/new", data={"dataset_id": "court-cases", "open_class": "not_open",
                                                     "note": "涉及个人隐私，依第六条不予开放", "name": "张三",
                                                     "csrf": csrf(agency, "/review/agency_steward")})
        assert submitted.status_code == 303
        case_id = submitted.headers["location"].rsplit("/", 1)[-1]
        assert act(agency, case_id, action="agree", note="自己同意").status_code == 409  # not its turn
        assert agency.get("/review/authority_reviewer").status_code == 403  # another role's page
    with logged_in(base, "authority_reviewer") as authority:
        assert case_id in authority.get("/review/authority_reviewer").text
        act(authority, case_id, action="propose", open_class="conditional", note="脱敏后可有条件开放", name="李四")
    assert reviews.get(store, case_id).stage == "agency_reply"  # back to the agency
    with logged_in(base, "agency_steward") as agency:
        assert case_id in agency.get("/review/agency_steward").text
        act(agency, case_id, action="maintain", note="样本量小，脱敏后仍可识别")
    with logged_in(base, "expert_panel") as experts:
        act(experts, case_id, action="decide", open_class="conditional", note="专家评审：限科研使用可有条件开放")
    with logged_in(base, "authority_reviewer") as authority:
        refused = act(authority, case_id, action="pass", note="形式审查", **{"check-0": "on"})
        assert refused.status_code == 409 and "逐项勾选" in refused.text
        act(authority, case_id, action="pass", note="形式审查通过", **{"check-0": "on", "check-1": "on"})
        act(authority, case_id, action="pass", note="技术检测通过", **{"check-0": "on"})
        page = authority.get(f"/review/cases/{case_id}").text
        assert "已通过，可开放" in page and "✓ 合法性审查已完成" in page and "李四" in page
    case = reviews.get(store, case_id)
    assert (case.status, case.decided_class) == ("approved", "conditional")
    assert [(s.role, s.action) for s in case.steps] == [
        ("agency_steward", "submit"), ("authority_reviewer", "propose"), ("agency_steward", "maintain"),
        ("expert_panel", "decide"), ("authority_reviewer", "pass"), ("authority_reviewer", "pass")]
    events = [(e.entry["event"]["role"], e.entry["event"]["action"], e.entry["event"]["class"])
              for e in trail(store, "review", case_id)]
    assert events[1] == ("authority_reviewer", "propose", "conditional") and len(events) == 6
    formal = trail(store, "review", case_id)[4].entry["event"]
    assert formal["checklist"] == {"依据已记录": True, "合法性审查已完成": True}
    assert reviews.approved_class(store, "court-cases") == "conditional"
    assert store.verify_audit().ok


def test_role_pages_need_their_own_login_and_the_forms_their_csrf_token(portal):
    base, _ = portal
    with httpx.Client(base_url=base) as anonymous:
        assert anonymous.get("/review/expert_panel", follow_redirects=False).headers["location"] == "/review/login"
        wrong = anonymous.post("/review/login", data={"token": "guess", "csrf": csrf(anonymous, "/review/login")})
        assert wrong.status_code == 403
    with logged_in(base, "agency_steward") as agency:
        assert agency.post("/review/new", data={"dataset_id": "court-cases", "open_class": "not_open",
                                                "note": "依据"}).status_code == 403
        agency.post("/review/logout", data={"csrf": csrf(agency)})
        assert agency.get("/review/agency_steward", follow_redirects=False).status_code == 303


def test_a_portal_without_role_tokens_has_no_review_pages(sample_catalog: CatalogStore, tmp_path: Path):
    port = free_port()
    app = create_app(sample_catalog, f"http://127.0.0.1:{port}", None, governance=GovernanceSettings())
    with serving(app, port) as base, httpx.Client(base_url=base) as client:
        assert client.get("/review/login").status_code == 404


def test_an_agreed_not_open_class_is_decided_without_the_opening_checks(sample_catalog: CatalogStore):
    case = reviews.submit(sample_catalog, "court-cases", "not_open", "涉及国家秘密", "agency")
    case = reviews.act(sample_catalog, case.id, "authority_reviewer", "agree", "同意不予开放", "authority")
    assert (case.status, case.stage, case.decided_class) == ("decided", "closed", "not_open")
    with pytest.raises(reviews.ReviewError, match="已办结"):
        reviews.act(sample_catalog, case.id, "authority_reviewer", "agree", "再次", "authority")
    with pytest.raises(reviews.ReviewError, match="无需审核链"):
        reviews.submit(sample_catalog, "bus-ridership", "unconditional", "无条件开放", "agency")
    with pytest.raises(reviews.ReviewError, match="意见"):
        reviews.submit(sample_catalog, "clinic-visits", "conditional", " ", "agency")


def test_a_failed_technical_check_returns_the_case(sample_catalog: CatalogStore):
    case = reviews.submit(sample_catalog, "clinic-visits", "unconditional", "脱敏后拟无条件开放", "agency")
    reviews.act(sample_catalog, case.id, "authority_reviewer", "agree", "同意", "a", checklists=CHECKLISTS)
    reviews.act(sample_catalog, case.id, "authority_reviewer", "pass", "形式审查通过", "a",
                ticked=list(CHECKLISTS.formal_review), checklists=CHECKLISTS)
    case = reviews.act(sample_catalog, case.id, "authority_reviewer", "fail", "k 匿名未达标", "a", ticked=[],
                       checklists=CHECKLISTS)
    assert case.status == "returned" and case.steps[-1].checklist == {"脱敏评估通过": False}
    assert reviews.approved_class(sample_catalog, "clinic-visits") is None


def test_the_cli_walks_the_chain(sample_catalog: CatalogStore):
    root = str(sample_catalog.root)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(review_group, [*args, "--catalog", root])
        return result.exit_code, result.output

    code, out = run("submit", "road-works", "conditional", "--note", "含联系电话，拟有条件开放")
    assert code == 0
    case_id = re.search(r"^(v[0-9a-f]{12})", out, re.M).group(1)  # type: ignore[union-attr]
    assert run("act", case_id, "expert_panel", "decide", "--class", "conditional", "--note", "越位")[0] == 1
    assert run("act", case_id, "authority_reviewer", "agree", "--note", "同意")[0] == 0
    code, out = run("act", case_id, "authority_reviewer", "pass", "--check", "all", "--note", "形式审查通过")
    assert code == 0 and "ticked" in out
    assert run("act", case_id, "authority_reviewer", "pass", "--check", "all", "--note", "技术检测通过")[0] == 0
    code, out = run("list")
    assert "approved" in out and "road-works" in out
    assert run("act", "v000000000000", "authority_reviewer", "agree", "--note", "x y")[0] == 1
