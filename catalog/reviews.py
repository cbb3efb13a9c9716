"""The review chain of an open class (Art. 8 ¶4-5, Art. 18), from the agency's basis to the checks before opening.

1. The agency steward submits the class it proposes for a dataset, with its basis (`submit`). A case is
   needed for a not-open or conditional class and for every change of class.
2. The big-data authority's reviewer agrees, or proposes another class with a note: the case goes back
   to the agency (`agree` / `propose`).
3. The agency accepts the authority's class, or maintains its own: then the expert panel of the city
   authority decides (`accept` / `maintain`, then `decide`).
4. Before anything is opened (a class other than not open), the authority's formal review and technical
   check are recorded with their checklists; each must tick every item of the policy's list to pass, a
   failed one returns the case to the agency (`pass` / `fail`). A case that settles on not open is
   decided without them: nothing is opened.

Each step is done by the role the policy names for it, with a note, and is kept twice: as a row of the
case (its history) and as an audit event written in the same transaction.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from catalog.entry import published_class
from catalog.events import Event, transact
from catalog.index import as_utc
from catalog.record import utc_now
from catalog.store import CatalogStore, check_dataset_id

CLASSES = ("not_open", "conditional", "unconditional")
ROLES = ("agency_steward", "authority_reviewer", "expert_panel")
ROLE_ZH = {"agency_steward": "数据提供单位", "authority_reviewer": "大数据主管部门", "expert_panel": "专家评审"}
STAGE_ZH = {"authority_review": "待主管部门审核", "agency_reply": "退回数据提供单位", "expert_panel": "待专家评审",
            "formal_review": "待形式审查", "technical_check": "待技术检测", "closed": "已办结"}
STATUS_ZH = {"open": "办理中", "decided": "已定级（不予开放）", "approved": "已通过，可开放", "returned": "已退回"}
ACTION_ZH = {"submit": "提交定级及依据", "agree": "同意", "propose": "建议调整类别", "accept": "接受调整",
             "maintain": "坚持原定级", "decide": "专家评审决定", "pass": "通过", "fail": "未通过"}
# Which role acts at which stage, and what it may do there.
STAGE_ROLE = {"authority_review": "authority_reviewer", "agency_reply": "agency_steward",
              "expert_panel": "expert_panel", "formal_review": "authority_reviewer",
              "technical_check": "authority_reviewer"}
STAGE_ACTIONS = {"authority_review": ("agree", "propose"), "agency_reply": ("accept", "maintain"),
                 "expert_panel": ("decide",), "formal_review": ("pass", "fail"), "technical_check": ("pass", "fail")}


class ReviewError(ValueError):
    """A step the chain does not allow now; the message is safe to show."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Checklists:
    """The formal review's and technical check's items (the policy's `review_chain`)."""

    formal_review: tuple[str, ...]
    technical_check: tuple[str, ...]

    @classmethod
    def default(cls) -> Checklists:
        """The policy model's defaults (pipelines/spec.py holds the one list)."""
        from pipelines.spec import ReviewChainPolicy

        chain = ReviewChainPolicy()
        return cls(tuple(chain.formal_review), tuple(chain.technical_check))

    def items(self, stage: str) -> tuple[str, ...]:
        return self.formal_review if stage == "formal_review" else self.technical_check


@dataclass
class Step:
    role: str
    action: str
    open_class: str | None
    note: str
    checklist: dict[str, bool] | None
    actor: str
    at: datetime | None


@dataclass
class Review:
    id: str
    dataset_id: str
    current_class: str | None
    proposed_class: str
    stage: str
    status: str
    decided_class: str | None
    created_at: datetime | None
    updated_at: datetime | None
    steps: list[Step] = field(default_factory=list)

    @property
    def class_on_the_table(self) -> str:
        """The class the next step is about: the last one proposed, accepted or decided."""
        for step in reversed(self.steps):
            if step.action in ("submit", "propose", "decide", "accept", "maintain", "agree") and step.open_class:
                return step.open_class
        return self.proposed_class

    @property
    def role_due(self) -> str | None:
        return STAGE_ROLE.get(self.stage) if self.status == "open" else None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "steps"} | {
            "steps": [s.__dict__ for s in self.steps], "role_due": self.role_due}


def _clean(text: str) -> str:
    return " ".join(text.split())


def _note(text: str, required: bool = True) -> str:
    text = text.strip()
    if required and len(text) < 2:
        raise ReviewError("每一步都须填写意见或依据（至少 2 个字符）")
    if len(text) > 2000:
        raise ReviewError("意见最多 2000 个字符")
    return text


def _class(value: str | None) -> str:
    if value not in CLASSES:
        raise ReviewError("开放类别须为 not_open、conditional 或 unconditional")
    return value


def _load(conn: Connection, store: CatalogStore, review_id: str) -> Review:
    reviews, steps = store.tables.reviews, store.tables.review_steps
    row = conn.execute(select(reviews).where(reviews.c.id == review_id[:40])).first()
    if row is None:
        raise NotFound(review_id)
    data = dict(row._mapping)
    data["created_at"], data["updated_at"] = as_utc(data["created_at"]), as_utc(data["updated_at"])
    review = Review(**data)
    for s in conn.execute(select(steps).where(steps.c.review_id == review.id).order_by(steps.c.id)):
        review.steps.append(Step(role=s.role, action=s.action, open_class=s.open_class, note=s.note,
                                 checklist=json.loads(s.checklist) if s.checklist else None, actor=s.actor,
                                 at=as_utc(s.at)))
    return review


def get(store: CatalogStore, review_id: str) -> Review:
    with store.engine.connect() as conn:
        return _load(conn, store, review_id)


