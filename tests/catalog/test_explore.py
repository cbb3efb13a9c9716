"""List paging, sorting and facet counts; the preview of open data; the changelog; JSON of every page."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.portal import create_app
from catalog.portal.explore import read_rows
from catalog.store import CatalogStore
from tests.catalog.helpers import portal_client_class


@pytest.fixture
def client(sample_catalog: CatalogStore):
    return portal_client_class()(create_app(sample_catalog))


def titles(html: str) -> list[str]:
    return re.findall(r'<li class="dataset" data-id="([a-z-]+)"', html)


def test_the_list_pages_and_sorts(client) -> None:
    assert titles(client.get("/?sort=id&per_page=2").text) == ["bus-ridership", "clinic-visits"]
    second = client.get("/?sort=id&per_page=2&page=2").text
    assert titles(second) == ["court-cases", "road-works"] and "第 2/2 页" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/?per_page=2&page=3").status_code == 404
    assert client.get("/?page=0").status_code == 404 and client.get("/?per_page=abc").status_code == 404
    assert titles(client.get("/?sort=bogus").text)  # an unknown sort falls back to the newest first


def test_pager_links_keep_the_filters(client) -> None:
    page = client.get("/?theme=交通出行&per_page=1&sort=id").text
    assert "共 1 个数据集" in page and 'rel="next"' not in page
    page = client.get("/?publisher=济南市交通运输局&per_page=1&sort=id").text
    assert re.search(r'href="/\?[^"]*publisher=%E6%B5%8E[^"]*page=2"', page)


def test_facets_show_counts_under_the_other_filters(client) -> None:
    page = client.get("/").text
    assert "济南市交通运输局（2）" in page and "CSV（3）" in page
    filtered = client.get("/?cls=conditional").text
    assert "济南市交通运输局（0）" in filtered and "济南市卫生健康委员会（1）" in filtered
    assert "有条件开放（1）" in filtered and "无条件开放（2）" in filtered  # its own facet ignores itself


def test_preview_of_an_open_dataset_with_types(client) -> None:
    page = client.get("/datasets/bus-ridership/preview?per_page=2")
    assert page.status_code == 200
    assert "共 3 条记录" in page.text and "integer" in page.text and "date" in page.text
    assert "站点0" in page.text and "站点2" not in page.text and 'rel="next"' in page.text
    assert "站点2" in client.get("/datasets/bus-ridership/preview?per_page=2&page=2").text
    assert client.get("/datasets/bus-ridership/preview?per_page=2&page=3").status_code == 404
    assert 'href="/datasets/bus-ridership/preview"' in client.get("/datasets/bus-ridership").text


@pytest.mark.parametrize("dataset", ["clinic-visits", "court-cases"])
def test_no_preview_of_conditional_or_not_open_data(client, dataset: str) -> None:
    assert client.get(f"/datasets/{dataset}/preview").status_code == 404
    assert client.get(f"/datasets/{dataset}/preview?format=json").status_code == 404
    assert "/preview" not in client.get(f"/datasets/{dataset}").text


def test_preview_reads_only_the_row_groups_of_the_page(tmp_path) -> None:
    path = tmp_path / "many.parquet"
    pq.write_table(pa.table({"n": list(range(1000))}), path, row_group_size=100)
    total, names, rows = read_rows(path, 250, 10)
    assert (total, names, rows) == (1000, ["n"], [[n] for n in range(250, 260)])
    assert read_rows(path, 995, 10)[2] == [[n] for n in range(995, 1000)]
    assert read_rows(path, 295, 10)[2] == [[n] for n in range(295, 305)]  # across two row groups


def test_changelog_between_versions(client) -> None:
    page = client.get("/datasets/bus-ridership/changes?from=1&to=2")
    assert page.status_code == 200
    assert "信息项无变化" in page.text and "k-匿名" in page.text and "第 1 版" in page.text
    assert "全部 1 项检查通过" in page.text
    assert client.get("/datasets/bus-ridership/changes?from=7").status_code == 404
    data = client.get("/datasets/bus-ridership/changes.json?from=1&to=2").json()
    assert data["schema"] == {"added": [], "removed": [], "retyped": []}
    assert (data["before"]["rows"], data["after"]["rows"]) == (3, 3)


@pytest.mark.parametrize("url", ["/", "/datasets/bus-ridership", "/datasets/bus-ridership/quality",
                                 "/datasets/bus-ridership/quality/history", "/datasets/bus-ridership/preview",
                                 "/datasets/clinic-visits/apply", "/datasets/bus-ridership/objections"])
def test_every_page_has_a_json_view(client, url: str) -> None:
    for variant in (url + ("&" if "?" in url else "?") + "format=json", (url.rstrip("/") or "/index") + ".json"):
        answer = client.get(variant)
        assert answer.status_code == 200, variant
        assert answer.headers["content-type"].startswith("application/json")
        data = answer.json()
        assert data["page"] and "csrf" not in data and "request" not in data


def test_json_views_keep_real_json_files(client) -> None:
    assert "resources" in client.get("/datasets/bus-ridership/datapackage.json").json()
    assert client.get("/datasets/bus-ridership/versions/2/metadata.json").json()["version"] == 2
    assert client.get("/datasets/nothing.json").json()["page"] == "message"
    assert client.get("/datasets/nothing.json").status_code == 404


def test_list_json_has_paging_and_counts(client) -> None:
    data = client.get("/index.json?per_page=1&sort=id").json()
    assert [d["id"] for d in data["datasets"]] == ["bus-ridership"]
    assert data["found"] == 4 and data["pages"] == 4 and data["counts"]["cls"]["unconditional"] == 2
