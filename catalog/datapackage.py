"""Frictionless `datapackage.json` for a release, and its validation.

Each data file becomes a tabular resource with a Table Schema built from `record.columns`, so a
user who downloads only the CSV still knows the types. Validation adds a minimum-rows check because
the library's defaults accept a header-only CSV, the commonest defect audits find on portals.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from catalog.dp_meta import measure_notes, statement
from catalog.entry import DEFAULT_BASE_URL, dataset_url
from catalog.record import ReleaseRecord
from catalog.vocab import licence_uri

# Frictionless reads Parquet (pyarrow) and JSON (ijson) without its byte stream, so it cannot recount
# bytes or hash: declaring them makes `frictionless validate datapackage.json` report the package
# invalid ("expected is N and actual is None"). Those resources declare neither; the catalog computes
# both for every file and publishes them in `SHA256SUMS` and in the DCAT distributions (spdx:checksum).
_UNCOUNTABLE = {"parquet", "json"}


def resource_name(path: str) -> str:
    """A Frictionless resource name (lowercase, [a-z0-9._-]) unique per file: data.csv -> data-csv."""
    return re.sub(r"[^a-z0-9._-]+", "-", path.lower().replace(".", "-").replace("/", "-")).strip("-")


def table_schema(record: ReleaseRecord) -> dict[str, Any]:
    fields = []
    notes = measure_notes(record)
    for column in record.columns:
        field: dict[str, Any] = {"name": column.name, "type": column.type}
        if column.action != "keep":
            field["description"] = f"{column.action}" + (f" ({column.entity})" if column.entity else "")
        if column.name in notes:
            field["description"] = notes[column.name]
        fields.append(field)
    return {"fields": fields}


def build_datapackage(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    meta = record.dataset
    schema = table_schema(record)
    resources = []
    for output in record.outputs:
        resource: dict[str, Any] = {
            "name": resource_name(output.path),
            "type": "table",
            "path": output.path,
            "format": output.format,
            "mediatype": output.media_type,
            "schema": schema,
        }
        if output.format not in _UNCOUNTABLE:
            resource |= {"bytes": output.bytes, "hash": f"sha256:{output.sha256}"}
        if output.format != "parquet":
            resource["encoding"] = "utf-8"
        resources.append(resource)
    package = {
        "name": meta.id,
        "id": dataset_url(base_url, meta.id),
        "title": meta.title,
        "description": meta.description + (f"\n\n{dp}" if (dp := statement(record)) else ""),
        "version": str(record.version) if record.version is not None else None,
        "created": record.published_at.isoformat() if record.published_at else None,
        "keywords": list(meta.keywords),
        "licenses": [{"name": meta.licence, "path": licence_uri(meta.licence)}],
        "contributors": [{"title": meta.publisher, "roles": ["publisher"]}],
        "resources": resources,
    }
    return {key: value for key, value in package.items() if value is not None}


def validate_package(folder: Path, min_rows: int = 1) -> list[str]:
    """Problems found by Frictionless in a release folder's package; empty when it is valid.

    Every resource is read in full: the types of every cell, the row count, and (for CSV and JSON) the
    byte count and hash declared in the package.
    """
    from frictionless import Checklist, Package, checks  # slow import, only where validation runs

    package = Package(str(folder / "datapackage.json"), basepath=str(folder))
    problems: list[str] = []
    for resource in package.resources:
        checklist = Checklist(checks=[checks.table_dimensions(min_rows=min_rows)])
        report = resource.validate(checklist, limit_errors=20)
        for task in report.tasks:
            problems.extend(f"{resource.name}: {_describe(error)}" for error in task.errors)
        problems.extend(f"{resource.name}: {_describe(error)}" for error in report.errors)
    return problems


def _describe(error: Any) -> str:
    """Where and what, never the offending cell: conditional data must not reach a log through here."""
    where = []
    if getattr(error, "row_number", None) is not None:
        where.append(f"row {error.row_number}")
    if getattr(error, "field_name", None):
        where.append(f"field {error.field_name}")
    place = f" ({', '.join(where)})" if where else ""
    note = "" if getattr(error, "cell", None) is not None else f": {error.note}"
    return f"{error.type}{place}{note}"
