"""List-page views of records: one flat dict per dataset, the filters and the facet values.

Filtering happens in Python over the latest records: a municipal catalog holds hundreds to a few
thousand datasets, which is far below where an index or a search engine would pay off.
"""

from __future__ import annotations

from typing import Any

from catalog.entry import published_class
from catalog.record import ReleaseRecord
from catalog.vocab import CLASS_ZH

FORMAT_LABEL = {"csv": "CSV", "parquet": "Parquet", "json": "JSON"}


def summary_view(record: ReleaseRecord) -> dict[str, Any]:
    meta = record.dataset
    return {
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "publisher": meta.publisher,
        "theme": meta.theme,
        "keywords": meta.keywords,
        "cls": published_class(record),
        "formats": sorted({o.format for o in record.outputs}),
        "modified": record.published_at,
        "version": record.version,
        "rows": record.rows_out,
    }


def matches(view: dict[str, Any], params: dict[str, str]) -> bool:
    if params.get("theme") and view["theme"] != params["theme"]:
        return False
    if params.get("publisher") and view["publisher"] != params["publisher"]:
        return False
    if params.get("cls") and view["cls"] != params["cls"]:
        return False
    if params.get("fmt") and params["fmt"] not in view["formats"]:
        return False
    query = params.get("q", "").lower()
    if query:
        haystack = " ".join(
            [view["title"], view["description"], view["publisher"], view["theme"], view["id"], *view["keywords"]]
        ).lower()
        return all(word in haystack for word in query.split())
    return True


def listing(views: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Facet choices as (value, label), built from what is actually published."""
    return {
        "theme": [(t, t) for t in sorted({v["theme"] for v in views})],
        "publisher": [(p, p) for p in sorted({v["publisher"] for v in views})],
        "cls": [(c, CLASS_ZH[c]) for c in CLASS_ZH if any(v["cls"] == c for v in views)],
        "fmt": [(f, FORMAT_LABEL.get(f, f)) for f in sorted({f for v in views for f in v["formats"]})],
    }
