"""Data requests (Art. 10 ¶3, Art. 20(二)): anyone asks for a dataset to be opened or opened further.

A request names what is wanted and why, and a contact; it goes to the agency the requester names (the
publisher, when it names a catalogued dataset), or to one the big-data authority assigns. The agency
answers in public within the policy's `request_response_days`: accepted with a planned date, refused
with reasons, or fulfilled with the release that opened it. Unanswered requests past their deadline
are overdue (refusing to respond is a violation, Art. 20(二)), flagged to stewards and on the CLI.

The requester's contact is kept for the agency only: `DataRequest.public()` is what every public page
and the audit trail get. Every change of state appends an audit event in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import Connection, insert, select, update

from catalog.entry import published_class
from catalog.events import Event, transact
from catalog.index import as_utc
from catalog.record import utc_now
from catalog.store import CatalogStore, check_dataset_id

Status = Literal["received", "under_review", "accepted", "refused", "fulfilled"]
STATUSES: tuple[str, ...] = ("received", "under_review", "accepted", "refused", "fulfilled")
STATUS_ZH = {"received": "已收到", "under_review": "办理中", "accepted": "同意开放", "refused": "不予开放",
             "fulfilled": "已开放"}
ANSWERED = {"accepted", "refused", "fulfilled"}
FINAL = {"refused", "fulfilled"}
DEFAULT_RESPONSE_DAYS = 15
EVENT_KIND = "request"


class NotFound(LookupError):
    pass


class RequestError(ValueError):
    """A request or answer that breaks a rule; the message is safe to show (it echoes no input)."""


def _one_line(value: object) -> object:
    return " ".join(value.split()) if isinstance(value, str) else value


OneLine = Annotated[str, BeforeValidator(_one_line)]
Text = Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


class RequestForm(BaseModel):
    """What a requester submits on the portal; every field but the contact is public."""

    title: OneLine = Field(min_length=2, max_length=200, description="The data wanted.")
    dataset_id: OneLine = Field(default="", max_length=80, description="A catalogued dataset to open further.")
    agency: OneLine = Field(default="", max_length=200, description="The agency thought to hold the data.")
    reason: Text = Field(min_length=10, max_length=2000, description="Why, and for what use.")
    contact: OneLine = Field(min_length=5, max_length=100)


class DataRequest(BaseModel):
    id: str
    title: str
    dataset_id: str | None
    reason: str
    contact: str
    agency: str | None
    status: Status
    answer: str | None
    planned_date: date | None
    release_version: int | None
    created_at: datetime
    due_at: datetime
    answered_at: datetime | None
    updated_at: datetime

    def overdue(self, now: datetime | None = None) -> bool:
        """Past the response deadline without a public answer."""
        return self.status not in ANSWERED and (now or utc_now()) > self.due_at

    def late(self, today: date | None = None) -> bool:
        """Accepted, but the planned date has passed and the data is not open yet."""
        return self.status == "accepted" and self.planned_date is not None and \
            (today or utc_now().date()) > self.planned_date

    def public(self) -> dict[str, Any]:
        """Everything but the requester's contact, with the flags the pages show."""
        return self.model_dump(exclude={"contact"}) | {"overdue": self.overdue(), "late": self.late(),
                                                       "status_zh": STATUS_ZH[self.status]}


def _row(row: Any) -> DataRequest:
    data = dict(row._mapping)
    for key in ("created_at", "due_at", "answered_at", "updated_at"):
        data[key] = as_utc(data[key])
    return DataRequest.model_validate(data)


def _target_dataset(store: CatalogStore, dataset_id: str) -> tuple[str | None, str | None]:
    """(dataset id, its publisher) for a request naming a catalogued dataset; refuses one fully open."""
    if not dataset_id:
        return None, None
    try:
        record = store.latest(check_dataset_id(dataset_id))
    except ValueError:
        raise RequestError("数据集编号格式不正确") from None
    if record is None:
        raise RequestError("目录中没有该编号的数据集；请留空编号，用名称描述所需数据")
    if published_class(record) == "unconditional":
        raise RequestError("该数据集已无条件开放，可直接下载")
    return record.dataset.id, record.dataset.publisher


def file_request(store: CatalogStore, form: RequestForm, response_days: int = DEFAULT_RESPONSE_DAYS) -> DataRequest:
    """Record a request; it goes to the dataset's publisher, the agency named, or awaits assignment."""
    dataset_id, publisher = _target_dataset(store, form.dataset_id)
    now = utc_now()
    request_id = "r" + secrets.token_hex(6)
    agency = publisher or form.agency or None
    values = {"id": request_id, "title": form.title, "dataset_id": dataset_id, "reason": form.reason,
              "contact": form.contact, "agency": agency, "status": "received", "created_at": now,
              "due_at": now + timedelta(days=response_days), "updated_at": now}

    def change(conn: Connection) -> tuple[None, Event]:
        conn.execute(insert(store.tables.requests).values(**values))
        return None, Event(EVENT_KIND, request_id, "filed", "public", dataset_id,
                           {"title": form.title, "agency": agency, "due_at": values["due_at"].isoformat()})

    transact(store, change)
    return get(store, request_id)


