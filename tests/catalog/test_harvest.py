"""A harvester's view of the portal: page through /catalog over real HTTP with rdflib, in three formats.

This is what ckanext-dcat's RDF harvester does: fetch the catalog, parse it, follow `hydra:next`
until there is none, and de-duplicate datasets on their URI.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from starlette.exceptions import HTTPException
from starlette.requests import Request

from catalog.portal import create_app
from catalog.portal.harvest import FORMATS as FORMAT_NAMES
from catalog.portal.harvest import negotiate
from catalog.record import ReleaseRecord
from catalog.shacl import REQUIRED, shapes_dir, validate
from catalog.store import CatalogStore
from tests.catalog.helpers import build_catalog, free_port, make_record, serve

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ROOT = Path(__file__).resolve().parents[2]
FORMATS = [("json-ld", "application/ld+json"), ("turtle", "text/turtle"), ("xml", "application/rdf+xml")]
DATASETS = {"bus-ridership", "clinic-visits", "court-cases", "road-works"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CatalogStore]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path_factory.mktemp("harvest"), base_url=base)
    with serve(create_app(store, base), port):
        yield base, store
    store.close()


def fetch(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def harvest(start: str, rdf_format: str, accept: str) -> tuple[Graph, list[Graph]]:
    """Follow hydra:next from `start`; returns the union graph and each page's graph."""
    union, pages, url = Graph(), [], start
    while url and len(pages) < 50:
        status, content_type, body = fetch(url, accept)
        assert status == 200 and content_type.startswith(accept), (url, status, content_type)
        page = Graph().parse(data=body, format=rdf_format)
        pages.append(page)
        union += page
        (view,) = page.subjects(RDF.type, HYDRA.PagedCollection)
        following = page.value(view, HYDRA.next)
        url = str(following) if following else None
    return union, pages


@pytest.mark.parametrize(("rdf_format", "accept"), FORMATS)
def test_harvester_pages_through_the_catalog(portal: tuple[str, CatalogStore], rdf_format: str, accept: str) -> None:
    base, _store = portal
    union, pages = harvest(f"{base}/catalog?per_page=3", rdf_format, accept)
    assert len(pages) == 2
    catalog = URIRef(f"{base}/catalog")
    found = {str(d).rsplit("/", 1)[-1] for d in union.objects(catalog, DCAT.dataset)}
    assert found == DATASETS
    per_page = [len(set(p.objects(catalog, DCAT.dataset))) for p in pages]
    assert per_page == [3, 1]
    (first_view,) = pages[0].subjects(RDF.type, HYDRA.PagedCollection)
    assert pages[0].value(first_view, HYDRA.totalItems).toPython() == 4
    assert str(pages[0].value(first_view, HYDRA.nextPage)) == str(pages[0].value(first_view, HYDRA.next))
    (last_view,) = pages[1].subjects(RDF.type, HYDRA.PagedCollection)
    assert pages[1].value(last_view, HYDRA.next) is None and pages[1].value(last_view, HYDRA.previous)


def test_a_harvested_page_passes_the_official_shapes(portal: tuple[str, CatalogStore]) -> None:
    folder = shapes_dir(ROOT)
    if folder is None:
        pytest.skip("DCAT-AP 3.0.1 shapes not found at ../shared/reference/dcat-ap-3.0.1-shacl")
    base, _store = portal
    _status, _type, body = fetch(f"{base}/catalog.ttl?per_page=3")
    reports = validate(Graph().parse(data=body, format="turtle"), folder, REQUIRED)
    assert [line for r in reports.values() for line in r.violations] == []


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/catalog.ttl", "text/turtle"),
        ("/catalog.rdf", "application/rdf+xml"),
        ("/catalog.jsonld", "application/ld+json"),
        ("/catalog?format=ttl", "text/turtle"),
        ("/catalog?format=rdf", "application/rdf+xml"),
    ],
)
def test_explicit_format_wins_over_accept(portal: tuple[str, CatalogStore], path: str, media: str) -> None:
    base, _store = portal
    status, content_type, _body = fetch(base + path, accept="application/ld+json")
    assert status == 200 and content_type.startswith(media)


