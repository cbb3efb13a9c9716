"""A JSON view of every portal page, as Datasette offers: `?format=json` or the page's URL plus `.json`.

The JSON is the page's own template context (what the page shows), minus the request, the CSRF token
and pre-rendered HTML, so it can never say more than the page does. Records become their JSON form
(`model_dump(mode="json")`), dataclasses their fields, dates ISO strings.

`JsonSuffix` rewrites `/datasets/x.json` to `/datasets/x?format=json` before routing. Paths that
name a real file or a machine-readable document keep their `.json` (datapackage.json,
metadata.json, files and Data Docs under a version, static files, the APIs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

HIDDEN = {"request", "csrf", "csrf_field", "body"}
KEEP_SUFFIX_PREFIXES = ("/static/", "/api/", "/catalog")
KEEP_SUFFIX_PARTS = ("/versions/",)  # files, Data Docs, the report file, metadata
KEEP_SUFFIX_NAMES = ("/datapackage.json", "/metadata.json", "/dataset.jsonld")


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _plain(value: Any) -> Any:
    """A JSON-ready copy; callables and unknown objects are left out rather than guessed at."""
    if isinstance(value, Markup):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not callable(getattr(value, f.name))}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return None


def json_page(template: str, status: int, context: dict[str, Any], headers: dict[str, str] | None) -> Response:
    """The page's context as JSON, named after its template."""
    body = {"page": template.removesuffix(".html"),
            **{k: _plain(v) for k, v in context.items() if k not in HIDDEN and not callable(v)}}
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2), status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*", **(headers or {})},
    )


def _rewritable(path: str) -> bool:
    if not path.endswith(".json") or path.startswith(KEEP_SUFFIX_PREFIXES):
        return False
    return not any(part in path for part in KEEP_SUFFIX_PARTS) and not path.endswith(KEEP_SUFFIX_NAMES)


class JsonSuffix:
    """ASGI middleware: `<page>.json` is `<page>?format=json` (`/index.json` is the list page)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _rewritable(scope["path"]):
            path = scope["path"].removesuffix(".json")
            path = "/" if path in ("", "/index") else path
            query = scope.get("query_string", b"")
            scope = dict(scope, path=path, raw_path=quote(path).encode(),
                         query_string=(query + b"&" if query else b"") + b"format=json")
        await self.app(scope, receive, send)
