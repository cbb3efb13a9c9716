"""What users of CKAN, uData and Datasette expect of a catalog: a paged, sortable list with facet counts,
a preview of open data, and a changelog between any two versions.

The list page filters the latest records in Python (see `views.py`), then counts each facet value
over the datasets the other filters leave (as CKAN's facets do), sorts and cuts one page.

The preview reads the published Parquet file with pyarrow, only the row groups the page needs, and
only for unconditionally open datasets: a conditional dataset's rows need an approved application
and a not-open dataset has none, so both answer 404 here whatever the URL says.

The changelog compares two published versions from their records: published columns (added,
removed, retyped), row counts, the open decision and the quality verdict.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.changelog import schema_diff
from catalog.entry import published_class
from catalog.portal.views import listing, matches, summary_view
from catalog.record import ReleaseRecord
from quality.report import decision_sentence, verdict

if TYPE_CHECKING:
    from catalog.portal.app import Portal

FILTERS = ("q", "theme", "publisher", "cls", "fmt")
SORTS: dict[str, tuple[str, bool]] = {  # name -> (view key, descending)
    "modified": ("modified", True),
    "title": ("title", False),
    "rows": ("rows", True),
    "id": ("id", False),
}
SORT_LABELS = {"modified": "最近更新", "title": "名称", "rows": "记录数", "id": "标识符"}
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
PREVIEW_SIZE, MAX_PREVIEW_SIZE = 20, 200


def _number(request: Request, name: str, default: int, highest: int) -> int:
    """A page number or size from the query; anything that is not a whole number in range is a 404."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= highest:
        raise HTTPException(404)
    return int(text)


def facet_counts(views: list[dict[str, Any]], params: dict[str, str]) -> dict[str, dict[str, int]]:
    """For each facet, how many datasets each value would show given the other filters."""
    counts: dict[str, dict[str, int]] = {}
    for facet in ("theme", "publisher", "cls", "fmt"):
        others = {k: v for k, v in params.items() if k != facet}
        shown = [v for v in views if matches(v, others)]
        values = Counter(f for v in shown for f in v["formats"]) if facet == "fmt" else Counter(v[facet] for v in shown)
        counts[facet] = dict(values)
    return counts


def _sorted(views: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key, descending = SORTS[sort]
    present = [v for v in views if v[key] is not None]
    missing = [v for v in views if v[key] is None]
    return sorted(present, key=lambda v: (v[key], v["id"]), reverse=descending) + missing


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} 字节>"
    return value


def read_rows(path: Any, offset: int, count: int) -> tuple[int, list[str], list[list[Any]]]:
    """(total rows, column names, rows) of one page of a Parquet file, reading only its row groups."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    meta = parquet.metadata
    groups, first, start = [], None, 0
    for index in range(meta.num_row_groups):
        size = meta.row_group(index).num_rows
        if start + size > offset and start < offset + count:
            groups.append(index)
            first = start if first is None else first
        start += size
    names = parquet.schema_arrow.names
    if not groups:
        return meta.num_rows, names, []
    table = parquet.read_row_groups(groups).slice(offset - (first or 0), count)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return meta.num_rows, names, [[_cell(c[r]) for c in columns] for r in range(table.num_rows)]


class Explore:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    async def index(self, request: Request) -> Response:
        params = {key: request.query_params.get(key, "")[:100].strip() for key in FILTERS}
        sort = request.query_params.get("sort", "modified")
        if sort not in SORTS:
            sort = "modified"
        size = _number(request, "per_page", PAGE_SIZE, MAX_PAGE_SIZE)
        page = _number(request, "page", 1, 10**6)
        views = [summary_view(r) for r in self.portal.store.latest_records()]
        shown = _sorted([v for v in views if matches(v, params)], sort)
        pages = max(1, -(-len(shown) // size))
        if page > pages:
            raise HTTPException(404)
        return self.portal.page(
            request, "index.html", datasets=shown[(page - 1) * size : page * size], found=len(shown),
            total=len(views), params=params, facets=listing(views), counts=facet_counts(views, params),
            sort=sort, sorts=SORT_LABELS, page_number=page, pages=pages, per_page=size,
        )

    async def preview(self, request: Request) -> Response:
        record = self.portal.record_or_404(request.path_params["dataset_id"])
        if published_class(record) != "unconditional":
            raise HTTPException(404)
        output = next((o for o in record.outputs if o.format == "parquet"), None)
        if output is None:
            raise HTTPException(404)
        size = _number(request, "per_page", PREVIEW_SIZE, MAX_PREVIEW_SIZE)
        page = _number(request, "page", 1, 10**9)
        path = self.portal.store.root / (record.release_path or "") / output.path
        total, names, rows = read_rows(path, (page - 1) * size, size)
        pages = max(1, -(-total // size))
        if page > pages:
            raise HTTPException(404)
        types = {c.name: c.type for c in record.columns}
        columns = [{"name": n, "type": types.get(n, "string")} for n in names]
        return self.portal.page(
            request, "preview.html", record=record, columns=columns, rows=rows, total=total,
            page_number=page, pages=pages, per_page=size, offset=(page - 1) * size,
        )

    async def changes(self, request: Request) -> Response:
        record = self.portal.record_or_404(request.path_params["dataset_id"])
        versions = self.portal.store.versions(record.dataset.id)
        newer = _number(request, "to", record.version or 1, 10**9)
        older = _number(request, "from", max(1, newer - 1), 10**9)
        after = self.portal.record_or_404(record.dataset.id, newer)
        before = self.portal.record_or_404(record.dataset.id, older)
        return self.portal.page(
            request, "changes.html", record=record, versions=versions, before=_side(before),
            after=_side(after), schema=schema_diff(before, after), notes=after.version_notes,
        )


def _side(record: ReleaseRecord) -> dict[str, Any]:
    """One version's figures for the changelog: counts, class, decision and quality, never a value."""
    cls = published_class(record)
    decision = record.decision
    return {
        "version": record.version,
        "published_at": record.published_at,
        "cls": cls,
        "rows": record.rows_out if cls != "not_open" else None,
        "columns": len(record.columns) if cls != "not_open" else None,
        "suppressed": record.suppressed,
        "decision": decision_sentence(decision),
        "checks": {c.name: c.passed for c in decision.checks} if decision else {},
        "quality": verdict(record),
        "evaluation": record.evaluation.conclusion if record.evaluation else None,
    }


def explore_routes(portal: Portal) -> list[Route]:
    """Routes to register in the portal app: the list page, preview and changelog."""
    explore = Explore(portal)
    return [
        Route("/", explore.index),
        Route("/datasets/{dataset_id}/preview", explore.preview),
        Route("/datasets/{dataset_id}/changes", explore.changes),
    ]