def test_accept_header_negotiation(portal: tuple[str, CatalogStore]) -> None:
    base, _store = portal
    assert fetch(f"{base}/catalog", "text/html;q=0.9, text/turtle")[1].startswith("text/turtle")
    assert fetch(f"{base}/catalog", "application/rdf+xml;q=0.5, text/turtle;q=0.8")[1].startswith("text/turtle")
    assert fetch(f"{base}/catalog", "text/html,*/*;q=0.8")[1].startswith("application/ld+json")
    assert fetch(f"{base}/catalog")[1].startswith("application/ld+json")
    assert fetch(f"{base}/catalog", "text/html")[0] == 406


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=5000", "format=html"])
def test_bad_paging_or_format_is_refused(portal: tuple[str, CatalogStore], query: str) -> None:
    base, _store = portal
    assert fetch(f"{base}/catalog?{query}")[0] == 400


def test_page_after_the_last_is_not_found(portal: tuple[str, CatalogStore]) -> None:
    base, _store = portal
    assert fetch(f"{base}/catalog?page=3&per_page=3")[0] == 404


def test_json_ld_page_keeps_the_catalog_at_the_top(portal: tuple[str, CatalogStore]) -> None:
    base, _store = portal
    doc = json.loads(fetch(f"{base}/catalog.jsonld")[2])
    assert doc["@type"] == "dcat:Catalog" and len(doc["dcat:dataset"]) == 4
    assert doc["hydra:view"]["@type"] == "hydra:PagedCollection"


def test_series_lists_every_version_and_previous_version_dereferences(portal: tuple[str, CatalogStore]) -> None:
    base, _store = portal
    series_url = f"{base}/datasets/bus-ridership/series"
    status, _type, body = fetch(series_url, "text/turtle")
    assert status == 200
    g = Graph().parse(data=body, format="turtle")
    series = URIRef(series_url)
    assert (series, RDF.type, DCAT.DatasetSeries) in g
    members = set(g.objects(series, DCAT.seriesMember))
    assert {str(m) for m in members} == {f"{base}/datasets/bus-ridership/versions/{n}" for n in (1, 2)}
    for member in members:
        assert g.value(member, DCAT.inSeries) == series
    latest = Graph().parse(data=fetch(f"{base}/datasets/bus-ridership/dataset.jsonld")[2], format="json-ld")
    previous = latest.value(URIRef(f"{base}/datasets/bus-ridership"), DCAT.previousVersion)
    status, _type, body = fetch(str(previous), "text/turtle")
    assert status == 200
    assert Graph().parse(data=body, format="turtle").value(previous, DCAT.version) == Literal("1")
    assert fetch(f"{base}/datasets/bus-ridership/versions/9")[0] == 404


def test_paging_reads_only_the_page(portal: tuple[str, CatalogStore], monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalog of any size costs one page of records per request, not the whole catalog."""
    base, store = portal
    reads: list[str] = []
    original = CatalogStore.latest

    def counting(self: CatalogStore, dataset_id: str) -> ReleaseRecord | None:
        reads.append(dataset_id)
        return original(self, dataset_id)

    monkeypatch.setattr(CatalogStore, "latest", counting)
    assert fetch(f"{base}/catalog.ttl?per_page=1&page=2")[0] == 200
    assert reads == ["clinic-visits"]


def test_many_datasets_stay_harvestable(tmp_path: Path) -> None:
    """250 datasets at the default page size of 100: three pages, every dataset exactly once."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = CatalogStore(tmp_path / "cat", base_url=base)
    template = make_record("ds-000", cls="not_open")
    for n in range(250):
        record = template.model_copy(deep=True)
        record.dataset.id, record.version = f"ds-{n:03d}", 1
        folder = store.release_dir(record.dataset.id, 1)
        folder.mkdir(parents=True)
        (folder / "metadata.json").write_text(record.model_dump_json(), "utf-8")
        (folder.parent / "latest").write_text("1\n", "utf-8")
    with serve(create_app(store, base), port):
        union, pages = harvest(f"{base}/catalog", "turtle", "text/turtle")
    datasets = list(union.objects(URIRef(f"{base}/catalog"), DCAT.dataset))
    assert len(pages) == 3 and len(datasets) == len(set(datasets)) == 250
    store.close()


@given(st.text(max_size=200))
def test_any_accept_header_gets_a_format_or_406(header: str) -> None:
    scope = {"type": "http", "headers": [(b"accept", header.encode("latin-1", "ignore"))], "query_string": b""}
    try:
        chosen = negotiate(Request(scope))
    except HTTPException as refused:
        assert refused.status_code == 406
    else:
        assert chosen in FORMAT_NAMES
