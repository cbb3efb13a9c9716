"""The catalog index: release history, access applications, downloads and objections, in SQL.

SQLite beside the files by default, any SQLAlchemy URL (PostgreSQL in production) when given. The
files and the `latest` pointers stay the source of truth for what is published; the index holds
what files cannot: attempts that published nothing, who may download what, and the objection desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)

PREFIX = "kfcat_"


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class IndexTables:
    metadata: MetaData
    releases: Table
    datasets: Table
    applications: Table
    downloads: Table
    objections: Table
    audit: Table
    requests: Table
    revocations: Table
    reviews: Table
    review_steps: Table


def _tables(schema: str | None) -> IndexTables:
    md = MetaData(schema=schema)
    when = DateTime(timezone=True)
    releases = Table(
        f"{PREFIX}releases",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("run_id", String(200), nullable=False),
        Column("version", Integer, nullable=True),
        Column("status", String(16), nullable=False),
        Column("recorded_at", when, nullable=False),
        Column("content_key", String(128), nullable=True),
        Column("record", Text, nullable=False),
        UniqueConstraint("dataset_id", "version", name=f"{PREFIX}releases_version"),
    )
    datasets = Table(
        f"{PREFIX}datasets",
        md,
        Column("dataset_id", String(80), primary_key=True),
        Column("latest_version", Integer, nullable=True),
        Column("latest_release_id", Integer, nullable=True),
        Column("last_attempt_id", Integer, nullable=True),
        Column("updated_at", when, nullable=False),
    )
    applications = Table(
        f"{PREFIX}applications",
        md,
        Column("id", String(32), primary_key=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("applicant", String(100), nullable=False),
        Column("organisation", String(200), nullable=False),
        Column("identity", String(100), nullable=False),
        Column("contact", String(200), nullable=False),
        Column("purpose", Text, nullable=False),
        Column("term_days", Integer, nullable=False),
        Column("requested_count", Integer, nullable=False),
        Column("commitment", Boolean, nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", when, nullable=False),
        Column("decided_at", when, nullable=True),
        Column("steward_note", Text, nullable=True),
        Column("receipt_sha256", String(64), nullable=False),
        Column("token_sha256", String(64), nullable=True, unique=True),
        Column("token_pickup", String(100), nullable=True),
        Column("expires_at", when, nullable=True),
        Column("downloads_used", Integer, nullable=False, default=0),
    )
    downloads = Table(
        f"{PREFIX}downloads",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("version", Integer, nullable=False),
        Column("path", String(300), nullable=False),
        Column("application_id", String(32), nullable=True),
        Column("at", when, nullable=False),
    )
    objections = Table(
        f"{PREFIX}objections",
        md,
        Column("id", String(32), primary_key=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("field", String(200), nullable=True),
        Column("description", Text, nullable=False),
        Column("contact", String(200), nullable=False),
        Column("status", String(16), nullable=False),
        Column("answer", Text, nullable=True),
        Column("created_at", when, nullable=False),
        Column("answered_at", when, nullable=True),
    )
    # The audit trail (catalog/audit.py): append-only, each entry hash-chained to the one before.
    audit = Table(
        f"{PREFIX}audit",
        md,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", when, nullable=False),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("run_id", String(200), nullable=False),
        Column("status", String(16), nullable=False),
        Column("release_id", Integer, nullable=True),
        Column("entry", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )
    requests, revocations, reviews, review_steps = _governance_tables(md)
    return IndexTables(md, releases, datasets, applications, downloads, objections, audit, requests, revocations,
                       reviews, review_steps)


def _governance_tables(md: MetaData) -> tuple[Table, Table, Table, Table]:
    """Data requests (Art. 10/20), revocations (Art. 19/21) and the review chain (Art. 8/18)."""
    when = DateTime(timezone=True)
    requests = Table(
        f"{PREFIX}requests",
        md,
        Column("id", String(32), primary_key=True),
        Column("title", String(200), nullable=False),
        Column("dataset_id", String(80), nullable=True),
        Column("reason", Text, nullable=False),
        Column("contact", String(200), nullable=False),
        Column("agency", String(200), nullable=True),
        Column("status", String(16), nullable=False),
        Column("answer", Text, nullable=True),
        Column("planned_date", Date, nullable=True),
        Column("release_version", Integer, nullable=True),
        Column("created_at", when, nullable=False),
        Column("due_at", when, nullable=False),
        Column("answered_at", when, nullable=True),
        Column("updated_at", when, nullable=False),
    )
    revocations = Table(
        f"{PREFIX}revocations",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("identity_sha256", String(64), nullable=False, index=True),
        Column("application_id", String(32), nullable=False),
        Column("violation", Text, nullable=False),
        Column("steward", String(100), nullable=False),
        Column("at", when, nullable=False),
    )
    reviews = Table(
        f"{PREFIX}reviews",
        md,
        Column("id", String(32), primary_key=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("current_class", String(16), nullable=True),
        Column("proposed_class", String(16), nullable=False),
        Column("stage", String(24), nullable=False),
        Column("status", String(16), nullable=False),
        Column("decided_class", String(16), nullable=True),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
    )
    review_steps = Table(
        f"{PREFIX}review_steps",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("review_id", String(32), nullable=False, index=True),
        Column("role", String(32), nullable=False),
        Column("action", String(24), nullable=False),
        Column("open_class", String(16), nullable=True),
        Column("note", Text, nullable=False),
        Column("checklist", Text, nullable=True),
        Column("actor", String(100), nullable=False),
        Column("at", when, nullable=False),
    )
    return requests, revocations, reviews, review_steps


def open_index(url: str, schema: str | None = None) -> tuple[Engine, IndexTables]:
    """Connect and create the tables if missing (idempotent, so every process may call it)."""
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):
        # Readers (the portal) must not block the publisher nor see half a transaction.
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

    tables = _tables(schema)
    tables.metadata.create_all(engine)
    return engine, tables
