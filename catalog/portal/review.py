"""Role logins and pages of the review chain (Art. 8 ¶4-5, Art. 18): one login and one page per role.

Each role of the policy's `review_chain` (agency steward, big-data authority reviewer, expert panel)
logs in with its own token (from the environment variable the policy names) and gets a server-side
session that remembers the role (`kf_role`, HttpOnly, SameSite=Strict; logout revokes it). A role sees
its queue at /review/<role> and acts on a case only when the chain is waiting for it; every form carries
the CSRF token and the login is rate limited like the steward's.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog import reviews
from catalog.entry import published_class
from catalog.portal.security import Sessions

if TYPE_CHECKING:
    from catalog.portal.app import Portal

ROLE_COOKIE = "kf_role"


class RoleSessions:
    """Server-side sessions that each carry one review role."""

    def __init__(self, lifetime: float) -> None:
        self.sessions = Sessions(lifetime=lifetime)
        self.roles: dict[str, str] = {}

    def create(self, role: str) -> str:
        session = self.sessions.create()
        self.roles = {s: r for s, r in self.roles.items() if s in self.sessions.expiry}
        self.roles[session] = role
        return session

    def role(self, session: str) -> str | None:
        if not self.sessions.valid(session):
            self.roles.pop(session, None)
            return None
        return self.roles.get(session)

    def revoke(self, session: str) -> None:
        self.sessions.revoke(session)
        self.roles.pop(session, None)


class ReviewPages:
    def __init__(self, portal: Portal, role_digests: dict[str, str], checklists: reviews.Checklists) -> None:
        self.p = portal
        self.digests = role_digests
        self.checklists = checklists
        self.sessions = RoleSessions(portal.guard.sessions.lifetime)

    def role(self, request: Request) -> str | None:
        return self.sessions.role(request.cookies.get(ROLE_COOKIE, "")) if self.digests else None

    def require(self, request: Request, role: str | None = None) -> str:
        """The session's role (303 to the login without one, 403 when another role's page is asked)."""
        if not self.digests:
            raise HTTPException(404)
        current = self.role(request)
        if current is None:
            raise HTTPException(303, headers={"Location": "/review/login"})
        if role is not None and current != role:
            raise HTTPException(403)
        return current

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        return self.p.page(request, template, status, role=self.role(request), role_zh=reviews.ROLE_ZH,
                           stage_zh=reviews.STAGE_ZH, status_zh=reviews.STATUS_ZH, action_zh=reviews.ACTION_ZH,
                           **context)

    async def login(self, request: Request) -> Response:
        if not self.digests:
            raise HTTPException(404)
        if request.method == "GET":
            return self.page(request, "review_login.html", errors=[])
        digest = hashlib.sha256((await self.p.checked_form(request, "login")).get("token", "").encode()).hexdigest()
        matched = [role for role, expected in self.digests.items() if hmac.compare_digest(digest, expected)]
        if not matched:
            return self.page(request, "review_login.html", 403, errors=["令牌不正确"])
        self.sessions.revoke(request.cookies.get(ROLE_COOKIE, ""))
        response = RedirectResponse(f"/review/{matched[0]}", status_code=303)
        response.set_cookie(ROLE_COOKIE, self.sessions.create(matched[0]), httponly=True, samesite="strict",
                            path="/", max_age=int(self.sessions.sessions.lifetime),
                            secure=request.url.scheme == "https")
        return response

    async def logout(self, request: Request) -> Response:
        await self.p.checked_form(request)
        self.sessions.revoke(request.cookies.get(ROLE_COOKIE, ""))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(ROLE_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def queue(self, request: Request) -> Response:
        if request.path_params["role"] not in reviews.ROLES:
            raise HTTPException(404)
        return await self._queue(request, request.path_params["role"])

    async def _queue(self, request: Request, role: str, errors: list[str] | None = None, status: int = 200
                     ) -> Response:
        self.require(request, role)
        records = self.p.store.latest_records()
        datasets = [(r.dataset.id, r.dataset.title, published_class(r)) for r in records]
        return self.page(request, "review_queue.html", status, queue=reviews.list_reviews(self.p.store, role),
                         cases=reviews.list_reviews(self.p.store), datasets=datasets, errors=errors or [],
                         this_role=role)

    async def submit(self, request: Request) -> Response:
        self.require(request, "agency_steward")
        data = await self.p.checked_form(request)
        try:
            case = reviews.submit(self.p.store, data.get("dataset_id", ""), data.get("open_class", ""),
                                  data.get("note", ""), _actor(data, "agency_steward"))
        except (reviews.ReviewError, ValueError) as problem:
            message = str(problem) if isinstance(problem, reviews.ReviewError) else "数据集编号格式不正确"
            return await self._queue(request, "agency_steward", errors=[message], status=400)
        return RedirectResponse(f"/review/cases/{case.id}", status_code=303)

    async def case(self, request: Request, errors: list[str] | None = None, status: int = 200) -> Response:
        role = self.require(request)
        try:
            case = reviews.get(self.p.store, request.path_params["review_id"])
        except reviews.NotFound:
            raise HTTPException(404) from None
        items = self.checklists.items(case.stage) if case.stage in ("formal_review", "technical_check") else ()
        actions = reviews.STAGE_ACTIONS.get(case.stage, ()) if case.role_due == role else ()
        return self.page(request, "review_case.html", status, case=case, actions=actions, items=items,
                         errors=errors or [], classes=reviews.CLASSES)

    async def act(self, request: Request) -> Response:
        role = self.require(request)
        data = await self.p.checked_form(request)
        case_id = request.path_params["review_id"]
        try:
            stage = reviews.get(self.p.store, case_id).stage
            items = self.checklists.items(stage)
            ticked = [item for index, item in enumerate(items) if f"check-{index}" in data]
            reviews.act(self.p.store, case_id, role, data.get("action", ""), data.get("note", ""),
                        _actor(data, role), data.get("open_class") or None, ticked, self.checklists)
        except reviews.NotFound:
            raise HTTPException(404) from None
        except reviews.ReviewError as problem:
            return await self.case(request, errors=[str(problem)], status=409)
        return RedirectResponse(f"/review/cases/{case_id}", status_code=303)


def _actor(data: dict[str, Any], role: str) -> str:
    """Who acted, for the record: the name typed in the form, with the role."""
    name = " ".join(str(data.get("name", "")).split())[:50]
    return f"{reviews.ROLE_ZH[role]} {name}".strip()


def review_routes(portal: Portal, role_digests: dict[str, str], checklists: reviews.Checklists) -> list[Route]:
    pages = ReviewPages(portal, role_digests, checklists)
    return [
        Route("/review/login", pages.login, methods=["GET", "POST"]),
        Route("/review/logout", pages.logout, methods=["POST"]),
        Route("/review/new", pages.submit, methods=["POST"]),
        Route("/review/cases/{review_id}", pages.case),
        Route("/review/cases/{review_id}/act", pages.act, methods=["POST"]),
        Route("/review/{role}", pages.queue),
    ]
