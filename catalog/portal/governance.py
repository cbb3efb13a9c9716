"""Portal pages of the governance desks: data requests (Art. 10 ¶3, 20), opening plans (Art. 10-11),
revocation (Art. 19, 21); the review chain's pages are in review.py.

Public pages show requests without their requesters' contact (`DataRequest.public()`); steward pages
show the contact, flag overdue requests first and carry the answer, assignment and revocation forms.
Every form carries the CSRF token; the public request form is rate limited like applications.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog import access, requests
from catalog.portal.forms import parse
from catalog.portal.review import review_routes
from catalog.portal.security import Limit
from catalog.reviews import Checklists

if TYPE_CHECKING:
    from catalog.portal.app import Portal

REQUEST_LABELS = {"title": "所需数据", "dataset_id": "数据集编号", "agency": "数据提供单位", "reason": "用途与理由",
                  "contact": "联系方式"}
REQUEST_LIMIT = Limit(10, 3600)
STEWARD_ACTOR = "portal steward"


@dataclass(frozen=True)
class GovernanceSettings:
    """What the desks take from the policy (the response deadline for data requests) and where plans are."""

    response_days: int = requests.DEFAULT_RESPONSE_DAYS
    plans_dir: Path | None = None
    role_tokens: dict[str, str] = field(default_factory=dict)  # review role -> sha256 of its token
    checklists: Checklists | None = None

    @staticmethod
    def digests(tokens: dict[str, str]) -> dict[str, str]:
        """Role -> sha256 of its token, for the roles that have one (a role without a token cannot log in)."""
        return {role: hashlib.sha256(token.encode()).hexdigest() for role, token in tokens.items() if token}

    @classmethod
    def from_policy(cls, path: Path | None = None) -> GovernanceSettings:
        """The policy file's values ($KAIFANG_POLICY, else configs/policy.yaml), or the defaults when absent."""
        from pipelines.spec import load_policy

        policy_path = path or Path(os.environ.get("KAIFANG_POLICY") or "configs/policy.yaml")
        plans = Path(os.environ.get("KAIFANG_PLANS") or policy_path.parent / "plans")
        plans_dir = plans if plans.is_dir() else None
        if not policy_path.is_file():
            return cls(plans_dir=plans_dir)
        policy, _ = load_policy(policy_path)
        chain = policy.review_chain
        tokens = {role: os.environ.get(r.token_env, "") for role, r in chain.roles.items()}
        return cls(response_days=policy.request_response_days, plans_dir=plans_dir, role_tokens=cls.digests(tokens),
                   checklists=Checklists(tuple(chain.formal_review), tuple(chain.technical_check)))


