"""Objections (Art. 12): anyone reports an error or omission; the agency verifies and answers in public.

The objector's contact is kept for the steward only; the dataset page shows the objection, its status
and the answer, so other users see that the channel works.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import insert, select, update

from catalog.index import as_utc
from catalog.record import utc_now
from catalog.store import CatalogStore, check_dataset_id


class NotFound(LookupError):
    pass


class ObjectionForm(BaseModel):
    field: str = Field(default="", max_length=200, description="Column concerned; empty for the whole dataset.")
    description: str = Field(min_length=5, max_length=2000)
    contact: str = Field(min_length=5, max_length=100)

    @field_validator("field", "contact", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("description", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class Objection(BaseModel):
    id: str
    dataset_id: str
    field: str | None
    description: str
    contact: str
    status: Literal["open", "answered"]
    answer: str | None
    created_at: datetime
    answered_at: datetime | None


def _row(row: object) -> Objection:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data["created_at"], data["answered_at"] = as_utc(data["created_at"]), as_utc(data["answered_at"])
    return Objection.model_validate(data)


def file_objection(store: CatalogStore, dataset_id: str, form: ObjectionForm) -> Objection:
    record = store.latest(check_dataset_id(dataset_id))
    if record is None:
        raise NotFound(dataset_id)
    known = {column.name for column in record.columns}
    if form.field and form.field not in known:
        raise ValueError("所选信息项不属于本数据集")
    objection_id = "o" + secrets.token_hex(6)
    with store.engine.begin() as conn:
        conn.execute(insert(store.tables.objections).values(
            id=objection_id, dataset_id=dataset_id, field=form.field or None, description=form.description,
            contact=form.contact, status="open", created_at=utc_now(),
        ))
    return get(store, objection_id)


def get(store: CatalogStore, objection_id: str) -> Objection:
    table = store.tables.objections
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == objection_id)).first()
    if row is None:
        raise NotFound(objection_id)
    return _row(row)


def list_objections(store: CatalogStore, dataset_id: str | None = None, status: str | None = None) -> list[Objection]:
    table = store.tables.objections
    query = select(table).order_by(table.c.created_at.desc(), table.c.id)
    if dataset_id:
        query = query.where(table.c.dataset_id == dataset_id)
    if status:
        query = query.where(table.c.status == status)
    with store.engine.connect() as conn:
        return [_row(row) for row in conn.execute(query)]


def answer(store: CatalogStore, objection_id: str, text: str) -> Objection:
    """Record the agency's answer; answering again replaces it (a correction is also an answer)."""
    text = text.strip()
    if not 2 <= len(text) <= 2000:
        raise ValueError("答复须为 2 至 2000 个字符")
    table = store.tables.objections
    with store.engine.begin() as conn:
        done = conn.execute(update(table).where(table.c.id == objection_id).values(
            status="answered", answer=text, answered_at=utc_now())).rowcount
    if not done:
        raise NotFound(objection_id)
    return get(store, objection_id)
