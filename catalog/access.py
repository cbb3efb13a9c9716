"""Conditional access (Art. 13/14): apply, a steward decides, the approved user downloads within limits.

Secrets are stored as SHA-256 hashes only. The applicant holds a receipt (to follow the application);
approval issues an access token, shown once to the steward (to deliver) and once to the applicant
on the status page, after which only its hash remains. Every download through a token is counted
against the requested access count and logged, and stops at the end of the term.

Revocation (Art. 19, 21): a steward ends a user's conditional access for a stated violation. The user
is the credential number (identity) of the application: every approved application of that identity
is revoked at once (its token is refused on the next request), new applications from it are refused,
its status page and its token's refusal say why, and the audit trail records the revocation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, insert, select, update

from catalog.entry import published_class
from catalog.events import Event, transact
from catalog.index import as_utc
from catalog.record import utc_now
from catalog.store import CatalogStore, check_dataset_id

MAX_TERM_DAYS = 365
MAX_ACCESS_COUNT = 1000


class AccessDenied(Exception):
    """A download or decision that is not allowed; the message is safe to show to the user."""


class NotFound(LookupError):
    pass


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean(value: str) -> str:
    return " ".join(value.split())


class ApplicationForm(BaseModel):
    """What an applicant submits; limits keep the desk readable and the database small."""

    applicant: str = Field(min_length=2, max_length=50)
    organisation: str = Field(min_length=2, max_length=100)
    identity: str = Field(min_length=4, max_length=40, description="Credential number, e.g. 统一社会信用代码.")
    contact: str = Field(min_length=5, max_length=100)
    purpose: str = Field(min_length=10, max_length=2000)
    term_days: int = Field(ge=1, le=MAX_TERM_DAYS)
    requested_count: int = Field(ge=1, le=MAX_ACCESS_COUNT)
    commitment: bool

    @field_validator("applicant", "organisation", "identity", "contact", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        return _clean(value) if isinstance(value, str) else value

    @field_validator("purpose", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("commitment")
    @classmethod
    def _accepted(cls, value: bool) -> bool:
        if not value:
            raise ValueError("须接受数据安全承诺")
        return value


class Application(BaseModel):
    id: str
    dataset_id: str
    applicant: str
    organisation: str
    identity: str
    contact: str
    purpose: str
    term_days: int
    requested_count: int
    status: Literal["pending", "approved", "rejected", "revoked"]
    created_at: datetime
    decided_at: datetime | None
    steward_note: str | None
    expires_at: datetime | None
    downloads_used: int


def _row_to_app(row: object) -> Application:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    for key in ("created_at", "decided_at", "expires_at"):
        data[key] = as_utc(data[key])
    return Application.model_validate({k: v for k, v in data.items() if k in Application.model_fields})


def apply(store: CatalogStore, dataset_id: str, form: ApplicationForm) -> tuple[Application, str]:
    """File an application; returns it and the receipt secret the applicant keeps."""
    record = store.latest(check_dataset_id(dataset_id))
    if record is None or published_class(record) != "conditional":
        raise NotFound(f"{dataset_id} is not a conditionally open dataset")
    if (revoked := revocation_for(store, form.identity)) is not None:
        raise AccessDenied(f"该申请人的有条件开放数据使用权已被终止，不能再提出申请（原因：{revoked}）")
    app_id = "a" + secrets.token_hex(6)
    receipt = secrets.token_urlsafe(18)
    values = form.model_dump() | {
        "id": app_id, "dataset_id": dataset_id, "status": "pending", "created_at": utc_now(),
        "receipt_sha256": _digest(receipt), "downloads_used": 0,
    }
    with store.engine.begin() as conn:
        conn.execute(insert(store.tables.applications).values(**values))
    return get(store, app_id), receipt


def get(store: CatalogStore, app_id: str) -> Application:
    apps = store.tables.applications
    with store.engine.connect() as conn:
        row = conn.execute(select(apps).where(apps.c.id == app_id)).first()
    if row is None:
        raise NotFound(app_id)
    return _row_to_app(row)


def for_applicant(store: CatalogStore, app_id: str, receipt: str) -> tuple[Application, str | None]:
    """The applicant's view, proven by the receipt; hands over the access token once, then forgets it."""
    apps = store.tables.applications
    with store.engine.begin() as conn:
        row = conn.execute(select(apps).where(apps.c.id == app_id)).first()
        if row is None or not hmac.compare_digest(row.receipt_sha256, _digest(receipt)):
            raise NotFound(app_id)
        token = row.token_pickup
        if token:
            conn.execute(update(apps).where(apps.c.id == app_id).values(token_pickup=None))
    return _row_to_app(row), token


def list_applications(store: CatalogStore, status: str | None = None) -> list[Application]:
    apps = store.tables.applications
    query = select(apps).order_by(apps.c.created_at.desc(), apps.c.id)
    if status:
        query = query.where(apps.c.status == status)
    with store.engine.connect() as conn:
        return [_row_to_app(row) for row in conn.execute(query)]


