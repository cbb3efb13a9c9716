"""The portal over HTTP (in-process): pages, filters, files, access, objections, stewards, safety."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator

import pytest

from catalog import access, objections
from catalog.store import CatalogStore
from tests.catalog.helpers import XSS_TITLE, portal_client_class

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from catalog.portal import create_app  # noqa: E402

STEWARD = "steward-secret"


@pytest.fixture
def client(sample_catalog: CatalogStore) -> Iterator[TestClient]:
    with portal_client_class()(create_app(sample_catalog, "https://open.example.cn", STEWARD)) as c:
        yield c


def _ids(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-id="([a-z0-9-]+)"', html))


def test_list_and_filters(client: TestClient) -> None:
    page = client.get("/").text
    assert _ids(page) == {"bus-ridership", "clinic-visits", "court-cases", "road-works"}
    assert _ids(client.get("/?cls=conditional").text) == {"clinic-visits"}
    assert _ids(client.get("/?cls=not_open").text) == {"court-cases"}
    assert _ids(client.get("/?publisher=济南市卫生健康委员会").text) == {"clinic-visits"}
    assert _ids(client.get("/?theme=司法").text) == {"court-cases"}
    assert _ids(client.get("/?fmt=parquet").text) == {"bus-ridership", "road-works"}
    assert _ids(client.get("/?q=门诊").text) == {"clinic-visits"}
    assert _ids(client.get("/?q=不存在的词").text) == set()
    assert _ids(client.get("/?cls=bogus&fmt=" + "x" * 5000).text) == set()


def test_dataset_page_shows_catalog_fields_and_history(client: TestClient) -> None:
    page = client.get("/datasets/bus-ridership").text
    for label in (
        "数据名称",
        "数据摘要",
        "数据提供方",
        "数据领域",
        "开放属性",
        "开放条件",
        "数据类型",
        "更新频率",
        "数据格式",
        "发布日期",
        "更新日期",
        "数据量",
        "信息项",
    ):
        assert label in page, label
    assert "无条件开放" in page and "每月" in page and "联系电话" in page and "掩码（CN_PHONE）" in page
    assert "/datasets/bus-ridership/versions/2/files/data.csv" in page
    assert "/datasets/bus-ridership/versions/1/files/data.csv" in page  # history keeps older files
    assert 'href="/datasets/bus-ridership/versions/2/quality/index.html"' in page
    assert "k_anonymity" in page and "经脱敏重新定级" in page


def test_not_open_has_no_files(client: TestClient, sample_catalog: CatalogStore) -> None:
    page = client.get("/datasets/court-cases").text
    assert "不予开放" in page and "/files/" not in page
    assert client.get("/datasets/court-cases/versions/1/files/data.csv").status_code == 404
    assert client.get("/datasets/court-cases/datapackage.json").status_code == 404


def test_public_download_is_the_published_file_and_logged(client: TestClient, sample_catalog: CatalogStore) -> None:
    response = client.get("/datasets/bus-ridership/versions/2/files/data.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    record = sample_catalog.latest("bus-ridership")
    csv = next(o for o in record.outputs if o.format == "csv")
    assert hashlib.sha256(response.content).hexdigest() == csv.sha256
    assert "attachment" in response.headers["content-disposition"]
    logged = access.downloads(sample_catalog, "bus-ridership")
    assert [(d["version"], d["path"], d["application_id"]) for d in logged] == [(2, "data.csv", None)]


def test_machine_readable_files(client: TestClient) -> None:
    catalog = client.get("/catalog.jsonld")
    assert catalog.headers["content-type"].startswith("application/ld+json")
    doc = catalog.json()
    assert {d["@id"] for d in doc["dcat:dataset"]} >= {"https://open.example.cn/datasets/bus-ridership"}
    assert client.get("/datasets/bus-ridership/dataset.jsonld").json()["dct:identifier"] == "bus-ridership"
    assert client.get("/datasets/bus-ridership/datapackage.json").json()["name"] == "bus-ridership"
    assert client.get("/datasets/bus-ridership/versions/1/metadata.json").json()["version"] == 1
    assert client.get("/datasets/bus-ridership/versions/1/SHA256SUMS").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/datasets/bus-ridership/versions/2/files/..%2F..%2F..%2Fcatalog.db",
        "/datasets/bus-ridership/versions/2/files/..%2F1%2Fdata.csv",
        "/datasets/bus-ridership/versions/2/files/metadata.json",
        "/datasets/bus-ridership/versions/2/quality/..%2F..%2F..%2F..%2Fcatalog.db",
        "/datasets/bus-ridership/versions/2/quality/..%2Fdata.csv",
        "/datasets/bus-ridership/versions/2/quality/%2Fetc%2Fpasswd",
        "/datasets/bus-ridership/versions/2/..%2F..%2F..%2Fcatalog.db",
        "/datasets/bus-ridership/versions/2/latest",
        "/datasets/bus-ridership/versions/3/files/data.csv",
        "/datasets/..%2F..%2Fcatalog/dataset.jsonld",
        "/datasets/.staging",
        "/static/..%2F..%2Fstore.py",
        "/datasets/no-such-set",
    ],
)
def test_paths_that_leave_the_catalog_are_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, url
    assert "SQLite" not in response.text and "import" not in response.text


def test_hostile_title_stays_text(client: TestClient) -> None:
    for url in ("/", "/datasets/road-works", "/datasets/road-works/objections"):
        page = client.get(url).text
        assert "<script>" not in page, url
        assert "&lt;script&gt;" in page, url
    assert client.get("/").headers["content-security-policy"].startswith("default-src 'self'")
    assert client.get("/datasets/road-works/dataset.jsonld").json()["dct:title"]["@value"] == XSS_TITLE


GOOD_APPLICATION = {
    "applicant": "王研究",
    "organisation": "山东大学",
    "identity": "12370000495570017X",
    "contact": "wang@example.edu.cn",
    "purpose": "研究门诊量的季节变化规律，用于公共卫生资源配置分析。",
    "term_days": "30",
    "requested_count": "2",
    "commitment": "on",
}


def test_conditional_flow_over_http(client: TestClient, sample_catalog: CatalogStore) -> None:
    assert client.get("/datasets/clinic-visits/versions/1/files/data.csv").status_code == 403
    assert client.get("/datasets/bus-ridership/apply").status_code == 404  # unconditional needs no account

    bad = dict(GOOD_APPLICATION, commitment="", term_days="999", purpose="<b>短</b>")
    response = client.post("/datasets/clinic-visits/apply", data={k: v for k, v in bad.items() if v})
    assert response.status_code == 400
    assert "须接受数据安全承诺" in response.text and "不能大于 365" in response.text
    assert "用途：至少 10 个字符" in response.text and "<b>短</b>" not in response.text
    assert access.list_applications(sample_catalog) == []

    response = client.post("/datasets/clinic-visits/apply", data=GOOD_APPLICATION)
    assert response.status_code == 200
    (application,) = access.list_applications(sample_catalog)
    status_url = response.text.split('id="status-link" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "待审核" in client.get(status_url).text
    assert client.get(f"/applications/{application.id}?key=wrong").status_code == 404

    _, token = access.decide(sample_catalog, application.id, approve=True, note="同意")
    page = client.get(status_url).text
    assert token in page and "已批准" in page
    assert token not in client.get(status_url).text  # shown once

    url = "/datasets/clinic-visits/versions/1/files/data.csv"
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/datasets/clinic-visits/access", data={"token": token, "file": "1/data.csv"}).status_code == 200
    third = client.post("/datasets/clinic-visits/access", data={"token": token, "file": "1/data.csv"})
    assert third.status_code == 403 and "访问次数上限" in third.text
    assert client.post("/datasets/clinic-visits/access", data={"token": "", "file": "x"}).status_code == 400
    used = [d["application_id"] for d in access.downloads(sample_catalog, "clinic-visits")]
    assert used == [application.id, application.id]
    # The token of one dataset opens no other
    with pytest.raises(access.AccessDenied):
        access.authorize(sample_catalog, "bus-ridership", token, 2, "data.csv")


def test_expired_token_is_refused(sample_catalog: CatalogStore) -> None:
    from sqlalchemy import update

    form = access.ApplicationForm.model_validate(GOOD_APPLICATION | {"commitment": True})
    application, _ = access.apply(sample_catalog, "clinic-visits", form)
    _, token = access.decide(sample_catalog, application.id, approve=True)
    apps = sample_catalog.tables.applications
    with sample_catalog.engine.begin() as conn:
        conn.execute(update(apps).values(expires_at=application.created_at))
    with pytest.raises(access.AccessDenied, match="过期"):
        access.authorize(sample_catalog, "clinic-visits", token, 1, "data.csv")
    with pytest.raises(access.AccessDenied, match="已处理"):
        access.decide(sample_catalog, application.id, approve=False)


def test_objections_over_http(client: TestClient, sample_catalog: CatalogStore) -> None:
    bad = client.post(
        "/datasets/bus-ridership/objections", data={"field": "不存在", "description": "错", "contact": ""}
    )
    assert bad.status_code == 400 and "问题描述：至少 5 个字符" in bad.text and "联系方式" in bad.text
    forged = client.post(
        "/datasets/bus-ridership/objections",
        data={"field": "身份证号", "description": "这一列有问题的说明", "contact": "a@b.cn"},
    )
    assert forged.status_code == 400 and "不属于本数据集" in forged.text
    response = client.post(
        "/datasets/bus-ridership/objections",
        follow_redirects=False,
        data={"field": "客流", "description": "<i>客流</i>数字偏大一倍", "contact": "me@example.cn"},
    )
    assert response.status_code == 303
    (filed,) = objections.list_objections(sample_catalog)
    objections.answer(sample_catalog, filed.id, "已核实，下一版更正。")
    page = client.get("/datasets/bus-ridership").text
    assert "已核实，下一版更正。" in page and "&lt;i&gt;客流&lt;/i&gt;" in page
    assert "me@example.cn" not in page  # contact stays with the steward


def test_steward_pages(client: TestClient, sample_catalog: CatalogStore) -> None:
    assert client.get("/steward", follow_redirects=False).status_code == 303
    assert client.post("/steward/login", data={"token": "wrong"}).status_code == 403
    assert client.post("/steward/applications/x/approve").status_code in (303, 200)  # redirected to login
    assert access.list_applications(sample_catalog) == []
    client.post("/datasets/clinic-visits/apply", data=GOOD_APPLICATION)
    (application,) = access.list_applications(sample_catalog)
    assert client.post("/steward/login", data={"token": STEWARD}).status_code == 200
    page = client.post(f"/steward/applications/{application.id}/approve", data={"note": "同意"}).text
    assert 'id="issued-token"' in page
    assert access.get(sample_catalog, application.id).status == "approved"
    again = client.post(f"/steward/applications/{application.id}/reject")
    assert again.status_code == 409
    assert client.post(f"/steward/applications/{application.id}/delete").status_code == 404


def test_steward_pages_absent_without_token(sample_catalog: CatalogStore) -> None:
    with TestClient(create_app(sample_catalog)) as plain:
        assert plain.get("/steward/login").status_code == 404
        assert plain.get("/steward").status_code == 404


def test_jsonld_of_portal_matches_files(client: TestClient, sample_catalog: CatalogStore) -> None:
    record = sample_catalog.latest("clinic-visits")
    served = client.get("/datasets/clinic-visits/dataset.jsonld").json()
    stored = json.loads((sample_catalog.root / record.release_path / "dataset.jsonld").read_text())
    assert served["dct:identifier"] == stored["dct:identifier"]
    assert served["dct:accessRights"] == stored["dct:accessRights"]


def test_older_versions_close_with_the_dataset(tmp_path) -> None:
    from tests.catalog.helpers import make_record, stage

    store = CatalogStore(tmp_path / "catalog")
    store.publish(make_record("bus-ridership"), stage(tmp_path / "s1"))
    with TestClient(create_app(store, "https://open.example.cn", STEWARD)) as c:
        assert c.get("/datasets/bus-ridership/versions/1/files/data.csv").status_code == 200
        store.publish(make_record("bus-ridership", cls="not_open", run_id="run-2"), None)
        # Re-declared not open: version 1's files are no longer served either.
        assert c.get("/datasets/bus-ridership/versions/1/files/data.csv").status_code == 404