def list_reviews(store: CatalogStore, role: str | None = None, dataset_id: str | None = None) -> list[Review]:
    """Newest first; `role`: only the open cases waiting for that role."""
    table = store.tables.reviews
    query = select(table.c.id).order_by(table.c.updated_at.desc(), table.c.id)
    if dataset_id:
        query = query.where(table.c.dataset_id == dataset_id)
    with store.engine.connect() as conn:
        found = [_load(conn, store, i) for i in conn.execute(query).scalars()]
    return [r for r in found if role is None or r.role_due == role]


def _record_step(conn: Connection, store: CatalogStore, review: Review, step: Step, **case: Any) -> Event:
    conn.execute(insert(store.tables.review_steps).values(
        review_id=review.id, role=step.role, action=step.action, open_class=step.open_class, note=step.note,
        checklist=json.dumps(step.checklist, ensure_ascii=False) if step.checklist is not None else None,
        actor=step.actor, at=utc_now()))
    conn.execute(update(store.tables.reviews).where(store.tables.reviews.c.id == review.id).values(
        updated_at=utc_now(), **case))
    return Event("review", review.id, step.action, step.actor, review.dataset_id,
                 {"role": step.role, "class": step.open_class, "note": step.note, "checklist": step.checklist,
                  "stage": case.get("stage", review.stage), "status": case.get("status", review.status)})


def submit(store: CatalogStore, dataset_id: str, proposed_class: str, basis: str, actor: str) -> Review:
    """The agency's class and basis for a dataset: opens a case at the authority."""
    dataset_id = check_dataset_id(dataset_id)
    proposed = _class(proposed_class)
    basis = _note(basis)
    record = store.latest(dataset_id)
    current = published_class(record) if record else None
    if proposed == "unconditional" and current in (None, "unconditional"):
        raise ReviewError("无条件开放且类别不变的数据集无需审核链（第八条）")
    review_id = "v" + secrets.token_hex(6)
    now = utc_now()

    def change(conn: Connection) -> tuple[None, Event]:
        conn.execute(insert(store.tables.reviews).values(
            id=review_id, dataset_id=dataset_id, current_class=current, proposed_class=proposed,
            stage="authority_review", status="open", decided_class=None, created_at=now, updated_at=now))
        review = Review(review_id, dataset_id, current, proposed, "authority_review", "open", None, now, now)
        step = Step("agency_steward", "submit", proposed, basis, None, _clean(actor)[:100], now)
        return None, _record_step(conn, store, review, step)

    transact(store, change)
    return get(store, review_id)


def _settled(open_class: str) -> dict[str, Any]:
    """Once the class is agreed: not open is decided; anything opened goes to the formal review first."""
    if open_class == "not_open":
        return {"stage": "closed", "status": "decided", "decided_class": open_class}
    return {"stage": "formal_review", "decided_class": open_class}


def act(store: CatalogStore, review_id: str, role: str, action: str, note: str, actor: str,
        open_class: str | None = None, ticked: list[str] | None = None,
        checklists: Checklists | None = None) -> Review:
    """One step of the chain by `role`; refuses a role or action out of turn, a missing note or checklist item."""
    lists = checklists or Checklists.default()

    def change(conn: Connection) -> tuple[None, Event]:
        review = _load(conn, store, review_id)
        if review.status != "open":
            raise ReviewError(f"审核 {review.id} 已办结（{STATUS_ZH[review.status]}）")
        if role != review.role_due:
            raise ReviewError(f"当前环节（{STAGE_ZH[review.stage]}）应由{ROLE_ZH[review.role_due or role]}办理")
        if action not in STAGE_ACTIONS[review.stage]:
            raise ReviewError(f"当前环节只能：{'、'.join(ACTION_ZH[a] for a in STAGE_ACTIONS[review.stage])}")
        step, case = _step(review, role, action, note, _clean(actor)[:100], open_class, ticked, lists)
        return None, _record_step(conn, store, review, step, **case)

    transact(store, change)
    return get(store, review_id)


def _step(review: Review, role: str, action: str, note: str, actor: str, open_class: str | None,
          ticked: list[str] | None, checklists: Checklists) -> tuple[Step, dict[str, Any]]:
    on_table = review.class_on_the_table
    checklist = None
    if action == "propose":
        chosen = _class(open_class)
        if chosen == on_table:
            raise ReviewError("建议的类别与数据提供单位的定级相同，请选择“同意”")
        case: dict[str, Any] = {"stage": "agency_reply"}
    elif action == "maintain":
        chosen, case = review.proposed_class, {"stage": "expert_panel"}
    elif action == "decide":
        chosen = _class(open_class)
        case = _settled(chosen)
    elif action in ("agree", "accept"):
        chosen = on_table
        case = _settled(chosen)
    else:  # pass / fail of the formal review or the technical check
        chosen = review.decided_class
        items = checklists.items(review.stage)
        checklist = {item: item in (ticked or []) for item in items}
        if action == "pass" and not all(checklist.values()):
            raise ReviewError("检查清单须逐项勾选后才能通过；未满足的请选择“未通过”并说明")
        if action == "fail":
            case = {"stage": "closed", "status": "returned"}
        else:
            case = {"stage": "technical_check"} if review.stage == "formal_review" else \
                {"stage": "closed", "status": "approved"}
    return Step(role, action, chosen, _note(note), checklist, actor, None), case


def approved_class(store: CatalogStore, dataset_id: str) -> str | None:
    """The class the newest finished chain settled for a dataset (approved or decided), else None."""
    for review in list_reviews(store, dataset_id=dataset_id):
        if review.status in ("approved", "decided"):
            return review.decided_class
    return None
