"""The read part of CKAN's Action API, so CKAN harvesters and the `ckanapi` client work against the portal.

Served under `/api/3/action/<name>` and `/api/action/<name>` (both as CKAN serves them), by GET with
query parameters or by POST with a JSON body (`ckanapi.RemoteCKAN` POSTs). Every answer is CKAN's
envelope `{"help": ..., "success": true, "result": ...}`; errors keep CKAN's shape
(`{"success": false, "error": {"__type": "Not Found Error", "message": ...}}`) and status codes
(400 bad request or validation, 404 not found, 409 search query), because `ckanapi` turns exactly
those `__type`s back into its exceptions.

Packages are `catalog.ckan.package_dict` (the same mapping the optional CKAN push sends), plus the
organization (the publisher) and the group (the theme) CKAN clients expect. A conditional dataset's
resources point to its application page and it lists its conditions: a download URL would only
answer 403 without an approved token, and a harvester copying it would mislead its users. Not-open
datasets have no resources at all.

`package_search` reads `q` (words over title, description, publisher, theme, keywords and id),
`fq` (Solr-style `field:value` terms, `-field:value` to exclude; fields: name, organization,
groups, tags, res_format, license_id, access), `rows` (default 10, at most 1000), `start`, `sort`
and `facet.field`, over the latest release of each dataset.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slugify import slugify
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from catalog.ckan import package_dict
from catalog.entry import conditions_text, dataset_url, published_class
from catalog.record import ReleaseRecord
from catalog.vocab import CLASS_ZH

if TYPE_CHECKING:
    from catalog.portal.app import Portal

CKAN_VERSION = "2.10.4"  # the API generation answered (3), in the version string clients check
MAX_ROWS = 1000
FQ_TERM = re.compile(r'\s*([+-]?)([\w.]+):(?:"([^"]*)"|(\S+))')
SORTS = {"name": lambda p: p["name"], "title_string": lambda p: p["title"],
         "metadata_modified": lambda p: p.get("metadata_modified") or "",
         "metadata_created": lambda p: p.get("metadata_created") or ""}


class ApiError(Exception):
    """An answer in CKAN's error shape: status, __type and message (names no value of the request)."""

    def __init__(self, status: int, kind: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.fields = status, kind, message, fields


def org_name(publisher: str) -> str:
    """A CKAN name (lower-case ASCII, dashes) for a publisher or theme: its pinyin, stable across runs."""
    return slugify(publisher, max_length=100) or "unnamed"


def _organization(record: ReleaseRecord) -> dict[str, Any]:
    meta = record.dataset
    name = org_name(meta.publisher)
    return {"id": name, "name": name, "title": meta.publisher, "display_name": meta.publisher,
            "type": "organization", "is_organization": True, "state": "active", "approval_status": "approved",
            "description": "", "image_url": ""}


def _group(theme: str) -> dict[str, Any]:
    name = org_name(theme)
    return {"id": name, "name": name, "title": theme, "display_name": theme, "description": "", "image_url": ""}


def package(record: ReleaseRecord, base_url: str) -> dict[str, Any]:
    """CKAN's package_show result for a dataset's latest release."""
    result = package_dict(record, base_url)
    cls = published_class(record)
    page = dataset_url(base_url, record.dataset.id)
    organization = _organization(record)
    result.update(
        id=record.dataset.id, type="dataset", state="active", owner_org=organization["id"],
        organization=organization, groups=[_group(record.dataset.theme)],
        author=record.dataset.publisher,
        metadata_created=record.issued.isoformat() if record.issued else None,
        metadata_modified=record.published_at.isoformat() if record.published_at else None,
        license_title=record.dataset.licence, isopen=cls == "unconditional",
    )
    extras = result.setdefault("extras", [])
    extras.append({"key": "access", "value": cls})
    extras.append({"key": "access_zh", "value": CLASS_ZH[cls]})
    if cls == "conditional":
        apply_url = f"{page}/apply"
        result["conditions"] = conditions_text(record)
        result["application_url"] = apply_url
        extras.append({"key": "application_url", "value": apply_url})
        for resource in result["resources"]:
            resource["url"] = apply_url  # never the file: it needs an approved application
            resource["url_type"] = "application"
            resource["access_url"] = apply_url
    for position, resource in enumerate(result["resources"]):
        resource.update(id=f"{record.dataset.id}-v{record.version}-{resource.get('kaifang_path', position)}",
                        package_id=record.dataset.id, position=position, state="active")
    result["num_resources"] = len(result["resources"])
    result["tags"] = [dict(tag, display_name=tag["name"], state="active") for tag in result.get("tags", [])]
    result["num_tags"] = len(result["tags"])
    return result


def _field_values(pkg: dict[str, Any], field: str) -> list[str]:
    extras = {e["key"]: e["value"] for e in pkg.get("extras", [])}
    values: dict[str, Callable[[], list[str]]] = {
        "name": lambda: [pkg["name"]],
        "id": lambda: [pkg["name"]],
        "organization": lambda: [pkg["organization"]["name"]],
        "groups": lambda: [g["name"] for g in pkg["groups"]],
        "tags": lambda: [t["name"] for t in pkg["tags"]],
        "res_format": lambda: [r["format"] for r in pkg["resources"]],
        "license_id": lambda: [pkg.get("license_id", "")],
        "access": lambda: [extras.get("access", "")],
    }
    if field not in values:
        raise ApiError(409, "Search Query Error", f"Search Query Error: unknown field '{field[:40]}'")
    return values[field]()


def parse_fq(text: str) -> list[tuple[bool, str, str]]:
    """(include, field, value) terms of a Solr-style filter query; anything else is a search query error."""
    terms, position = [], 0
    text = text.strip()
    while position < len(text):
        match = FQ_TERM.match(text, position)
        if not match:
            raise ApiError(409, "Search Query Error", "Search Query Error: fq takes field:value terms")
        sign, field, quoted, bare = match.groups()
        terms.append((sign != "-", field.removeprefix("+"), quoted if quoted is not None else bare))
        position = match.end()
    return terms


def _matches_words(pkg: dict[str, Any], words: list[str]) -> bool:
    haystack = " ".join([pkg["name"], pkg["title"], pkg.get("notes", ""), pkg["organization"]["title"],
                         *(g["title"] for g in pkg["groups"]), *(t["name"] for t in pkg["tags"])]).lower()
    return all(word in haystack for word in words)


def _int(params: dict[str, Any], name: str, default: int, highest: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(409, "Validation Error", "Validation Error", **{name: ["Invalid integer"]}) from None
    if number < 0:
        raise ApiError(409, "Validation Error", "Validation Error", **{name: ["Must be a natural number"]})
    return min(number, highest)


def _sort(packages: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """CKAN's `sort` ("metadata_modified desc, name asc"); score sorts are the stable id order."""
    for clause in reversed([c.strip() for c in sort.split(",") if c.strip()]):
        field, _, direction = clause.partition(" ")
        if field == "score":
            continue
        if field not in SORTS or direction.strip() not in ("", "asc", "desc"):
            raise ApiError(409, "Search Query Error", "Search Query Error: cannot sort by that field")
        packages = sorted(packages, key=SORTS[field], reverse=direction.strip() == "desc")
    return packages


def _facets(packages: list[dict[str, Any]], fields: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    facets, search_facets = {}, {}
    for field in fields:
        counts = Counter(v for p in packages for v in dict.fromkeys(_field_values(p, field)))
        titles = {}
        for p in packages:
            if field == "organization":
                titles[p["organization"]["name"]] = p["organization"]["title"]
            elif field == "groups":
                titles.update({g["name"]: g["title"] for g in p["groups"]})
        facets[field] = dict(counts)
        search_facets[field] = {"title": field, "items": [
            {"name": name, "display_name": titles.get(name, name), "count": count}
            for name, count in counts.most_common()]}
    return facets, search_facets


class CkanApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "package_list": self.package_list, "package_show": self.package_show,
            "package_search": self.package_search, "organization_list": self.organization_list,
            "group_list": self.group_list, "status_show": self.status_show,
            "organization_show": self.organization_show, "group_show": self.group_show,
        }

    def _packages(self) -> list[dict[str, Any]]:
        base = self.portal.base_url
        return [package(r, base) for r in sorted(self.portal.store.latest_records(), key=lambda r: r.dataset.id)]

    def package_list(self, params: dict[str, Any]) -> list[str]:
        names = self.portal.store.dataset_ids()
        start = _int(params, "offset", 0, 10**9)
        limit = _int(params, "limit", len(names), 10**9) if "limit" in params else len(names)
        return names[start : start + limit]

    def package_show(self, params: dict[str, Any]) -> dict[str, Any]:
        ident = str(params.get("id") or params.get("name_or_id") or "")
        if not ident:
            raise ApiError(409, "Validation Error", "Validation Error", id=["Missing value"])
        if ident not in self.portal.store.dataset_ids():
            raise ApiError(404, "Not Found Error", "Not found")
        record = self.portal.store.latest(ident)
        if record is None:
            raise ApiError(404, "Not Found Error", "Not found")
        return package(record, self.portal.base_url)

    def package_search(self, params: dict[str, Any]) -> dict[str, Any]:
        rows, start = _int(params, "rows", 10, MAX_ROWS), _int(params, "start", 0, 10**9)
        query = str(params.get("q") or "").strip()
        terms = parse_fq(str(params.get("fq") or ""))
        words = []
        for word in query.split():
            if word in ("*:*", "*"):
                continue
            terms_in_q = FQ_TERM.fullmatch(word)
            if terms_in_q:
                terms += parse_fq(word)
            else:
                words.append(word.lower())
        found = [p for p in self._packages() if _matches_words(p, words) and all(
            (value in _field_values(p, field)) == include for include, field, value in terms)]
        found = _sort(found, str(params.get("sort") or "score desc, metadata_modified desc"))
        fields = params.get("facet.field") or []
        if isinstance(fields, str):
            try:
                fields = json.loads(fields)
            except ValueError:
                fields = [fields]  # one field, as a repeated query parameter sends it
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise ApiError(409, "Validation Error", "Validation Error", **{"facet.field": ["Not a list"]})
        facets, search_facets = _facets(found, fields)
        return {"count": len(found), "results": found[start : start + rows], "sort": params.get("sort"),
                "facets": facets, "search_facets": search_facets}

    def _listing(self, params: dict[str, Any], key: Callable[[ReleaseRecord], str],
                 detail: Callable[[ReleaseRecord], dict[str, Any]]) -> list[Any]:
        counts: Counter[str] = Counter()
        details: dict[str, dict[str, Any]] = {}
        for record in self.portal.store.latest_records():
            name = org_name(key(record))
            counts[name] += 1
            details.setdefault(name, detail(record))
        names = sorted(counts)
        offset = _int(params, "offset", 0, 10**9)
        limit = _int(params, "limit", 1000, 1000)
        names = names[offset : offset + limit]
        if str(params.get("all_fields", "")).lower() in ("true", "1", "yes"):
            return [dict(details[n], package_count=counts[n]) for n in names]
        return names

    def organization_list(self, params: dict[str, Any]) -> list[Any]:
        return self._listing(params, lambda r: r.dataset.publisher, _organization)

    def group_list(self, params: dict[str, Any]) -> list[Any]:
        return self._listing(params, lambda r: r.dataset.theme, lambda r: _group(r.dataset.theme))

    def _show(self, params: dict[str, Any], listing: Callable[[dict[str, Any]], list[Any]],
              fq_field: str) -> dict[str, Any]:
        ident = str(params.get("id") or "")
        for item in listing({"all_fields": "true"}):
            if ident in (item["name"], item["title"]):
                packages = self.package_search({"fq": f'{fq_field}:"{item["name"]}"', "rows": MAX_ROWS})["results"]
                return dict(item, packages=packages)
        raise ApiError(404, "Not Found Error", "Not found")

    def organization_show(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._show(params, self.organization_list, "organization")

    def group_show(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._show(params, self.group_list, "groups")

    def status_show(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ckan_version": CKAN_VERSION, "site_title": "Kaifang 公共数据开放平台",
                "site_url": self.portal.base_url, "site_description": "公共数据开放目录（只读 CKAN Action API）",
                "error_emails_to": None, "locale_default": "zh_Hans_CN", "extensions": ["kaifang"]}

    async def _params(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        params: dict[str, Any] = {k: (v if len(v := query.getlist(k)) > 1 else v[0]) for k in query}
        if request.method == "POST":
            body = await request.body()
            if body.strip():
                if "json" in request.headers.get("content-type", "json") or body.lstrip()[:1] == b"{":
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise ApiError(400, "Bad Request", "Bad request - JSON Error: could not read the body") \
                            from None
                    if not isinstance(data, dict):
                        raise ApiError(400, "Bad Request", "Bad request - JSON Error: not an object")
                    params.update(data)
                else:
                    params.update(dict(await request.form()))
        return params

    async def call(self, request: Request) -> Response:
        name = request.path_params["action"]
        help_url = f"{self.portal.base_url}/api/3/action/help_show?name={name[:60]}"
        try:
            action = self.actions.get(name)
            if action is None:
                raise ApiError(400, "Bad Request", "Bad request - Action name not known")
            result = action(await self._params(request))
        except ApiError as error:
            body = {"__type": error.kind, "message": error.message, **error.fields}
            return _json({"help": help_url, "success": False, "error": body}, error.status)
        return _json({"help": help_url, "success": True, "result": result}, 200)

    async def version(self, request: Request) -> Response:
        return _json({"version": 3}, 200)


def _json(body: dict[str, Any], status: int) -> Response:
    return JSONResponse(body, status_code=status, headers={"Access-Control-Allow-Origin": "*",
                                                           "X-Content-Type-Options": "nosniff"})


def ckan_routes(portal: Portal) -> list[Route]:
    """Routes to register in the portal app."""
    api = CkanApi(portal)
    methods = ["GET", "POST"]
    return [
        Route("/api/3", api.version),
        Route("/api/3/action/{action}", api.call, methods=methods),
        Route("/api/action/{action}", api.call, methods=methods),
    ]