class GovernancePages:
    def __init__(self, portal: Portal, settings: GovernanceSettings) -> None:
        self.p = portal
        self.settings = settings
        portal.guard.limiter.limits.setdefault("request", REQUEST_LIMIT)
        portal.env.globals["overdue_requests"] = self.overdue_count  # the steward home's banner

    def overdue_count(self) -> int:
        return sum(1 for r in requests.list_requests(self.p.store) if r.overdue())

    # ----- public ------------------------------------------------------------------------------

    def _datasets(self) -> list[tuple[str, str]]:
        """Catalogued datasets a request may ask to open further (not yet unconditional)."""
        from catalog.entry import published_class

        return [(r.dataset.id, r.dataset.title) for r in self.p.store.latest_records()
                if published_class(r) != "unconditional"]

    async def request_list(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        shown = requests.list_requests(self.p.store, status if status in requests.STATUSES else None)
        return self.p.page(request, "requests.html", items=[r.public() for r in shown], chosen=status,
                           statuses=requests.STATUS_ZH, days=self.settings.response_days)

    async def request_new(self, request: Request) -> Response:
        context = {"datasets": self._datasets(), "days": self.settings.response_days}
        if request.method == "GET":
            chosen = request.query_params.get("dataset", "")[:80]
            return self.p.page(request, "request_new.html", values={"dataset_id": chosen}, errors=[], **context)
        data = await self.p.checked_form(request, "request")
        form, errors = parse(requests.RequestForm, data, REQUEST_LABELS)
        if form is not None:
            try:
                filed = requests.file_request(self.p.store, form, self.settings.response_days)
            except requests.RequestError as problem:
                errors = [str(problem)]
            else:
                return RedirectResponse(f"/requests/{filed.id}?filed=1", status_code=303)
        return self.p.page(request, "request_new.html", 400, values=data, errors=errors, **context)

    async def request_detail(self, request: Request) -> Response:
        try:
            item = requests.get(self.p.store, request.path_params["request_id"])
        except requests.NotFound:
            raise HTTPException(404) from None
        events = [e.entry.get("event", {}) | {"at": e.at} for e in self._events(item.id)]
        return self.p.page(request, "request.html", item=item.public(), events=events, statuses_zh=requests.STATUS_ZH)

    def _events(self, subject: str) -> list[Any]:
        from catalog.events import trail

        return trail(self.p.store, requests.EVENT_KIND, subject)

    async def plans(self, request: Request) -> Response:
        """Every agency's plan: planned datasets, and which the catalog shows opened (on time or not)."""
        from catalog.record import utc_now
        from pipelines.plans import PRIORITIES, load_plans, plan_rows, report
        from pipelines.spec import SpecError

        rows: list[dict[str, Any]] = []
        broken = False
        if self.settings.plans_dir is not None:
            try:
                rows = plan_rows(self.p.store, load_plans(self.settings.plans_dir), utc_now().date())
            except SpecError:
                broken = True  # named by `kaifang plans check`; the page names no path
        return self.p.page(request, "plans.html", rows=rows, summary=report(rows), broken=broken,
                           priorities=PRIORITIES)

    # ----- stewards ----------------------------------------------------------------------------

    async def steward_requests(self, request: Request, notice: str = "", errors: list[str] | None = None,
                               status: int = 200) -> Response:
        self.p.require_steward(request)
        items = requests.list_requests(self.p.store)
        items.sort(key=lambda r: (not r.overdue(), not r.late(), r.due_at))
        return self.p.page(request, "steward_requests.html", status, items=items, notice=notice,
                           errors=errors or [], statuses=requests.STATUS_ZH,
                           overdue=sum(1 for r in items if r.overdue()))

    async def steward_request_action(self, request: Request) -> Response:
        self.p.require_steward(request)
        data = await self.p.checked_form(request)
        request_id, action = request.path_params["request_id"], request.path_params["action"]
        try:
            if action == "assign":
                done = requests.assign(self.p.store, request_id, data.get("agency", ""), STEWARD_ACTOR)
            elif action == "answer":
                done = requests.answer(self.p.store, request_id, data.get("status", ""), data.get("answer", ""),
                                       STEWARD_ACTOR, _date(data.get("planned_date", "")),
                                       data.get("dataset_id", "").strip() or None)
            else:
                raise HTTPException(404)
        except requests.NotFound:
            raise HTTPException(404) from None
        except requests.RequestError as problem:
            return await self.steward_requests(request, errors=[str(problem)], status=400)
        return await self.steward_requests(request, notice=f"需求 {done.id}：{requests.STATUS_ZH[done.status]}")

    async def steward_access(self, request: Request, notice: str = "", errors: list[str] | None = None,
                             status: int = 200) -> Response:
        self.p.require_steward(request)
        apps = [a for a in access.list_applications(self.p.store) if a.status in ("approved", "revoked")]
        reasons = {a.id: access.revocation_reason(self.p.store, a.id) for a in apps if a.status == "revoked"}
        return self.p.page(request, "steward_access.html", status, applications=apps, reasons=reasons,
                           notice=notice, errors=errors or [])

    async def steward_revoke(self, request: Request) -> Response:
        self.p.require_steward(request)
        data = await self.p.checked_form(request)
        try:
            ids = access.revoke(self.p.store, request.path_params["app_id"], data.get("violation", ""),
                                STEWARD_ACTOR)
        except access.NotFound:
            raise HTTPException(404) from None
        except access.AccessDenied as denied:
            return await self.steward_access(request, errors=[str(denied)], status=400)
        return await self.steward_access(request, notice=f"已终止 {len(ids)} 项使用权：{'、'.join(ids) or '无'}")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise requests.RequestError("计划开放日期须为 YYYY-MM-DD") from None


def governance_routes(portal: Portal, settings: GovernanceSettings | None = None) -> list[Route]:
    settings = settings or GovernanceSettings.from_policy()
    pages = GovernancePages(portal, settings)
    both = ["GET", "POST"]
    return [
        *review_routes(portal, settings.role_tokens, settings.checklists or Checklists.default()),
        Route("/requests", pages.request_list),
        Route("/requests/new", pages.request_new, methods=both),
        Route("/requests/{request_id}", pages.request_detail),
        Route("/plans", pages.plans),
        Route("/steward/requests", pages.steward_requests),
        Route("/steward/requests/{request_id}/{action:str}", pages.steward_request_action, methods=["POST"]),
        Route("/steward/access", pages.steward_access),
        Route("/steward/access/{app_id}/revoke", pages.steward_revoke, methods=["POST"]),
    ]
