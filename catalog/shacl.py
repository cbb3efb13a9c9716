"""Validation of the catalog's RDF against the official DCAT-AP 3.0.1 SHACL shapes, with pySHACL, offline.

The shapes `owl:import` the EU code lists, which a CI machine cannot fetch; the few concepts Kaifang
uses ship in `vocabularies/eu-codelists.ttl`, typed as their authority tables type them, and are
mixed into the data graph as pySHACL's ontology graph. The shapes themselves are SEMIC's files
(CC-BY 4.0), kept outside the package in `../shared/reference/dcat-ap-3.0.1-shacl/` beside the
repository, or wherever `$KAIFANG_DCAT_AP_SHAPES` points.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Namespace

from catalog.vocab import VOCABULARY_DIR

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPES_ENV = "KAIFANG_DCAT_AP_SHAPES"
SHAPES_RELATIVE = Path("..") / "shared" / "reference" / "dcat-ap-3.0.1-shacl"
# What each file of the release checks (see the folder's NOTICE.md).
SHAPE_FILES = {
    "mandatory": "shapes.ttl",
    "range": "range.ttl",
    "vocabulary": "mdr-vocabularies.shape.ttl",
    "deprecated": "deprecateduris.ttl",
    "recommended": "shapes_recommended.ttl",
}
REQUIRED = ("mandatory", "range", "vocabulary", "deprecated")


def shapes_dir(repo_root: Path) -> Path | None:
    """The folder of the official shapes, or None when this machine has no copy."""
    folder = Path(os.environ.get(SHAPES_ENV) or (repo_root / SHAPES_RELATIVE))
    return folder if (folder / SHAPE_FILES["mandatory"]).is_file() else None


@cache
def vocabulary_graph() -> Graph:
    """The shipped EU code-list excerpt (access right, frequency, file type, language, theme, …)."""
    return Graph().parse(VOCABULARY_DIR / "eu-codelists.ttl", format="turtle")


@dataclass
class ShapeReport:
    """Results of one shapes file: each result as `severity focus path: message`."""

    shapes: str
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.shapes}: {len(self.violations)} violations, {len(self.warnings)} warnings"


def _results(results: Graph, name: str) -> ShapeReport:
    """Top-level results only: those under `sh:detail` explain a parent and take its severity."""
    report = ShapeReport(name)
    for result in results.objects(None, SH.result):
        severity = results.value(result, SH.resultSeverity)
        text = " ".join(
            str(results.value(result, prop) or "")
            for prop in (SH.focusNode, SH.resultPath, SH.resultMessage)
        )
        (report.violations if severity == SH.Violation else report.warnings).append(text)
    return report


def validate(data: Graph, folder: Path, which: tuple[str, ...] = REQUIRED) -> dict[str, ShapeReport]:
    """Run each named shapes file of `folder` over `data` (plus the shipped vocabularies)."""
    from pyshacl import validate as run_shacl  # slow import, only where validation runs

    # Mixed in by hand: pySHACL only mixes an ont_graph in when it runs inference, and RDFS/OWL
    # inference would add classes the shapes do not expect of a published graph.
    merged = data + vocabulary_graph()
    reports: dict[str, ShapeReport] = {}
    for name in which:
        shapes = Graph().parse(folder / SHAPE_FILES[name], format="turtle")
        _conforms, results, _text = run_shacl(merged, shacl_graph=shapes, inference="none", allow_warnings=True)
        reports[name] = _results(results, name)
    return reports


def count_by_message(reports: dict[str, ShapeReport]) -> Counter[str]:
    """How often each kind of result occurs, for a readable failure message."""
    return Counter(line.split(" ", 2)[-1] for report in reports.values() for line in report.violations)


def catalog_documents(catalog_root: Path) -> list[Path]:
    """catalog.jsonld and the dataset.jsonld of every published version, in a stable order."""
    found = sorted(catalog_root.glob("datasets/*/*/dataset.jsonld"))
    return [p for p in [catalog_root / "catalog.jsonld", *found] if p.is_file()]


def check_catalog(
    catalog_root: Path, folder: Path, which: tuple[str, ...] = (*REQUIRED, "recommended")
) -> dict[Path, dict[str, ShapeReport]]:
    """Every published JSON-LD document of a catalog folder against the shapes in `folder`."""
    return {
        path: validate(Graph().parse(path, format="json-ld"), folder, which) for path in catalog_documents(catalog_root)
    }
