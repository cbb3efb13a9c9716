"""The audit trail: an append-only, hash-chained log of every release attempt, in the catalog index.

Every attempt reaches the catalog through `CatalogStore.publish` or `CatalogStore.record_attempt`;
both index it in one transaction that also appends one entry here. An entry is the canonical JSON
(sorted keys, no spaces) of what an auditor needs to retrace the attempt: when, who, the spec and input
checksums, the findings, the operators, risk before and after, the decision and its checks, the
steward's approval, the quality outcome and the output checksums. Like the release record it comes
from, it holds names, counts, figures and checksums, never a cell value.

Each entry's hash is sha256(previous entry's hash + its canonical JSON), the first one chained to 64
zeros, so editing an entry breaks its own hash and removing one breaks the next entry's link. Two
more anchors catch what a chain alone cannot: each entry carries the sha256 of the history row it
was written with (an edited history row shows), and `audit.head` in the catalog folder names the last
entry written (a removed tail shows). `verify` reports the first bad entry; an auditor who copies
the head hash elsewhere (`kaifang audit verify` prints it) can also detect a trail rewritten from
some entry on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select

from catalog.index import IndexTables, as_utc
from catalog.record import ReleaseRecord, RiskFigures, utc_now

GENESIS = "0" * 64
HEAD_FILE = "audit.head"
ENTRY_VERSION = 1


def canonical(entry: dict[str, Any]) -> str:
    """The one text form an entry is hashed in: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _risk(figures: RiskFigures | None) -> dict[str, Any] | None:
    if figures is None:
        return None
    return {"records": figures.records, "classes": figures.classes, "min_class_size": figures.min_class_size,
            "prosecutor_highest": figures.prosecutor_highest, "prosecutor_average": figures.prosecutor_average}


def entry_for(record: ReleaseRecord, *, seq: int, at: datetime, release_id: int | None, record_json: str,
              source: str) -> dict[str, Any]:
    """The audit view of a release record (no raw values: the record holds none)."""
    decision = record.decision
    quality = record.quality
    return {
        "v": ENTRY_VERSION,
        "seq": seq,
        "at": at.isoformat(),
        "source": source,
        "dataset": record.dataset.id,
        "run_id": record.run_id,
        "flow_run_id": record.flow_run_id,
        "actor": record.actor,
        "status": record.status,
        "version": record.version,
        "failed_stage": record.failed_stage,
        "failure": record.failure,
        "spec_path": record.spec_path,
        "spec_sha256": record.spec_sha256,
        "policy_version": record.policy_version,
        "policy_sha256": decision.policy_sha256 if decision else None,
        "content_key": record.content_key,
        "input_sha256": record.input_sha256,
        "rows_in": record.rows_in,
        "rows_out": record.rows_out,
        "suppressed": record.suppressed,
        "findings": [{"column": f.column, "entity": f.entity, "share": f.share} for f in record.findings],
        "operators": [{"column": p.column, "action": p.action, "entity": p.entity, "params": p.params}
                      for p in record.plan],
        "residual_findings": [{"column": f.column, "entity": f.entity} for f in record.residual_findings],
        "risk_before": _risk(record.risk_before),
        "risk_after": _risk(record.risk_after),
        "decision": None if decision is None else {
            "declared": decision.declared_class, "target": decision.target_class,
            "published": decision.published_class, "reclassified": decision.reclassified,
            "reason": decision.reason,
            "checks": [{"name": c.name, "passed": c.passed, "figure": c.figure} for c in decision.checks],
        },
        "approval": record.approval.model_dump(mode="json") if record.approval else None,
        "quality": None if quality is None else {
            "passed": quality.passed, "evaluated": quality.evaluated,
            "failed_critical": quality.failed_critical, "failed_warning": quality.failed_warning,
        },
        "outputs": [{"path": o.path, "bytes": o.bytes, "sha256": o.sha256} for o in record.outputs],
        "release_id": release_id,
        "record_sha256": hashlib.sha256(record_json.encode("utf-8")).hexdigest(),
    }


def append(conn: Connection, table: Table, record: ReleaseRecord, *, release_id: int | None, record_json: str,
           source: str = "pipeline") -> tuple[int, str]:
    """Append one entry inside the caller's transaction; returns (seq, hash).

    Two writers that read the same last entry both propose the same `seq`, the primary key: one of
    them fails with an IntegrityError and its caller retries the whole transaction.
    """
    last = conn.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = utc_now()
    text = canonical(entry_for(record, seq=seq, at=at, release_id=release_id, record_json=record_json, source=source))
    digest = chain_hash(prev, text)
    conn.execute(insert(table).values(seq=seq, at=at, dataset_id=record.dataset.id, run_id=record.run_id,
                                      status=record.status, release_id=release_id, entry=text, prev_hash=prev,
                                      hash=digest))
    return seq, digest


# ----- the head anchor ---------------------------------------------------------------------------


def read_head(root: Path) -> tuple[int, str] | None:
    try:
        seq, digest = (root / HEAD_FILE).read_text(encoding="utf-8").split()
        return int(seq), digest
    except (FileNotFoundError, ValueError):
        return None


