"""The harvesting endpoint: the DCAT-AP catalog in pages, as JSON-LD, Turtle or RDF/XML.

Harvesters (ckanext-dcat's RDF harvester, data.europa.eu, piveau) fetch `/catalog` and follow the
Hydra paging triples until there is no next page, the way ckanext-dcat's own endpoint publishes
them: the page URL is a `hydra:PagedCollection` with `hydra:totalItems`, `hydra:itemsPerPage` and
`hydra:first`/`last`/`next`/`previous` (plus the older `firstPage`/`lastPage`/`nextPage`/
`previousPage` that older harvesters read). Datasets are ordered by their stable id, so a page holds
the same datasets from one harvest to the next unless datasets are added. Each page reads only its
own release records, so a catalog of tens of thousands of datasets costs one page per request.

Format: the extension (`/catalog.ttl`, `.rdf`, `.jsonld`) or `?format=` wins, else the Accept header
(JSON-LD when the client accepts anything). The same negotiation serves a dataset's version series
(`/datasets/<id>/series`) and each version (`/datasets/<id>/versions/<n>`, the target of
`dcat:previousVersion`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalog.dcat import CONTEXT, catalog_node, series_node, version_document
from catalog.record import utc_now

if TYPE_CHECKING:
    from catalog.portal.app import Portal

HYDRA = "http://www.w3.org/ns/hydra/core#"
PAGE_SIZE = 100  # ckanext-dcat's default
MAX_PAGE_SIZE = 1000
# format name -> (rdflib serializer, media type, extension)
FORMATS: dict[str, tuple[str, str, str]] = {
    "jsonld": ("json-ld", "application/ld+json", "jsonld"),
    "ttl": ("turtle", "text/turtle", "ttl"),
    "rdf": ("xml", "application/rdf+xml", "rdf"),
}
ALIASES = {
    "jsonld": "jsonld", "json-ld": "jsonld", "json": "jsonld",
    "ttl": "ttl", "turtle": "ttl",
    "rdf": "rdf", "xml": "rdf", "rdfxml": "rdf", "rdf+xml": "rdf",
}
MEDIA = {
    "application/ld+json": "jsonld", "application/json": "jsonld",
    "text/turtle": "ttl", "application/x-turtle": "ttl",
    "application/rdf+xml": "rdf", "application/xml": "rdf", "text/xml": "rdf",
}


def _accepted(header: str) -> list[tuple[float, int, str]]:
    """(quality, order, media range) of an Accept header, best first; malformed parts are skipped."""
    ranges = []
    for order, part in enumerate(header.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, order, media.lower()))
    return sorted(ranges)


def negotiate(request: Request, extension: str | None = None) -> str:
    """The format to answer with: extension, then ?format=, then Accept; 406 when nothing fits."""
    explicit = extension or request.query_params.get("format")
    if explicit:
        if explicit.lower() not in ALIASES:
            raise HTTPException(400, "unknown format: use jsonld, ttl or rdf")
        return ALIASES[explicit.lower()]
    header = request.headers.get("accept", "").strip()
    if not header:
        return "jsonld"
    for _quality, _order, media in _accepted(header):
        if media in MEDIA:
            return MEDIA[media]
        if media in ("*/*", "application/*"):
            return "jsonld"
    raise HTTPException(406, "not acceptable: this resource is available as JSON-LD, Turtle or RDF/XML")


def render(doc: dict[str, Any], fmt: str, headers: dict[str, str] | None = None) -> Response:
    """Serialize a JSON-LD document in the negotiated format (rdflib for Turtle and RDF/XML)."""
    serializer, media, _ext = FORMATS[fmt]
    if fmt == "jsonld":
        body = json.dumps(doc, ensure_ascii=False, indent=2)
    else:
        from rdflib import Graph

        graph = Graph().parse(data=json.dumps(doc, ensure_ascii=False), format="json-ld")
        for prefix, namespace in doc.get("@context", {}).items():
            graph.bind(prefix, namespace)
        body = graph.serialize(format=serializer)
    return Response(
        body,
        media_type=f"{media}; charset=utf-8",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
            "Vary": "Accept",
            **(headers or {}),
        },
    )


def _int_param(request: Request, name: str, default: int, highest: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= highest:
        raise HTTPException(400, f"{name} must be a whole number from 1 to {highest}")
    return int(text)


def paging(base_url: str, fmt: str, page: int, size: int, total: int) -> dict[str, Any]:
    """The hydra:PagedCollection node of one page, named by the page's own URL."""
    last = max(1, -(-total // size))
    ext = FORMATS[fmt][2]

    def url(number: int) -> str:
        query = {"page": number} | ({"per_page": size} if size != PAGE_SIZE else {})
        return f"{base_url}/catalog.{ext}?{urlencode(query)}"

    node: dict[str, Any] = {
        "@id": url(page),
        "@type": "hydra:PagedCollection",
        "hydra:totalItems": {"@value": str(total), "@type": "xsd:integer"},
        "hydra:itemsPerPage": {"@value": str(size), "@type": "xsd:integer"},
    }
    links = {"first": 1, "last": last, "next": page + 1 if page < last else None,
             "previous": page - 1 if page > 1 else None}
    for name, number in links.items():
        if number is not None:
            node[f"hydra:{name}"] = url(number)
            node[f"hydra:{name}Page"] = url(number)
    return node


class Harvest:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def _modified(self) -> datetime:
        """When the catalog last changed: the store rewrites catalog.jsonld at every publish."""
        path = self.portal.store.root / "catalog.jsonld"
        if not path.is_file():
            return utc_now()
        return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)

    async def catalog(self, request: Request) -> Response:
        fmt = negotiate(request, request.path_params.get("ext"))
        page = _int_param(request, "page", 1, 10**9)
        size = _int_param(request, "per_page", PAGE_SIZE, MAX_PAGE_SIZE)
        store, base = self.portal.store, self.portal.base_url
        ids = store.dataset_ids()
        if page > 1 and (page - 1) * size >= len(ids):
            raise HTTPException(404)
        records = [r for r in (store.latest(i) for i in ids[(page - 1) * size : page * size]) if r]
        node = catalog_node(records, base, modified=self._modified())
        pages = paging(base, fmt, page, size, len(ids))
        node["hydra:view"] = pages
        headers = {"Link": f'<{pages["hydra:next"]}>; rel="next"'} if "hydra:next" in pages else {}
        return render({"@context": {**CONTEXT, "hydra": HYDRA}, **node}, fmt, headers)

    async def series(self, request: Request) -> Response:
        fmt = negotiate(request)
        record = self.portal.record_or_404(request.path_params["dataset_id"])
        store, base = self.portal.store, self.portal.base_url
        node = series_node(record, base)
        members = [store.release(record.dataset.id, v) for v in store.versions(record.dataset.id)]
        node["dcat:seriesMember"] = [
            {k: v for k, v in version_document(m, base).items() if k != "@context"} for m in members if m
        ]
        return render({"@context": CONTEXT, **node}, fmt)

    async def version(self, request: Request) -> Response:
        fmt = negotiate(request)
        version = request.path_params["version"]
        record = self.portal.record_or_404(request.path_params["dataset_id"], version)
        return render(version_document(record, self.portal.base_url), fmt)


def harvest_routes(portal: Portal) -> list[Route]:
    """Routes to register in the portal app (before the dataset page routes)."""
    harvest = Harvest(portal)
    return [
        Route("/catalog", harvest.catalog),
        Route("/catalog.{ext:str}", harvest.catalog),
        Route("/datasets/{dataset_id}/series", harvest.series),
        Route("/datasets/{dataset_id}/versions/{version:int}", harvest.version),
    ]

