"""The demo releases as a data user and a harvester check them: the real `frictionless` CLI, unmodified,
on every published datapackage.json, and pySHACL with the official DCAT-AP 3.0.1 shapes on the
catalog and every dataset. The built-in samples are released into a temporary catalog, and one
dataset twice, so that a version series with a previous version is checked too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from catalog.shacl import REQUIRED, shapes_dir, validate
from tests.test_release_flow import edit_spec, run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FRICTIONLESS = Path(sys.executable).with_name("frictionless")
SAMPLES = {"jinan-social-insurance-enrolment", "jinan-enterprise-operations", "jinan-public-cultural-venues",
           "jinan-social-insurance-statistics"}  # the last: DP statistics (release: aggregate)


@pytest.fixture(scope="module")
def released(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples released once, then the cultural venues again with a new description (version 2)."""
    project = tmp_path_factory.mktemp("standards")
    shutil.copytree(ROOT / "configs", project / "configs")
    (project / "catalog").mkdir()
    first = run(project)
    assert {k: r["status"] for k, r in first.items()} == dict.fromkeys(SAMPLES, "published")
    spec = edit_spec(project, "cultural-venues.yaml", description="全市公共文化场馆的名称、地址与开放时间（第二版）。")
    assert run(project, spec)["jinan-public-cultural-venues"]["status"] == "published"
    return project / "catalog"


def test_frictionless_cli_accepts_every_published_package(released: Path) -> None:
    packages = sorted(released.glob("datasets/*/*/datapackage.json"))
    assert len(packages) == 5  # four datasets, one of them in two versions
    for package in packages:
        result = subprocess.run(
            [str(FRICTIONLESS), "validate", "datapackage.json"],
            cwd=package.parent, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, (package.relative_to(released), result.stdout[-2000:])


def test_official_dcat_ap_shapes_find_no_violation(released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shapes_dir(ROOT)
    if folder is None:
        pytest.skip(f"DCAT-AP 3.0.1 shapes not found at {ROOT / '../shared/reference/dcat-ap-3.0.1-shacl'}")
    documents = [released / "catalog.jsonld", *sorted(released.glob("datasets/*/*/dataset.jsonld"))]
    assert len(documents) == 6
    for path in documents:
        reports = validate(Graph().parse(path, format="json-ld"), folder, (*REQUIRED, "recommended"))
        violations = [line for r in reports.values() for line in r.violations]
        assert violations == [], (path.relative_to(released), violations[:10])
        with capsys.disabled():
            print(f"\n{path.relative_to(released)}: " + "; ".join(r.summary() for r in reports.values()))


def test_versions_form_a_series_with_changelog(released: Path) -> None:
    g = Graph().parse(released / "datasets/jinan-public-cultural-venues/2/dataset.jsonld", format="json-ld")
    (dataset,) = g.subjects(DCAT.inSeries, None)
    assert g.value(dataset, DCAT.version) == Literal("2")
    assert str(g.value(dataset, DCAT.previousVersion)).endswith("/datasets/jinan-public-cultural-venues/versions/1")
    assert "第 2 版" in str(g.value(dataset, ADMS.versionNotes))
    assert g.value(dataset, DCT.issued) is not None and g.value(dataset, DCT.modified) is not None


def test_demo_datasets_have_coverage_from_their_published_dates(released: Path) -> None:
    catalog = Graph().parse(released / "catalog.jsonld", format="json-ld")
    jinan = URIRef("https://w3id.org/kaifang/gbt2260/370100")
    for dataset_id in SAMPLES:
        dataset = next(d for d in catalog.subjects(DCT.identifier, Literal(dataset_id)))
        assert jinan in set(catalog.objects(dataset, DCT.spatial)), dataset_id
    insurance = next(catalog.subjects(DCT.identifier, Literal("jinan-social-insurance-enrolment")))
    # 参保日期 is a quasi-identifier of this release (generalized by the search), and quasi-identifiers
    # never feed the temporal coverage: the dataset states none rather than one derived from them.
    assert catalog.value(insurance, DCT.temporal) is None


def test_catalog_shacl_command_reports_the_same(released: Path) -> None:
    folder = shapes_dir(ROOT)
    if folder is None:
        pytest.skip("DCAT-AP 3.0.1 shapes not found at ../shared/reference/dcat-ap-3.0.1-shacl")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("kaifang")), "catalog", "shacl", "--catalog", str(released),
         "--shapes", str(folder)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("mandatory: 0 violations") == 6