def write_head(root: Path, seq: int, digest: str) -> None:
    """Name the newest entry in `audit.head` (never move it backwards when writers race)."""
    with open(root / ".audit-head.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            current = read_head(root)
            if current is not None and current[0] >= seq:
                return
            tmp = root / f".{HEAD_FILE}.{uuid.uuid4().hex}.tmp"
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(f"{seq} {digest}\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, root / HEAD_FILE)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


# ----- reading and verifying -----------------------------------------------------------------------


@dataclass
class AuditEntry:
    seq: int
    at: datetime | None
    dataset_id: str
    status: str
    hash: str
    entry: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**self.entry, "hash": self.hash}


def entries(engine: Engine, tables: IndexTables, dataset_id: str | None = None) -> list[AuditEntry]:
    """Entries in the order they were written (all, or one dataset's)."""
    table = tables.audit
    query = select(table).order_by(table.c.seq)
    if dataset_id is not None:
        query = query.where(table.c.dataset_id == dataset_id)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    out = []
    for row in rows:
        try:
            entry = json.loads(row["entry"])
        except ValueError:
            entry = {"unreadable": True}
        out.append(AuditEntry(seq=row["seq"], at=as_utc(row["at"]), dataset_id=row["dataset_id"],
                              status=row["status"], hash=row["hash"], entry=entry))
    return out


@dataclass
class Problem:
    seq: int | None
    message: str


@dataclass
class Verification:
    entries: int = 0
    head: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def ordered(self) -> list[Problem]:
        """Problems by entry number (the first bad entry first), then those of history rows."""
        numbered = sorted((p for p in self.problems if p.seq is not None), key=lambda p: p.seq or 0)
        return numbered + [p for p in self.problems if p.seq is None]


def _check_entry(row: Any, prev_hash: str, problems: list[Problem]) -> dict[str, Any] | None:
    seq = row["seq"]
    if row["prev_hash"] != prev_hash:
        problems.append(Problem(seq - 1, f"entry {seq - 1}: entry {seq} is chained to a different hash "
                                         f"(entry {seq - 1} was edited or removed)"))
    if chain_hash(row["prev_hash"], row["entry"]) != row["hash"]:
        problems.append(Problem(seq, f"entry {seq}: its content does not match its hash (edited)"))
        return None
    try:
        entry = json.loads(row["entry"])
    except ValueError:
        problems.append(Problem(seq, f"entry {seq}: not readable JSON (edited)"))
        return None
    expected = {"seq": entry.get("seq"), "dataset_id": entry.get("dataset"), "status": entry.get("status"),
                "release_id": entry.get("release_id"), "run_id": entry.get("run_id")}
    for column, value in expected.items():
        if row[column] != value:
            problems.append(Problem(seq, f"entry {seq}: column '{column}' differs from the hashed entry (edited)"))
    return entry


def verify(engine: Engine, tables: IndexTables, root: Path) -> Verification:
    """Check the whole chain, its links to the history rows and the head anchor."""
    audit, rel = tables.audit, tables.releases
    result = Verification()
    with engine.connect() as conn:
        rows = conn.execute(select(audit).order_by(audit.c.seq)).mappings().all()
        releases = {r.id: r for r in conn.execute(select(rel.c.id, rel.c.dataset_id, rel.c.status, rel.c.record))}
    problems = result.problems
    prev_hash, expected_seq = GENESIS, 1
    covered: dict[int, int] = {}
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            missing = f"entry {expected_seq}" if seq == expected_seq + 1 else f"entries {expected_seq}-{seq - 1}"
            problems.append(Problem(expected_seq, f"{missing} missing: the trail jumps from {expected_seq - 1} "
                                                  f"to {seq} (removed)"))
        entry = _check_entry(row, prev_hash, problems)
        prev_hash, expected_seq = row["hash"], seq + 1
        if entry is None or entry.get("release_id") is None:
            continue
        release_id = int(entry["release_id"])
        covered[release_id] = seq
        release = releases.get(release_id)
        if release is None:
            problems.append(Problem(seq, f"entry {seq}: the history row it records (release row {release_id}) "
                                         "is gone from the index (removed)"))
        elif hashlib.sha256(release.record.encode("utf-8")).hexdigest() != entry.get("record_sha256"):
            problems.append(Problem(seq, f"entry {seq}: the history row it records (release row {release_id}) "
                                         "was changed after it was written"))
    result.entries = len(rows)
    result.head = rows[-1]["hash"] if rows else None
    first_covered = min(covered) if covered else None
    head = read_head(root)
    uncovered = sorted(i for i in releases if i not in covered)
    older = [i for i in uncovered if (first_covered is None and head is None) or
             (first_covered is not None and i < first_covered)]
    for release_id in uncovered:
        if release_id in older:
            continue
        release = releases[release_id]
        problems.append(Problem(None, f"release row {release_id} ({release.dataset_id}, {release.status}) has no "
                                      "audit entry (its entry was removed)"))
    if older:
        result.notes.append(f"{len(older)} history row(s) predate the audit trail and are not covered by it")
    if head is not None:
        head_seq, head_hash = head
        by_seq = {row["seq"]: row for row in rows}
        last = rows[-1]["seq"] if rows else 0
        if head_seq not in by_seq:
            problems.append(Problem(head_seq, f"entry {head_seq} missing: {HEAD_FILE} names it as the newest entry "
                                              f"but the trail ends at {last} (removed)"))
        elif by_seq[head_seq]["hash"] != head_hash:
            problems.append(Problem(head_seq, f"entry {head_seq}: its hash differs from the one {HEAD_FILE} "
                                              "recorded (the trail was rewritten)"))
        elif head_seq < last:
            result.notes.append(f"entries after {head_seq} are not yet named by {HEAD_FILE} (a writer stopped "
                                "between commit and anchor; the next release moves it)")
    elif rows:
        result.notes.append(f"no {HEAD_FILE} in the catalog folder: a removed last entry cannot be detected")
    return result
