"""DCAT-AP 3.0.1 as the official SHACL shapes check it, DCAT 3 versions, and the Chinese catalog fields.

The shapes are SEMIC's release files in ../shared/reference/dcat-ap-3.0.1-shacl/ beside the
repository (CI has a copy); the EU code lists they import ship in catalog/vocabularies/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from catalog.coverage import publisher_region, publisher_type
from catalog.record import DatasetMeta
from catalog.shacl import REQUIRED, shapes_dir, validate
from catalog.staging import write_staged
from catalog.store import CatalogStore
from catalog.zhcat import FIELDS
from tests.catalog.helpers import build_catalog, frame, make_record, stage

ROOT = Path(__file__).resolve().parents[2]
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
KF = Namespace("https://w3id.org/kaifang/zh#")
BASE = "http://localhost:8000/datasets/"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CatalogStore:
    store = build_catalog(tmp_path_factory.mktemp("dcat-ap"))
    yield store
    store.close()


def _graph(path: Path) -> Graph:
    return Graph().parse(path, format="json-ld")


def _documents(store: CatalogStore) -> list[Path]:
    return [store.root / "catalog.jsonld", *sorted(store.root.glob("datasets/*/*/dataset.jsonld"))]


def official_shapes() -> Path:
    folder = shapes_dir(ROOT)
    if folder is None:
        pytest.skip(f"DCAT-AP 3.0.1 shapes not found at {ROOT / '../shared/reference/dcat-ap-3.0.1-shacl'}")
    return folder


def test_catalog_and_every_dataset_pass_the_official_shapes(store: CatalogStore) -> None:
    folder = official_shapes()
    for path in _documents(store):
        reports = validate(_graph(path), folder, REQUIRED)
        problems = [line for report in reports.values() for line in report.violations]
        assert problems == [], (path.name, problems[:10])


def test_recommended_properties_are_filled_where_the_data_has_them(store: CatalogStore) -> None:
    folder = official_shapes()
    (report,) = validate(_graph(store.root / "catalog.jsonld"), folder, ("recommended",)).values()
    missing = {line.split(" ", 2)[-1] for line in report.warnings}
    # What is left: no distribution and no dates for the not-open dataset (it publishes no data), and
    # no bounding box or centroid for the places (no geometry is recorded for a GB/T 2260 region).
    assert all("court-cases" in m or "bbox" in m or "centroid" in m for m in missing), missing


def test_typed_values_the_range_shapes_check(store: CatalogStore) -> None:
    g = _graph(store.root / "datasets/bus-ridership/2/dataset.jsonld")
    ds = URIRef(BASE + "bus-ridership")
    dist = next(iter(g.objects(ds, DCAT.distribution)))
    assert (g.value(dist, DCAT.mediaType), RDF.type, DCT.MediaType) in g
    licence = g.value(dist, DCT.license)
    assert (licence, RDF.type, DCT.LicenseDocument) in g
    assert str(g.value(licence, DCT.type)) == "http://purl.org/adms/licencetype/Attribution"
    algorithm = g.value(g.value(dist, SPDX.checksum), SPDX.algorithm)
    assert str(algorithm) == "https://spdx.org/rdf/terms#checksumAlgorithm_sha256"
    assert str(g.value(dist, URIRef("http://data.europa.eu/r5r/availability"))).endswith("/STABLE")
    assert g.value(dist, DCT.description) is not None
    assert (g.value(ds, DCT.conformsTo), RDF.type, DCT.Standard) in g
    assert (g.value(ds, DCAT.landingPage), RDF.type, URIRef("http://xmlns.com/foaf/0.1/Document")) in g
    publisher = g.value(ds, DCT.publisher)
    assert str(g.value(publisher, DCT.type)) == "http://purl.org/adms/publishertype/LocalAuthority"


def test_spatial_is_the_gbt2260_region_of_the_publisher(store: CatalogStore) -> None:
    g = _graph(store.root / "datasets/bus-ridership/2/dataset.jsonld")
    places = {str(p) for p in g.objects(URIRef(BASE + "bus-ridership"), DCT.spatial)}
    assert places == {
        "https://w3id.org/kaifang/gbt2260/370100",
        "http://publications.europa.eu/resource/authority/country/CHN",
    }


def test_temporal_coverage_from_published_dates_coarsened_for_restricted_data(store: CatalogStore) -> None:
    assert store.latest("bus-ridership").temporal.model_dump() == {"start": "2024-01-01", "end": "2024-01-01"}
    assert store.latest("clinic-visits").temporal.model_dump() == {"start": "2024-01", "end": "2024-01"}
    assert store.latest("court-cases").temporal is None
    g = _graph(store.root / "datasets/clinic-visits/1/dataset.jsonld")
    period = g.value(URIRef(BASE + "clinic-visits"), DCT.temporal)
    assert g.value(period, DCAT.startDate).datatype == URIRef("http://www.w3.org/2001/XMLSchema#gYearMonth")


def test_chinese_themes_are_kept_and_mapped_to_eu_themes(store: CatalogStore) -> None:
    g = _graph(store.root / "catalog.jsonld")
    themes = set(g.objects(URIRef(BASE + "clinic-visits"), DCAT.theme))
    eu = URIRef("http://publications.europa.eu/resource/authority/data-theme/HEAL")
    (own,) = themes - {eu}
    assert eu in themes and str(g.value(own, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))) == "医疗卫生"


def test_each_release_is_a_version_in_the_dataset_series(store: CatalogStore) -> None:
    g = _graph(store.root / "datasets/bus-ridership/2/dataset.jsonld")
    ds = URIRef(BASE + "bus-ridership")
    series = g.value(ds, DCAT.inSeries)
    assert (series, RDF.type, DCAT.DatasetSeries) in g and str(series) == BASE + "bus-ridership/series"
    assert g.value(ds, DCAT.version) == Literal("2")
    assert str(g.value(ds, DCAT.previousVersion)) == BASE + "bus-ridership/versions/1"
    assert "第 2 版" in str(g.value(ds, ADMS.versionNotes))
    assert g.value(ds, DCT.issued).toPython() <= g.value(ds, DCT.modified).toPython()
    first = _graph(store.root / "datasets/bus-ridership/1/dataset.jsonld")
    assert first.value(ds, DCAT.previousVersion) is None
    assert str(first.value(ds, ADMS.versionNotes)).startswith("首次发布")


def test_changelog_names_counts_and_published_columns_only(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "cat")
    store.publish(make_record("bus-ridership"), stage(tmp_path / "a"))
    second = make_record("bus-ridership", run_id="r2")
    second.rows_out = 5
    store.publish(second, stage(tmp_path / "b", rows=5))
    notes = store.latest("bus-ridership").version_notes
    assert "记录数 3 → 5" in notes and "数据文件已更新" in notes
    assert "站点" not in notes  # unchanged columns are not listed, and no cell value ever is
    store.close()


def test_changelog_never_names_a_column_that_is_no_longer_published(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "cat")
    store.publish(make_record("bus-ridership"), stage(tmp_path / "a"))
    second = make_record("bus-ridership", run_id="r2")
    second.columns = [c for c in second.columns if c.name != "联系电话"]
    folder = stage(tmp_path / "b")
    for path in folder.glob("data.*"):
        path.unlink()
    write_staged(frame().drop(columns=["联系电话"]), folder, second.columns, ("csv",))
    store.publish(second, folder)
    notes = store.latest("bus-ridership").version_notes
    assert "移除信息项 1 个" in notes and "联系电话" not in notes
    store.close()


def test_chinese_fields_in_the_kaifang_namespace(store: CatalogStore) -> None:
    g = _graph(store.root / "datasets/clinic-visits/1/dataset.jsonld")
    ds = URIRef(BASE + "clinic-visits")
    assert str(g.value(ds, KF.openClass)) == "有条件开放"
    assert str(g.value(ds, KF.openConditions)) == "仅限科研用途"
    assert str(g.value(ds, KF.updateFrequency)) == "每月"
    assert str(g.value(ds, KF.resourceType)) == "数据集"
    entry = json.loads((store.root / "datasets/clinic-visits/1/metadata.json").read_text())["catalog_entry"]
    assert entry["空间范围"] == "山东省济南市（370100）" and entry["时间范围"] == "2024-01 至 2024-01"


def test_every_chinese_field_is_documented_with_its_dcat_mapping(store: CatalogStore) -> None:
    docs = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")
    for field in FIELDS:
        assert f"| {field.key} | `kf:{field.name}` |" in docs, field.key
    entry = store.latest("bus-ridership").catalog_entry
    assert set(entry) == {f.key for f in FIELDS}


@pytest.mark.parametrize(
    ("publisher", "code", "region", "kind"),
    [
        ("济南市人力资源和社会保障局", "11370100004189523X", "370100", "LocalAuthority"),
        ("某某中心", "11370200004189523X", "370200", "LocalAuthority"),  # the code wins over the name
        ("济南市文化和旅游局", None, "370100", "LocalAuthority"),
        ("山东省大数据局", None, "370000", "RegionalAuthority"),
        ("北京市交通委员会", None, "110000", "RegionalAuthority"),
        ("国家统计局", None, None, "NationalAuthority"),
        ("某某公司", "JN-JT", None, None),
    ],
)
def test_publisher_region_and_type(publisher: str, code: str | None, region: str | None, kind: str | None) -> None:
    meta = _meta(publisher, code)
    found = publisher_region(meta)
    assert (found.code if found else None) == region
    assert publisher_type(meta) == kind


def _meta(publisher: str, code: str | None) -> DatasetMeta:
    return DatasetMeta(
        id="x-y-z", title="t", description="d", publisher=publisher, publisher_code=code, theme="t",
        update_frequency="monthly", licence="CC-BY-4.0", declared_class="unconditional",
    )


@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=20)))
def test_region_lookup_never_fails_and_names_a_real_code(publisher: str, code: str | None) -> None:
    region = publisher_region(_meta(publisher, code))
    assert region is None or (len(region.code) == 6 and region.code.isdigit() and region.name)


def test_shipped_namespace_file_matches_the_field_list() -> None:
    from rdflib.compare import isomorphic

    from catalog.vocab import VOCABULARY_DIR
    from catalog.zhcat import namespace_turtle

    shipped = Graph().parse(VOCABULARY_DIR / "kaifang-zh.ttl", format="turtle")
    assert isomorphic(shipped, Graph().parse(data=namespace_turtle(), format="turtle"))
    assert len(set(shipped.subjects(RDF.type, RDF.Property))) == len(FIELDS)
