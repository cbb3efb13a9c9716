"""Governance state changes and their audit entries, written in one transaction.

Each desk (requests, revocation, reviews) changes its rows and appends the event that says so in the
same transaction: a change without its entry, or an entry without its change, cannot happen. Writers
racing for the next audit sequence number retry the whole transaction, as releases do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

from catalog import audit
from catalog.store import CatalogStore

T = TypeVar("T")


@dataclass
class Event:
    """What the audit trail keeps of one change: names, ids, classes, dates, public notes."""

    kind: str
    subject: str
    action: str
    actor: str
    dataset_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def transact(store: CatalogStore, change: Callable[[Connection], tuple[T, Event]]) -> T:
    """Run `change` (which returns its result and the event to record) and append the event, atomically."""

    def write(conn: Connection) -> tuple[T, tuple[int, str]]:
        result, event = change(conn)
        return result, audit.append_event(
            conn, store.tables.audit, kind=event.kind, subject=event.subject, dataset_id=event.dataset_id,
            actor=event.actor, action=event.action, details=event.details)

    return audit.retrying(store.engine, store.root, write)


def trail(store: CatalogStore, kind: str | None = None, subject: str | None = None) -> list[audit.AuditEntry]:
    """The governance entries (of one kind, or about one subject), oldest first."""
    found = audit.entries(store.engine, store.tables, status=kind, run_id=subject)
    return [e for e in found if e.entry.get("source") == audit.EVENT_SOURCE]
