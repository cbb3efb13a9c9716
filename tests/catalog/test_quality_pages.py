"""The portal's quality pages: the Chinese report of a release and its plots across releases."""

from __future__ import annotations

import pytest

from catalog.portal import create_app
from catalog.store import CatalogStore
from quality.trends import MEASURES
from tests.catalog.helpers import portal_client_class


@pytest.fixture
def client(sample_catalog: CatalogStore):
    return portal_client_class()(create_app(sample_catalog))


def test_the_report_page_says_the_verdict_and_links_data_docs(client) -> None:
    page = client.get("/datasets/bus-ridership/quality")
    assert page.status_code == 200
    assert "质量检查结论" in page.text and ">通过</strong>" in page.text
    assert 'href="/datasets/bus-ridership/versions/2/quality/index.html"' in page.text
    assert client.get("/datasets/bus-ridership/versions/2/quality/report.html").status_code == 200


def test_an_older_version_has_its_own_report(client) -> None:
    assert "第 1 版，发布于" in client.get("/datasets/bus-ridership/quality?version=1").text
    assert client.get("/datasets/bus-ridership/quality?version=9").status_code == 404
    assert client.get("/datasets/bus-ridership/quality?version=x").status_code == 404


def test_the_dataset_page_links_report_and_trends(client) -> None:
    page = client.get("/datasets/bus-ridership").text
    assert 'href="/datasets/bus-ridership/quality"' in page
    assert 'href="/datasets/bus-ridership/quality/history"' in page
    assert "k-匿名" in page and "全部 1 项检查通过" in page


def test_history_shows_one_plot_per_measure(client) -> None:
    page = client.get("/datasets/bus-ridership/quality/history").text
    for key in MEASURES:
        assert f'src="/datasets/bus-ridership/quality/history/{key}.svg?v=2"' in page
    assert page.count("<tr><td><a") == 2


@pytest.mark.parametrize("key", list(MEASURES))
def test_plots_are_static_svg_with_text_as_paths(client, key: str) -> None:
    svg = client.get(f"/datasets/bus-ridership/quality/history/{key}.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text and "<script" not in svg.text and "<text" not in svg.text
    assert "http://" not in svg.text.replace("http://www.w3.org/", "").replace("http://purl.org/", "") \
        .replace("http://creativecommons.org/", "")


def test_unknown_measure_or_dataset_is_404(client) -> None:
    assert client.get("/datasets/bus-ridership/quality/history/values.svg").status_code == 404
    assert client.get("/datasets/nothing-here/quality").status_code == 404
    assert client.get("/datasets/nothing-here/quality/history").status_code == 404
