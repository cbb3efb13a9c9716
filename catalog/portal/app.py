"""Routes of the portal. Everything shown comes from release records and published files.

Files are served only when the request names a file the record lists (data) or a path that resolves
inside the release's `quality/` folder (Data Docs); anything else is a 404, so no URL can walk out of
the catalog. Conditional files need an approved access token; not-open datasets have no files at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from catalog import access, objections
from catalog.dcat import dataset_document
from catalog.entry import catalog_entry, published_class
from catalog.portal.forms import form_dict, parse
from catalog.portal.harvest import harvest_routes
from catalog.portal.security import CSRF_FIELD, Guard
from catalog.portal.views import listing, matches, summary_view
from catalog.record import ReleaseRecord
from catalog.store import CatalogStore, check_dataset_id
from catalog.vocab import CLASS_ZH, STATUS_ZH

HERE = Path(__file__).parent
METADATA_FILES = {"metadata.json", "datapackage.json", "dataset.jsonld", "SHA256SUMS"}
APPLY_LABELS = {
    "applicant": "申请人",
    "organisation": "单位",
    "identity": "证件号码",
    "contact": "联系方式",
    "purpose": "用途",
    "term_days": "使用期限（天）",
    "requested_count": "访问次数",
    "commitment": "数据安全承诺",
}
OBJECTION_LABELS = {"field": "信息项", "description": "问题描述", "contact": "联系方式"}
CSP = "default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"


def _size(value: int | None) -> str:
    if value is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024  # type: ignore[assignment]
    return str(value)


class Portal:
    def __init__(self, store: CatalogStore, base_url: str, steward_token: str | None,
                 guard: Guard | None = None) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.steward_digest = hashlib.sha256(steward_token.encode()).hexdigest() if steward_token else None
        self.guard = guard or Guard()
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.env.filters["size"] = _size
        self.env.filters["day"] = lambda v: v.strftime("%Y-%m-%d") if v else ""
        self.env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
        self.env.globals.update(class_zh=CLASS_ZH, status_zh=STATUS_ZH)

    # ----- helpers -----------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
             **context: Any) -> HTMLResponse:
        context.setdefault("steward", self.is_steward(request))
        html = self.env.get_template(template).render(request=request, csrf=self.guard.csrf_token(request),
                                                      csrf_field=CSRF_FIELD, **context)
        response = HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP, **(headers or {})})
        return self.guard.finish(request, response)

    async def checked_form(self, request: Request, action: str | None = None,
                           checkboxes: tuple[str, ...] = ()) -> dict[str, Any]:
        """The POSTed form once the rate limit (`action`) and the CSRF token allow it: else 429 / 403."""
        if action is not None and (wait := self.guard.retry_after(request, action)) is not None:
            raise HTTPException(429, headers={"Retry-After": str(wait)})
        form = await request.form()
        submitted = form.get(CSRF_FIELD)
        if not self.guard.csrf_ok(request, submitted if isinstance(submitted, str) else ""):
            raise HTTPException(403)
        return form_dict(form, checkboxes=checkboxes)

    def record_or_404(self, dataset_id: str, version: int | None = None) -> ReleaseRecord:
        try:
            check_dataset_id(dataset_id)
        except ValueError:
            raise HTTPException(404) from None
        if version is not None and version not in self.store.versions(dataset_id):
            raise HTTPException(404)
        record = self.store.latest(dataset_id) if version is None else self.store.release(dataset_id, version)
        if record is None:
            raise HTTPException(404)
        return record

    def is_steward(self, request: Request) -> bool:
        return bool(self.steward_digest) and self.guard.is_steward(request)

    def require_steward(self, request: Request) -> None:
        if not self.steward_digest:
            raise HTTPException(404)
        if not self.is_steward(request):
            raise HTTPException(303, headers={"Location": "/steward/login"})

    # ----- public pages ------------------------------------------------------------------------

    async def index(self, request: Request) -> HTMLResponse:
        params = {
            key: request.query_params.get(key, "")[:100].strip() for key in ("q", "theme", "publisher", "cls", "fmt")
        }
        records = self.store.latest_records()
        views = [summary_view(r) for r in records]
        shown = [v for v in views if matches(v, params)]
        return self.page(request, "index.html", datasets=shown, total=len(views), params=params, facets=listing(views))

    async def dataset(self, request: Request) -> HTMLResponse:
        record = self.record_or_404(request.path_params["dataset_id"])
        dataset_id = record.dataset.id
        history = self.store.history(dataset_id)
        docs = None
        if record.quality and record.quality.docs_index and record.quality.docs_index.startswith("quality/"):
            docs = f"/datasets/{dataset_id}/versions/{record.version}/{record.quality.docs_index}"
        return self.page(
            request,
            "dataset.html",
            record=record,
            entry=record.catalog_entry or catalog_entry(record, self.base_url),
            cls=published_class(record),
            history=history,
            docs=docs,
            objections=objections.list_objections(self.store, dataset_id),
        )

    async def dataset_jsonld(self, request: Request) -> Response:
        return _jsonld(dataset_document(self.record_or_404(request.path_params["dataset_id"]), self.base_url))

    async def latest_datapackage(self, request: Request) -> Response:
        record = self.record_or_404(request.path_params["dataset_id"])
        return self._release_file(record, "datapackage.json")

    async def release_meta(self, request: Request) -> Response:
        record = self.record_or_404(request.path_params["dataset_id"], request.path_params["version"])
        name = request.path_params["name"]
        if name not in METADATA_FILES:
            raise HTTPException(404)
        return self._release_file(record, name)

    def _release_file(self, record: ReleaseRecord, name: str) -> Response:
        path = self.store.root / (record.release_path or "") / name
        if not path.is_file():
            raise HTTPException(404)
        media = {"json": "application/json", "jsonld": "application/ld+json"}.get(name.rsplit(".", 1)[-1], "text/plain")
        return FileResponse(path, media_type=f"{media}; charset=utf-8", headers={"X-Content-Type-Options": "nosniff"})

    async def quality(self, request: Request) -> Response:
        record = self.record_or_404(request.path_params["dataset_id"], request.path_params["version"])
        folder = (self.store.root / (record.release_path or "") / "quality").resolve()
        target = (folder / request.path_params["path"]).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            raise HTTPException(404)
        return FileResponse(target, headers={"X-Content-Type-Options": "nosniff"})

    def _access_class(self, record: ReleaseRecord) -> str:
        """The stricter of the version's class and the dataset's current one: a dataset closed or
        made conditional later must not stay downloadable through its older versions."""
        latest = self.store.latest(record.dataset.id)
        classes = [published_class(record)] + ([published_class(latest)] if latest else [])
        return min(classes, key=["not_open", "conditional", "unconditional"].index)

    def _data_file(self, record: ReleaseRecord, path: str) -> tuple[Path, Any]:
        output = next((o for o in record.outputs if o.path == path), None)
        if output is None or self._access_class(record) == "not_open":
            raise HTTPException(404)
        return self.store.root / (record.release_path or "") / output.path, output

    def _send(self, file: Path, output: Any, record: ReleaseRecord) -> FileResponse:
        name = f"{record.dataset.id}-v{record.version}-{output.name}"
        return FileResponse(
            file,
            media_type=output.media_type,
            filename=name,
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
        )

    async def download(self, request: Request) -> Response:
        record = self.record_or_404(request.path_params["dataset_id"], request.path_params["version"])
        file, output = self._data_file(record, request.path_params["path"])
        if self._access_class(record) == "conditional":
            auth = request.headers.get("authorization", "")
            if not auth.lower().startswith("bearer "):
                return self.page(
                    request,
                    "message.html",
                    403,
                    title="需要授权",
                    message="该数据集为有条件开放，请先提交使用申请，获批后凭访问令牌下载。",
                    link=f"/datasets/{record.dataset.id}/apply",
                    link_text="申请使用",
                )
            try:
                access.authorize(self.store, record.dataset.id, auth[7:], record.version or 0, output.path)
            except access.AccessDenied as denied:
                return self.page(request, "message.html", 403, title="无法下载", message=str(denied))
        else:
            access.log_public_download(self.store, record.dataset.id, record.version or 0, output.path)
        return self._send(file, output, record)

    # ----- conditional access ------------------------------------------------------------------

    def _conditional_or_404(self, dataset_id: str) -> ReleaseRecord:
        record = self.record_or_404(dataset_id)
        if published_class(record) != "conditional":
            raise HTTPException(404)
        return record

    async def apply_form(self, request: Request) -> HTMLResponse:
        record = self._conditional_or_404(request.path_params["dataset_id"])
        if request.method == "GET":
            return self.page(request, "apply.html", record=record, values={}, errors=[])
        data = await self.checked_form(request, "apply", checkboxes=("commitment",))
        form, errors = parse(access.ApplicationForm, data, APPLY_LABELS)
        if form is None:
            return self.page(request, "apply.html", 400, record=record, values=data, errors=errors)
        application, receipt = access.apply(self.store, record.dataset.id, form)
        url = f"/applications/{application.id}?" + urlencode({"key": receipt})
        return self.page(
            request, "applied.html", record=record, application=application, receipt=receipt, status_url=url
        )

    async def application_status(self, request: Request) -> HTMLResponse:
        key = request.query_params.get("key", "")
        try:
            application, token = access.for_applicant(self.store, request.path_params["app_id"][:40], key[:100])
        except access.NotFound:
            raise HTTPException(404) from None
        record = self.store.latest(application.dataset_id)
        return self.page(request, "application.html", application=application, token=token, record=record)

    async def access_download(self, request: Request) -> Response:
        record = self._conditional_or_404(request.path_params["dataset_id"])
        if request.method == "GET":
            return self.page(request, "access.html", record=record, errors=[])
        data = await self.checked_form(request)
        token, choice = data.get("token", "").strip(), data.get("file", "")
        version_text, _, path = choice.partition("/")
        errors = [] if token else ["访问令牌：必填"]
        if not version_text.isdigit() or not path:
            errors.append("文件：请选择要下载的文件")
        if errors:
            return self.page(request, "access.html", 400, record=record, errors=errors)
        release = self.record_or_404(record.dataset.id, int(version_text))
        file, output = self._data_file(release, path)
        try:
            access.authorize(self.store, record.dataset.id, token, release.version or 0, output.path)
        except access.AccessDenied as denied:
            return self.page(request, "access.html", 403, record=record, errors=[str(denied)])
        return self._send(file, output, release)

    # ----- objections --------------------------------------------------------------------------

    async def objection_page(self, request: Request) -> HTMLResponse:
        record = self.record_or_404(request.path_params["dataset_id"])
        listed = objections.list_objections(self.store, record.dataset.id)
        if request.method == "GET":
            return self.page(request, "objections.html", record=record, objections=listed, values={}, errors=[])
        data = await self.checked_form(request, "objection")
        form, errors = parse(objections.ObjectionForm, data, OBJECTION_LABELS)
        if form is not None:
            try:
                objections.file_objection(self.store, record.dataset.id, form)
            except ValueError as problem:
                errors = [f"信息项：{problem}"]
        if errors:
            return self.page(
                request, "objections.html", 400, record=record, objections=listed, values=data, errors=errors
            )
        return RedirectResponse(f"/datasets/{record.dataset.id}/objections?filed=1", status_code=303)

    # ----- stewards ----------------------------------------------------------------------------

    async def steward_login(self, request: Request) -> Response:
        if not self.steward_digest:
            raise HTTPException(404)
        if request.method == "GET":
            return self.page(request, "steward_login.html", errors=[])
        token = (await self.checked_form(request, "login")).get("token", "")
        digest = hashlib.sha256(token.encode()).hexdigest()
        if not hmac.compare_digest(digest, self.steward_digest):
            return self.page(request, "steward_login.html", 403, errors=["管理员令牌不正确"])
        return self.guard.log_in(request, RedirectResponse("/steward", status_code=303))

    async def steward_logout(self, request: Request) -> Response:
        await self.checked_form(request)
        return self.guard.log_out(request, RedirectResponse("/", status_code=303))

    async def steward_home(
        self,
        request: Request,
        notice: str = "",
        token: str | None = None,
        errors: list[str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        self.require_steward(request)
        titles = {r.dataset.id: r.dataset.title for r in self.store.latest_records()}
        return self.page(
            request,
            "steward.html",
            status,
            titles=titles,
            applications=access.list_applications(self.store),
            objections=objections.list_objections(self.store),
            notice=notice,
            token=token,
            errors=errors or [],
            downloads=access.downloads(self.store)[-50:],
        )

    async def steward_decide(self, request: Request) -> HTMLResponse:
        self.require_steward(request)
        if request.path_params["action"] not in ("approve", "reject"):
            raise HTTPException(404)
        approve = request.path_params["action"] == "approve"
        note = (await self.checked_form(request)).get("note", "")
        try:
            application, token = access.decide(self.store, request.path_params["app_id"], approve, note)
        except access.NotFound:
            raise HTTPException(404) from None
        except access.AccessDenied as denied:
            return await self.steward_home(request, errors=[str(denied)], status=409)
        notice = f"申请 {application.id} 已{'批准' if approve else '驳回'}"
        return await self.steward_home(request, notice=notice, token=token)

    async def steward_answer(self, request: Request) -> HTMLResponse:
        self.require_steward(request)
        text = (await self.checked_form(request)).get("answer", "")
        try:
            done = objections.answer(self.store, request.path_params["objection_id"], text)
        except objections.NotFound:
            raise HTTPException(404) from None
        except ValueError as problem:
            return await self.steward_home(request, errors=[f"答复：{problem}"], status=400)
        return await self.steward_home(request, notice=f"异议 {done.id} 已答复")

    # ----- errors ------------------------------------------------------------------------------

    async def error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status in (301, 302, 303, 307) and isinstance(exc, HTTPException):
            return RedirectResponse(exc.headers.get("Location", "/") if exc.headers else "/", status_code=status)
        titles = {403: "请求被拒绝", 404: "未找到", 405: "不支持的请求方法", 429: "请求过于频繁"}
        messages = {403: "表单已过期或来源不明，请刷新页面后重新提交。", 404: "您访问的页面或文件不存在。",
                    429: "提交次数过多，请稍后再试。"}
        retry = exc.headers.get("Retry-After") if isinstance(exc, HTTPException) and exc.headers else None
        return self.page(
            request,
            "message.html",
            status,
            headers={"Retry-After": retry} if retry else None,
            title=titles.get(status, "出错了"),
            message=messages.get(status, "请求无法完成。"),
        )


def _jsonld(doc: dict[str, Any]) -> Response:
    body = json.dumps(doc, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/ld+json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"},
    )


def create_app(
    store: CatalogStore, base_url: str = "http://localhost:8000", steward_token: str | None = None,
    guard: Guard | None = None,
) -> Starlette:
    """The portal over `store`; steward pages exist only when a steward token is configured.

    `guard`: sessions, CSRF and rate limits (catalog/portal/security.py); tests pass tighter limits."""
    p = Portal(store, base_url, steward_token, guard)
    both = ["GET", "POST"]
    routes = [
        Route("/", p.index),
        *harvest_routes(p),  # /catalog[.jsonld|.ttl|.rdf], paged; version series and versions
        Route("/datasets/{dataset_id}", p.dataset),
        Route("/datasets/{dataset_id}/dataset.jsonld", p.dataset_jsonld),
        Route("/datasets/{dataset_id}/datapackage.json", p.latest_datapackage),
        Route("/datasets/{dataset_id}/apply", p.apply_form, methods=both),
        Route("/datasets/{dataset_id}/access", p.access_download, methods=both),
        Route("/datasets/{dataset_id}/objections", p.objection_page, methods=both),
        Route("/datasets/{dataset_id}/versions/{version:int}/files/{path:path}", p.download),
        Route("/datasets/{dataset_id}/versions/{version:int}/quality/{path:path}", p.quality),
        Route("/datasets/{dataset_id}/versions/{version:int}/{name}", p.release_meta),
        Route("/applications/{app_id}", p.application_status),
        Route("/steward", p.steward_home),
        Route("/steward/login", p.steward_login, methods=both),
        Route("/steward/logout", p.steward_logout, methods=["POST"]),
        Route("/steward/applications/{app_id}/{action:str}", p.steward_decide, methods=["POST"]),
        Route("/steward/objections/{objection_id}/answer", p.steward_answer, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: p.error, 404: p.error, 405: p.error,
                                                       429: p.error})
    app.state.portal = p
    return app
