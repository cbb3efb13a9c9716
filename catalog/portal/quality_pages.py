"""The portal's quality pages: the Chinese quality report of a release and quality over time.

`/datasets/<id>/quality` shows the report of the latest release (`?version=n` for another), the same
content as the `quality/report.html` file in the release folder. `/datasets/<id>/quality/history`
shows one plot per measure across the published releases; the plots are SVG drawn on the server
(`quality.trends`), served from `/datasets/<id>/quality/history/<measure>.svg` and cached per
dataset and latest version, so no script or CDN is involved.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from anonymizers.guard.evaluation import CHECK_ZH
from catalog.record import ReleaseRecord
from quality import trends
from quality.report import decision_sentence, render_body, report_context

if TYPE_CHECKING:
    from catalog.portal.app import Portal

_CACHE_LIMIT = 256


class QualityPages:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self._svg: dict[tuple[str, int, str], str] = {}
        self._lock = threading.Lock()

    def _release(self, request: Request) -> ReleaseRecord:
        text = request.query_params.get("version")
        if text is not None and not text.isdigit():
            raise HTTPException(404)
        return self.portal.record_or_404(request.path_params["dataset_id"], int(text) if text else None)

    def _published(self, dataset_id: str) -> list[ReleaseRecord]:
        store = self.portal.store
        return [r for r in (store.release(dataset_id, v) for v in store.versions(dataset_id)) if r]

    async def report(self, request: Request) -> Response:
        record = self._release(request)
        docs = None
        if record.quality and record.quality.docs_index and record.quality.docs_index.startswith("quality/"):
            docs = f"/datasets/{record.dataset.id}/versions/{record.version}/{record.quality.docs_index}"
        return self.portal.page(
            request, "quality_report.html", record=record, body=render_body(record, docs),
            report=report_context(record, docs), versions=self.portal.store.versions(record.dataset.id),
        )

    async def history(self, request: Request) -> Response:
        record = self.portal.record_or_404(request.path_params["dataset_id"])
        releases = self._published(record.dataset.id)
        return self.portal.page(
            request, "quality_history.html", record=record, measures=list(trends.MEASURES.values()),
            figures=trends.table(releases),
        )

    async def plot(self, request: Request) -> Response:
        record = self.portal.record_or_404(request.path_params["dataset_id"])
        key = request.path_params["measure"]
        if key not in trends.MEASURES:
            raise HTTPException(404)
        cache_key = (record.dataset.id, record.version or 0, key)
        with self._lock:
            svg = self._svg.get(cache_key)
        if svg is None:
            svg = trends.plot_svg(key, self._published(record.dataset.id))
            with self._lock:
                if len(self._svg) >= _CACHE_LIMIT:
                    self._svg.clear()
                self._svg[cache_key] = svg
        return Response(svg, media_type="image/svg+xml", headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        })


def quality_routes(portal: Portal) -> list[Route]:
    """Routes to register in the portal app."""
    pages = QualityPages(portal)
    # the dataset page names checks and the decision in Chinese
    portal.env.globals.update(check_zh=CHECK_ZH, decision_zh=decision_sentence)
    return [
        Route("/datasets/{dataset_id}/quality", pages.report),
        Route("/datasets/{dataset_id}/quality/history", pages.history),
        Route("/datasets/{dataset_id}/quality/history/{measure}.svg", pages.plot),
    ]
