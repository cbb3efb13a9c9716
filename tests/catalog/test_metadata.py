"""DCAT-AP, Frictionless and Chinese catalog metadata of published releases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from catalog.datapackage import validate_package
from catalog.store import CatalogStore
from tests.catalog.helpers import make_record, stage

SPDX = Namespace("http://spdx.org/rdf/terms#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ZH_FIELDS = [
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
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> CatalogStore:
    root = tmp_path_factory.mktemp("meta")
    store = CatalogStore(root / "cat", base_url="https://data.example.cn")
    store.publish(make_record("bus-ridership"), stage(root / "a"))
    store.publish(make_record("bus-ridership", run_id="r2"), stage(root / "a2", offset=3))
    store.publish(make_record("clinic-visits", cls="conditional", title="门诊量", theme="医疗卫生"), stage(root / "b"))
    store.publish(make_record("court-cases", cls="not_open", title="案件", theme="司法"), None)
    yield store
    store.close()


def _graph(path: Path) -> Graph:
    return Graph().parse(path, format="json-ld")


def test_catalog_jsonld_describes_every_dataset(catalog: CatalogStore) -> None:
    g = _graph(catalog.root / "catalog.jsonld")
    (cat,) = g.subjects(RDF.type, DCAT.Catalog)
    datasets = set(g.objects(cat, DCAT.dataset))
    assert len(datasets) == 3
    for ds in datasets:
        for prop in (
            DCTERMS.title,
            DCTERMS.description,
            DCTERMS.publisher,
            DCAT.theme,
            DCAT.keyword,
            DCTERMS.identifier,
            DCTERMS.issued,
            DCTERMS.modified,
            DCTERMS.accessRights,
            DCTERMS.accrualPeriodicity,
            DCAT.contactPoint,
        ):
            assert g.value(ds, prop) is not None, (ds, prop)
    base = "https://data.example.cn/datasets/"
    rights = {str(ds): str(g.value(ds, DCTERMS.accessRights)) for ds in datasets}
    assert rights == {
        base + "bus-ridership": ACCESS + "PUBLIC",
        base + "clinic-visits": ACCESS + "RESTRICTED",
        base + "court-cases": ACCESS + "NON_PUBLIC",
    }
    assert list(g.objects(URIRef(base + "court-cases"), DCAT.distribution)) == []
    freq = g.value(URIRef(base + "bus-ridership"), DCTERMS.accrualPeriodicity)
    assert str(freq) == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN") in set(
        g.objects(URIRef(base + "bus-ridership"), DCAT.theme)
    )


def test_distributions_carry_checksums_and_download_urls(catalog: CatalogStore) -> None:
    record = catalog.latest("bus-ridership")
    g = _graph(catalog.root / record.release_path / "dataset.jsonld")
    ds = URIRef("https://data.example.cn/datasets/bus-ridership")
    assert g.value(ds, DCTERMS.identifier) == Literal("bus-ridership")
    dists = list(g.objects(ds, DCAT.distribution))
    assert len(dists) == 3
    by_sha = {o.sha256: o for o in record.outputs}
    for dist in dists:
        for prop in (
            DCAT.accessURL,
            DCAT.downloadURL,
            DCAT.mediaType,
            DCTERMS["format"],
            DCAT.byteSize,
            DCTERMS.license,
        ):
            assert g.value(dist, prop) is not None, prop
        checksum = g.value(dist, SPDX.checksum)
        assert str(g.value(checksum, SPDX.algorithm)).endswith("checksumAlgorithm_sha256")
        output = by_sha[str(g.value(checksum, SPDX.checksumValue))]
        assert int(g.value(dist, DCAT.byteSize)) == output.bytes
        assert str(g.value(dist, DCAT.downloadURL)).endswith(f"/versions/2/files/{output.path}")


def test_identifiers_are_stable_across_releases(catalog: CatalogStore) -> None:
    one = json.loads((catalog.root / "datasets/bus-ridership/1/dataset.jsonld").read_text())
    two = json.loads((catalog.root / "datasets/bus-ridership/2/dataset.jsonld").read_text())
    assert one["@id"] == two["@id"] and one["dct:identifier"] == two["dct:identifier"]
    assert [d["@id"] for d in one["dcat:distribution"]] == [d["@id"] for d in two["dcat:distribution"]]
    assert one["dct:issued"] == two["dct:issued"]


def test_conditional_access_url_leads_to_application(catalog: CatalogStore) -> None:
    record = catalog.latest("clinic-visits")
    doc = json.loads((catalog.root / record.release_path / "dataset.jsonld").read_text())
    assert all(d["dcat:accessURL"]["@id"].endswith("/clinic-visits/apply") for d in doc["dcat:distribution"])
    assert doc["dct:rights"]["rdfs:label"]["@value"] == "仅限科研用途"


def test_datapackage_validates_with_frictionless(catalog: CatalogStore) -> None:
    record = catalog.latest("bus-ridership")
    folder = catalog.root / record.release_path
    assert validate_package(folder) == []
    package = json.loads((folder / "datapackage.json").read_text())
    types = {f["name"]: f["type"] for f in package["resources"][0]["schema"]["fields"]}
    assert types == {"站点": "string", "日期": "date", "客流": "integer", "联系电话": "string"}
    assert {r["format"] for r in package["resources"]} == {"csv", "parquet", "json"}


def test_tampered_or_empty_file_fails_validation(catalog: CatalogStore, tmp_path: Path) -> None:
    import shutil

    record = catalog.latest("bus-ridership")
    copy = tmp_path / "copy"
    shutil.copytree(catalog.root / record.release_path, copy)
    (copy / "data.csv").write_text("站点,日期,客流,联系电话\n", encoding="utf-8")
    problems = validate_package(copy)
    assert any("table-dimensions" in p for p in problems)
    assert any("hash-count" in p for p in problems)


def test_chinese_catalog_fields_for_every_dataset(catalog: CatalogStore) -> None:
    for dataset_id in ("bus-ridership", "clinic-visits", "court-cases"):
        record = catalog.latest(dataset_id)
        saved = json.loads((catalog.root / record.release_path / "metadata.json").read_text())
        entry = saved["catalog_entry"]
        for field in ZH_FIELDS:
            assert field in entry, (dataset_id, field)
    entry = catalog.latest("clinic-visits").catalog_entry
    assert entry["开放属性"] == "有条件开放" and entry["开放条件"] == "仅限科研用途"
    assert entry["更新频率"] == "每月" and entry["数据格式"] == ["CSV", "JSON", "Parquet"]
    assert entry["信息项"][3] == {"名称": "联系电话", "类型": "字符串", "说明": "掩码（CN_PHONE）"}
    assert catalog.latest("court-cases").catalog_entry["数据量"] is None