def decide(store: CatalogStore, app_id: str, approve: bool, note: str = "") -> tuple[Application, str | None]:
    """Approve (returns the access token, shown once) or reject a pending application."""
    apps = store.tables.applications
    now = utc_now()
    token = secrets.token_urlsafe(24) if approve else None
    with store.engine.begin() as conn:
        row = conn.execute(select(apps).where(apps.c.id == app_id)).first()
        if row is None:
            raise NotFound(app_id)
        if row.status != "pending":
            raise AccessDenied(f"申请 {app_id} 已处理（{row.status}），不能再次审核")
        values: dict[str, object] = {
            "status": "approved" if approve else "rejected", "decided_at": now,
            "steward_note": _clean(note)[:500] or None,
        }
        if token:
            values |= {"token_sha256": _digest(token), "token_pickup": token,
                       "expires_at": now + timedelta(days=row.term_days)}
        conn.execute(update(apps).where(apps.c.id == app_id, apps.c.status == "pending").values(**values))
    return get(store, app_id), token


def authorize(store: CatalogStore, dataset_id: str, token: str, version: int, path: str) -> Application:
    """Spend one access of the token on one file, or refuse with the reason; logs the download."""
    apps = store.tables.applications
    now = utc_now()
    with store.engine.begin() as conn:
        row = conn.execute(select(apps).where(apps.c.token_sha256 == _digest(token.strip()))).first()
        if row is not None and row.status == "revoked":
            raise AccessDenied(f"访问权限已被终止：{revocation_reason(store, row.id) or '违反使用协议'}")
        if row is None or row.dataset_id != dataset_id or row.status != "approved":
            raise AccessDenied("访问令牌无效，或不适用于本数据集")
        expires = as_utc(row.expires_at)
        if expires is None or now >= expires:
            raise AccessDenied("访问令牌已过期，请重新申请")
        spent = conn.execute(
            update(apps)
            .where(apps.c.id == row.id, apps.c.downloads_used < apps.c.requested_count)
            .values(downloads_used=apps.c.downloads_used + 1)
        ).rowcount
        if not spent:
            raise AccessDenied("已达到申请的访问次数上限")
        conn.execute(insert(store.tables.downloads).values(
            dataset_id=dataset_id, version=version, path=path, application_id=row.id, at=now))
    return get(store, row.id)


def log_public_download(store: CatalogStore, dataset_id: str, version: int, path: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(store.tables.downloads).values(
            dataset_id=dataset_id, version=version, path=path, application_id=None, at=utc_now()))


def downloads(store: CatalogStore, dataset_id: str | None = None) -> list[dict[str, object]]:
    table = store.tables.downloads
    query = select(table).order_by(table.c.id)
    if dataset_id:
        query = query.where(table.c.dataset_id == dataset_id)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# ----- revocation (Art. 19, 21) ---------------------------------------------------------------------


def _identity_digest(identity: str) -> str:
    """The user's key for revocation: the credential number, spaces gone and letters upper-case."""
    return _digest("".join(identity.split()).upper())


def revocation_for(store: CatalogStore, identity: str) -> str | None:
    """The stated violation when this identity's access was ended, else None."""
    table = store.tables.revocations
    with store.engine.connect() as conn:
        row = conn.execute(select(table.c.violation).where(table.c.identity_sha256 == _identity_digest(identity))
                           .order_by(table.c.id.desc()).limit(1)).first()
    return row.violation if row else None


def revocation_reason(store: CatalogStore, app_id: str) -> str | None:
    """Why the access of this application was ended (shown to the user), else None."""
    app = get(store, app_id)
    return revocation_for(store, app.identity) if app.status == "revoked" else None


def revoke(store: CatalogStore, app_id: str, violation: str, steward: str) -> list[str]:
    """End the conditional access of the user behind `app_id` for `violation`; returns the revoked ids.

    Every approved application of the same identity stops at once (all datasets: Art. 21 ends the service
    to the user, not to one file), and later applications from it are refused."""
    violation = _clean(violation)
    if not 5 <= len(violation) <= 500:
        raise AccessDenied("须说明违反协议的情形（5 至 500 个字符）")
    apps = store.tables.applications

    def change(conn: Connection) -> tuple[list[str], Event]:
        row = conn.execute(select(apps).where(apps.c.id == app_id[:40])).first()
        if row is None:
            raise NotFound(app_id)
        digest = _identity_digest(row.identity)
        same_user = [r for r in conn.execute(select(apps.c.id, apps.c.identity, apps.c.status))
                     if _identity_digest(r.identity) == digest and r.status in ("approved", "pending")]
        ids = sorted(r.id for r in same_user)
        if ids:
            conn.execute(update(apps).where(apps.c.id.in_(ids)).values(status="revoked", token_pickup=None,
                                                                     decided_at=utc_now()))
        conn.execute(insert(store.tables.revocations).values(
            identity_sha256=digest, application_id=row.id, violation=violation, steward=_clean(steward)[:100],
            at=utc_now()))
        return ids, Event("access", row.id, "revoked", _clean(steward)[:100], row.dataset_id,
                          {"violation": violation, "applications": ids})

    return transact(store, change)
