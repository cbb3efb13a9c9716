"""Governance desks over real HTTP (uvicorn): data requests (Art. 10 ¶3, 20) and revocation (Art. 19, 21)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from catalog import access, requests
from catalog.events import trail
from catalog.portal import create_app
from catalog.portal.governance import GovernanceSettings
from catalog.portal.security import Guard, Limit
from catalog.record import utc_now
from catalog.store import CatalogStore
from pipelines.commands.catalog import access as access_cmd
from pipelines.commands.governance import requests_group
from tests.catalog.helpers import build_catalog, free_port, serving
from tests.catalog.test_portal import GOOD_APPLICATION
from tests.catalog.test_portal_security import STEWARD, csrf
from tests.catalog.test_portal_security import steward_client as steward

CONTACT = "requester-secret@example.cn"
REQUEST = {"title": "公交站点实时到站数据", "dataset_id": "", "agency": "济南市交通运输局",
           "reason": "开发无障碍出行应用，需要各站点的到站时间。", "contact": CONTACT}


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[tuple[str, CatalogStore]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path / "catalog", base_url=base)
    guard = Guard(limits={"request": Limit(3, 3600)})
    with serving(create_app(store, base, STEWARD, guard, GovernanceSettings(response_days=15)), port):
        yield base, store
    store.close()


def file_on_portal(client: httpx.Client, **changes: str) -> httpx.Response:
    return client.post("/requests/new", data=REQUEST | changes | {"csrf": csrf(client, "/requests/new")})


def cli(command, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.output


# ----- data requests --------------------------------------------------------------------------------


def test_anyone_files_a_request_and_the_public_sees_it_without_the_contact(portal):
    base, store = portal
    with httpx.Client(base_url=base) as client:
        response = file_on_portal(client)
        assert response.status_code == 303
        page = client.get(response.headers["location"])
        assert REQUEST["title"] in page.text and "已收到" in page.text and "济南市交通运输局" in page.text
        filed = requests.list_requests(store)[0]
        assert filed.due_at - filed.created_at == timedelta(days=15)
        for url in ("/requests", f"/requests/{filed.id}", "/requests?status=received"):
            shown = client.get(url).text
            assert filed.id in shown and CONTACT not in shown, url
    entries = trail(store, "request", filed.id)
    assert [e.entry["event"]["action"] for e in entries] == ["filed"]
    assert CONTACT not in str([e.entry for e in entries])
    assert store.verify_audit().ok


def test_a_request_naming_a_dataset_goes_to_its_publisher_and_a_fully_open_one_is_refused(portal):
    base, store = portal
    with httpx.Client(base_url=base) as client:
        assert file_on_portal(client, dataset_id="court-cases", agency="").status_code == 303
        assert requests.list_requests(store)[0].agency == "济南市中级人民法院"
        refused = file_on_portal(client, dataset_id="bus-ridership")
        assert refused.status_code == 400 and "已无条件开放" in refused.text
        bad = file_on_portal(client, reason="短", contact="")
        assert bad.status_code == 400 and "用途与理由：至少 10 个字符" in bad.text
    assert len(requests.list_requests(store)) == 1


def test_the_request_form_needs_its_csrf_token_and_is_rate_limited(portal):
    base, store = portal
    with httpx.Client(base_url=base) as client:
        client.get("/")
        assert client.post("/requests/new", data=REQUEST).status_code == 403
        codes = [file_on_portal(client).status_code for _ in range(3)]
        assert codes == [303, 303, 429]  # the forbidden post above counted too
        assert "Retry-After" in file_on_portal(client).headers
    assert len(requests.list_requests(store)) == 2


def test_a_steward_assigns_accepts_and_fulfils_with_a_link_to_the_release(portal):
    base, store = portal
    filed = requests.file_request(store, requests.RequestForm.model_validate(REQUEST | {"agency": ""}))
    with steward(base) as client:
        desk = client.get("/steward/requests").text
        assert CONTACT in desk and "待指定" in desk  # the contact is for the agency only
        token = csrf(client, "/steward/requests")
        client.post(f"/steward/requests/{filed.id}/assign", data={"agency": "济南市交通运输局", "csrf": token})
        assert requests.get(store, filed.id).status == "under_review"
        no_date = client.post(f"/steward/requests/{filed.id}/answer",
                              data={"status": "accepted", "answer": "同意", "csrf": token})
        assert no_date.status_code == 400 and "计划开放日期" in no_date.text
        client.post(f"/steward/requests/{filed.id}/answer", data={
            "status": "accepted", "answer": "列入开放计划", "planned_date": "2027-03-31", "csrf": token})
        assert requests.get(store, filed.id).planned_date == date(2027, 3, 31)
        client.post(f"/steward/requests/{filed.id}/answer", data={
            "status": "fulfilled", "dataset_id": "bus-ridership", "csrf": token})
    with httpx.Client(base_url=base) as public:
        page = public.get(f"/requests/{filed.id}").text
        assert 'id="release-link" href="/datasets/bus-ridership"' in page and "第 2 版" in page
        assert "指定承办单位" in page and CONTACT not in page
    actions = [(e.entry["event"]["action"], e.entry["event"].get("status")) for e in trail(store, "request", filed.id)]
    assert actions == [("filed", None), ("assigned", "under_review"), ("answered", "accepted"),
                       ("answered", "fulfilled")]
    assert store.verify_audit().ok


def test_a_refusal_needs_reasons_and_closes_the_request(sample_catalog: CatalogStore):
    filed = requests.file_request(sample_catalog, requests.RequestForm.model_validate(REQUEST))
    with pytest.raises(requests.RequestError, match="理由"):
        requests.answer(sample_catalog, filed.id, "refused", "", "steward")
    requests.answer(sample_catalog, filed.id, "refused", "涉及公共安全，依法不予开放", "steward")
    with pytest.raises(requests.RequestError, match="已办结"):
        requests.answer(sample_catalog, filed.id, "accepted", "改为同意", "steward", date(2027, 1, 1))
    with pytest.raises(requests.RequestError, match="尚未开放"):
        other = requests.file_request(sample_catalog, requests.RequestForm.model_validate(REQUEST))
        requests.answer(sample_catalog, other.id, "fulfilled", "", "steward", dataset_id="court-cases")


def _age(store: CatalogStore, request_id: str, days: int) -> None:
    table = store.tables.requests
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == request_id).values(
            created_at=utc_now() - timedelta(days=days), due_at=utc_now() - timedelta(days=days - 15)))


def test_overdue_requests_are_flagged_to_stewards_and_on_the_cli(portal):
    base, store = portal
    late = requests.file_request(store, requests.RequestForm.model_validate(REQUEST))
    fresh = requests.file_request(store, requests.RequestForm.model_validate(REQUEST | {"title": "另一个需求"}))
    _age(store, late.id, 20)
    with steward(base) as client:
        assert "1 件数据需求已超过答复期限" in client.get("/steward").text
        desk = client.get("/steward/requests").text
        assert "1 件需求已超过答复期限" in desk
        assert desk.index(late.id) < desk.index(fresh.id)  # overdue first
    with httpx.Client(base_url=base) as public:
        assert "已逾期" in public.get(f"/requests/{late.id}").text
    code, out = cli(requests_group, "list", "--catalog", str(store.root))
    assert code == 0 and f"{late.id}" in out and "OVERDUE" in out and "1 overdue" in out
    code, out = cli(requests_group, "list", "--overdue", "--catalog", str(store.root))
    assert late.id in out and fresh.id not in out
    code, out = cli(requests_group, "answer", late.id, "refused", "--text", "涉及公共安全，依法不予开放",
                    "--catalog", str(store.root))
    assert code == 0 and not requests.get(store, late.id).overdue()
    assert trail(store, "request", late.id)[-1].entry["event"]["overdue_when_answered"] is True


def test_cli_assign_and_answer(sample_catalog: CatalogStore):
    root = str(sample_catalog.root)
    filed = requests.file_request(sample_catalog, requests.RequestForm.model_validate(REQUEST))
    assert cli(requests_group, "assign", filed.id, "--agency", "济南市大数据局", "--catalog", root)[0] == 0
    code, out = cli(requests_group, "answer", filed.id, "accepted", "--catalog", root)
    assert code == 2 and "计划开放日期" in out
    code, out = cli(requests_group, "answer", filed.id, "accepted", "--planned", "2027-06-30", "--catalog", root)
    assert code == 0 and requests.get(sample_catalog, filed.id).status == "accepted"
    assert cli(requests_group, "answer", "r-none", "refused", "--text", "理由充分的拒绝", "--catalog", root)[0] == 1


# ----- revocation -------------------------------------------------------------------------------------


def approved(store: CatalogStore, identity: str = GOOD_APPLICATION["identity"]) -> tuple[str, str, str]:
    form = access.ApplicationForm.model_validate(GOOD_APPLICATION | {"identity": identity, "commitment": True})
    application, receipt = access.apply(store, "clinic-visits", form)
    _, token = access.decide(store, application.id, True, "同意")
    assert token
    return application.id, receipt, token


def test_a_revoked_user_loses_every_token_at_once_and_cannot_apply_again(portal):
    base, store = portal
    first, receipt, token = approved(store)
    second, _, token2 = approved(store, " 12370000495570017x ")  # the same credential, written differently
    other, _, other_token = approved(store, "91370100MA3C8XYZ12")
    auth = {"Authorization": f"Bearer {token}"}
    url = "/datasets/clinic-visits/versions/1/files/data.csv"
    with httpx.Client(base_url=base) as user:
        assert user.get(url, headers=auth).status_code == 200
    with steward(base) as client:
        assert first in client.get("/steward/access").text
        response = client.post(f"/steward/access/{first}/revoke",
                               data={"violation": "向第三方提供了数据", "csrf": csrf(client, "/steward/access")})
        assert response.status_code == 200 and "已终止 2 项使用权" in response.text
    with httpx.Client(base_url=base) as user:
        refused = user.get(url, headers=auth)
        assert refused.status_code == 403 and "向第三方提供了数据" in refused.text
        assert user.get(url, headers={"Authorization": f"Bearer {token2}"}).status_code == 403
        assert user.get(url, headers={"Authorization": f"Bearer {other_token}"}).status_code == 200
        status = user.get(f"/applications/{first}", params={"key": receipt}).text
        assert "已终止" in status and "向第三方提供了数据" in status
        again = user.post("/datasets/clinic-visits/apply",
                          data=GOOD_APPLICATION | {"csrf": csrf(user, "/datasets/clinic-visits/apply")})
        assert again.status_code == 403 and "已被终止" in again.text
    assert {access.get(store, i).status for i in (first, second)} == {"revoked"}
    assert access.get(store, other).status == "approved"
    event = trail(store, "access", first)[-1].entry
    assert event["event"] == {"action": "revoked", "violation": "向第三方提供了数据",
                              "applications": sorted([first, second])}
    assert store.verify_audit().ok


def test_revocation_needs_a_stated_violation_and_the_cli_does_it_too(sample_catalog: CatalogStore):
    app_id, _, token = approved(sample_catalog)
    root = str(sample_catalog.root)
    code, out = cli(access_cmd, "revoke", app_id, "--violation", "违约", "--catalog", root)
    assert code == 2 and "须说明" in out
    assert access.get(sample_catalog, app_id).status == "approved"
    code, out = cli(access_cmd, "revoke", app_id, "--violation", "超出申请用途使用数据", "--steward", "李管理",
                    "--catalog", root)
    assert code == 0 and "Revoked 1" in out
    with pytest.raises(access.AccessDenied, match="超出申请用途"):
        access.authorize(sample_catalog, "clinic-visits", token, 1, "data.csv")
    assert trail(sample_catalog, "access", app_id)[-1].entry["actor"] == "李管理"
    assert cli(access_cmd, "revoke", "a-none", "--violation", "超出申请用途使用数据", "--catalog", root)[0] == 1


def test_audit_events_lists_the_desks_changes_without_contacts(sample_catalog: CatalogStore):
    from pipelines.commands.governance import audit_events

    filed = requests.file_request(sample_catalog, requests.RequestForm.model_validate(REQUEST))
    requests.assign(sample_catalog, filed.id, "济南市大数据局", "steward")
    code, out = cli(audit_events, "--kind", "request", "--catalog", str(sample_catalog.root))
    assert code == 0 and out.count(filed.id) == 2 and "assigned" in out and CONTACT not in out
    code, out = cli(audit_events, "--subject", "nothing", "--catalog", str(sample_catalog.root))
    assert "No governance events." in out


@settings(max_examples=80, deadline=None)
# A contact written like a value the view holds anyway ('False', a status) would prove nothing: marked apart.
@given(status=st.sampled_from(requests.STATUSES), age=st.integers(-30, 60),
       contact=st.text(min_size=5, max_size=40).map(lambda text: f"联系:{text}"))
def test_overdue_means_unanswered_past_the_deadline_and_public_views_drop_the_contact(status, age, contact):
    now = utc_now()
    item = requests.DataRequest(
        id="r000000000001", title="某数据", dataset_id=None, reason="理由充分的需求说明", contact=contact, agency=None,
        status=status, answer=None, planned_date=None, release_version=None, created_at=now - timedelta(days=age),
        due_at=now - timedelta(days=age) + timedelta(days=15), answered_at=None, updated_at=now)
    assert item.overdue(now) == (status not in requests.ANSWERED and age > 15)
    view = item.public()
    assert "contact" not in view and contact not in {str(v) for v in view.values()}
