"""The privacy-budget ledger: what each dataset has spent on differentially private releases, per period.

Differencing attacks subtract releases from each other, so a DP guarantee holds for all of a dataset's
releases together only while their losses add up to no more than a budget: the policy sets one per
dataset and period (`dp_budget: {epsilon: 3.0, delta: 1e-6, period: year}`). Each aggregate release
spends its (ε, δ) here (basic composition: the ledger adds them up) and a release that would overspend
is refused with its figures. Entries live in the catalog index beside the history and each spend is
also appended to the audit trail (`catalog.audit.append`), in the same transaction.

Check-then-spend must be atomic: SQLite's driver runs the reading SELECTs outside the transaction, so
two writers could both see room for their spend. Spends therefore hold an exclusive lock on a file in
the catalog folder (every writer of a catalog shares that folder); rows are also numbered per dataset
and period under a unique key, so writers that slip past the lock (another machine on the same
PostgreSQL index) fail on the key, retry, and see each other's spend.
"""

from __future__ import annotations

import fcntl
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, UniqueConstraint, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from catalog import audit
from catalog.index import PREFIX
from catalog.record import ReleaseRecord, utc_now

# Float sums of a few losses: a spend equal to the remainder up to rounding is not an overspend.
TOLERANCE = 1e-9
_ATTEMPTS = 8


class BudgetExceeded(RuntimeError):
    """A release that would spend more than the dataset's remaining budget; the message gives the figures."""


@dataclass(frozen=True)
class Allowance:
    """The policy's budget for one dataset."""

    epsilon: float
    delta: float = 0.0
    period: str = "year"


@dataclass(frozen=True)
class LedgerStatus:
    dataset_id: str
    period: str  # e.g. 2026, 2026-Q4, 2026-12, ever
    budget_epsilon: float
    budget_delta: float
    spent_epsilon: float
    spent_delta: float
    releases: int

    @property
    def remaining_epsilon(self) -> float:
        return max(0.0, self.budget_epsilon - self.spent_epsilon)

    @property
    def remaining_delta(self) -> float:
        return max(0.0, self.budget_delta - self.spent_delta)

    def allows(self, epsilon: float, delta: float) -> bool:
        return (self.spent_epsilon + epsilon <= self.budget_epsilon + TOLERANCE
                and self.spent_delta + delta <= self.budget_delta + TOLERANCE * max(self.budget_delta, 1e-12))

    def figures(self, epsilon: float, delta: float) -> str:
        """One line: spent, remaining and asked, ε and δ, for the decision and a refusal."""
        text = (f"period {self.period}: spent ε {self.spent_epsilon:.4g} of {self.budget_epsilon:.4g}, "
                f"remaining ε {self.remaining_epsilon:.4g}, asked ε {epsilon:.4g}")
        if delta or self.budget_delta:
            text += (f"; spent δ {self.spent_delta:.3g} of {self.budget_delta:.3g}, remaining δ "
                     f"{self.remaining_delta:.3g}, asked δ {delta:.3g}")
        return text


def period_key(period: str, when: datetime | None = None) -> str:
    when = (when or datetime.now(UTC)).astimezone(UTC)
    if period == "year":
        return f"{when.year}"
    if period == "quarter":
        return f"{when.year}-Q{(when.month - 1) // 3 + 1}"
    if period == "month":
        return f"{when.year}-{when.month:02d}"
    if period == "ever":
        return "ever"
    raise ValueError(f"unknown budget period {period!r}: expected year, quarter, month or ever")


def ledger_table(metadata: MetaData) -> Table:
    return Table(
        f"{PREFIX}dp_ledger", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dataset_id", String(80), nullable=False, index=True),
        Column("period", String(16), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("run_id", String(200), nullable=False),
        Column("epsilon", Float, nullable=False),
        Column("delta", Float, nullable=False),
        Column("rho", Float, nullable=True),
        Column("mechanism", String(200), nullable=False),
        Column("audit_seq", Integer, nullable=True),
        UniqueConstraint("dataset_id", "period", "seq", name=f"{PREFIX}dp_ledger_seq"),
    )


class Ledger:
    """The ledger of one catalog (its index database, its audit trail)."""

    def __init__(self, store) -> None:  # a catalog.store.CatalogStore
        self.store = store
        self.table = ledger_table(MetaData(schema=store.index_schema))
        try:
            self.table.metadata.create_all(store.engine)
        except DBAPIError:  # another process created it between the check and the CREATE
            self.table.metadata.create_all(store.engine)

    def status(self, dataset_id: str, allowance: Allowance, when: datetime | None = None) -> LedgerStatus:
        key = period_key(allowance.period, when)
        with self.store.engine.connect() as conn:
            return self._status(conn, dataset_id, key, allowance)

    def _status(self, conn, dataset_id: str, key: str, allowance: Allowance) -> LedgerStatus:
        t = self.table
        row = conn.execute(select(func.coalesce(func.sum(t.c.epsilon), 0.0), func.coalesce(func.sum(t.c.delta), 0.0),
                                  func.count()).where(t.c.dataset_id == dataset_id, t.c.period == key)).one()
        return LedgerStatus(dataset_id=dataset_id, period=key, budget_epsilon=allowance.epsilon,
                            budget_delta=allowance.delta, spent_epsilon=float(row[0]), spent_delta=float(row[1]),
                            releases=int(row[2]))

    def spend(self, record: ReleaseRecord, allowance: Allowance, epsilon: float, delta: float,
              rho: float | None = None, mechanism: str = "", when: datetime | None = None) -> LedgerStatus:
        """Spend (ε, δ) for `record`'s release, or raise BudgetExceeded with the figures; returns the status
        before the spend. The spend and its audit entry commit together or not at all."""
        if not (math.isfinite(epsilon) and math.isfinite(delta)) or epsilon < 0 or delta < 0:
            raise ValueError("a spend needs finite, non-negative ε and δ")
        dataset_id = record.dataset.id
        key = period_key(allowance.period, when)
        t = self.table
        for attempt in range(_ATTEMPTS):
            try:
                with self._locked(), self.store.engine.begin() as conn:
                    before = self._status(conn, dataset_id, key, allowance)
                    if not before.allows(epsilon, delta):
                        raise BudgetExceeded(f"privacy budget exceeded: {before.figures(epsilon, delta)}")
                    last = conn.execute(select(func.max(t.c.seq)).where(t.c.dataset_id == dataset_id,
                                                                        t.c.period == key)).scalar()
                    seq, digest = audit.append(conn, self.store.tables.audit, record, release_id=None,
                                               record_json=record.model_dump_json(), source="dp-ledger")
                    conn.execute(insert(t).values(
                        dataset_id=dataset_id, period=key, seq=(last or 0) + 1, at=utc_now(), run_id=record.run_id,
                        epsilon=float(epsilon), delta=float(delta), rho=rho, mechanism=mechanism[:200],
                        audit_seq=seq))
            except IntegrityError:
                if attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            audit.write_head(self.store.root, seq, digest)
            return before
        raise AssertionError("unreachable")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.store.root / ".dp-ledger.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def entries(self, dataset_id: str) -> list[dict]:
        """Every spend of a dataset, oldest first (for `kaifang audit` views and tests)."""
        t = self.table
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.dataset_id == dataset_id).order_by(t.c.id)).mappings().all()
        return [dict(row) for row in rows]