def get(store: CatalogStore, request_id: str) -> DataRequest:
    table = store.tables.requests
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == request_id[:40])).first()
    if row is None:
        raise NotFound(request_id)
    return _row(row)


def list_requests(store: CatalogStore, status: str | None = None, overdue_only: bool = False) -> list[DataRequest]:
    """Newest first; `overdue_only` keeps those past their deadline without an answer (or late on their plan)."""
    table = store.tables.requests
    query = select(table).order_by(table.c.created_at.desc(), table.c.id)
    if status:
        query = query.where(table.c.status == status)
    with store.engine.connect() as conn:
        found = [_row(row) for row in conn.execute(query)]
    return [r for r in found if r.overdue() or r.late()] if overdue_only else found


def _open_request(conn: Connection, store: CatalogStore, request_id: str) -> DataRequest:
    table = store.tables.requests
    row = conn.execute(select(table).where(table.c.id == request_id[:40])).first()
    if row is None:
        raise NotFound(request_id)
    current = _row(row)
    if current.status in FINAL:
        raise RequestError(f"需求 {current.id} 已办结（{STATUS_ZH[current.status]}），不能再更改")
    return current


def assign(store: CatalogStore, request_id: str, agency: str, actor: str) -> DataRequest:
    """The authority sends a request to an agency; a received request is then under review."""
    agency = str(_one_line(agency))
    if not 2 <= len(agency) <= 200:
        raise RequestError("承办单位须为 2 至 200 个字符")
    table = store.tables.requests

    def change(conn: Connection) -> tuple[None, Event]:
        current = _open_request(conn, store, request_id)
        status = "under_review" if current.status == "received" else current.status
        conn.execute(update(table).where(table.c.id == current.id).values(
            agency=agency, status=status, updated_at=utc_now()))
        return None, Event(EVENT_KIND, current.id, "assigned", actor, current.dataset_id,
                           {"agency": agency, "from_agency": current.agency, "status": status})

    transact(store, change)
    return get(store, request_id)


def _release_version(store: CatalogStore, dataset_id: str | None) -> tuple[str, int]:
    if not dataset_id:
        raise RequestError("已开放须注明开放的数据集编号（--dataset）")
    try:
        record = store.latest(check_dataset_id(dataset_id))
    except ValueError:
        raise RequestError("数据集编号格式不正确") from None
    if record is None or record.version is None or published_class(record) == "not_open":
        raise RequestError("该数据集尚未开放发布，不能标记为已开放")
    return record.dataset.id, record.version


def answer(store: CatalogStore, request_id: str, status: str, text: str, actor: str,
           planned_date: date | None = None, dataset_id: str | None = None) -> DataRequest:
    """The agency's public answer: under review, accepted (with a planned date), refused (with reasons),
    or fulfilled (naming the published dataset that answers it). Refused and fulfilled are final."""
    if status not in STATUSES or status == "received":
        raise RequestError("状态须为 under_review、accepted、refused 或 fulfilled")
    text = text.strip()
    if status == "refused" and len(text) < 5:
        raise RequestError("不予开放须说明理由（至少 5 个字符）")
    if status == "accepted" and planned_date is None:
        raise RequestError("同意开放须注明计划开放日期")
    if len(text) > 2000:
        raise RequestError("答复最多 2000 个字符")
    table = store.tables.requests

    def change(conn: Connection) -> tuple[None, Event]:
        current = _open_request(conn, store, request_id)
        values: dict[str, Any] = {"status": status, "updated_at": utc_now(), "answer": text or current.answer}
        if status == "accepted":
            values["planned_date"] = planned_date
        if status == "fulfilled":
            values["dataset_id"], values["release_version"] = _release_version(store, dataset_id or current.dataset_id)
            values["answer"] = text or current.answer or "已开放"
        if status in ANSWERED and current.answered_at is None:
            values["answered_at"] = values["updated_at"]
        conn.execute(update(table).where(table.c.id == current.id).values(**values))
        details = {"status": status, "answer": values["answer"], "overdue_when_answered": current.overdue(),
                   "planned_date": planned_date.isoformat() if planned_date else None,
                   "release": values.get("release_version")}
        return None, Event(EVENT_KIND, current.id, "answered", actor, values.get("dataset_id", current.dataset_id),
                           details)

    transact(store, change)
    return get(store, request_id)
