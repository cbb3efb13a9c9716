"""The audit trail: an append-only, authenticated, hash-chained log of every release attempt.

Every attempt reaches the catalog through `CatalogStore.publish` or `CatalogStore.record_attempt`;
both index it in one transaction that also appends one entry here. An entry is the canonical JSON
(sorted keys, no spaces) of what an auditor needs to retrace the attempt: when, who, the spec and input
checksums, the findings, the operators, risk before and after, the decision and its checks, the
steward's approval, the quality outcome and the output checksums. Like the release record it comes
from, it holds names, counts, figures and checksums, never a cell value.

What an attacker with write access to the catalog database (but not to the audit key) cannot do
unnoticed, and why:

- edit any field of an entry: the hashed text holds every field (sequence number, time, dataset,
  run, status, release row, previous hash) and each table column must equal its hashed copy;
- append, rebuild or re-chain entries: each entry's hash is HMAC-SHA256 under the audit key of the
  previous entry's hash and the entry's text (version 2 entries), and the key is kept apart from the
  catalog ($KAIFANG_AUDIT_KEY, the file named by $KAIFANG_AUDIT_KEY_FILE, or `audit.key` in the state
  folder, created on first use), so without it no valid hash can be computed;
- edit a history row (its status column, its record): each entry carries the sha256 of the record and
  the row's columns are compared with it;
- edit a published file or its SHA256SUMS: the entry of each published version holds the output
  checksums, compared with the files on disk;
- remove the last entries, or the whole trail and `audit.head`: `audit.head` names the newest entry,
  and every published release's metadata.json carries the head of the trail when it was written
  (`audit_anchor`) — deleting the trail means rewriting published, checksummed files; a published
  folder with an anchor but no entry is an error, and so is a head file that cannot be read.

What it cannot catch: someone who holds the audit key (treat it like the pseudonymization key), and
an attacker who deletes the trail, the head and every release folder together.
Entries of version 1 (plain sha256, before keys) are still checked as a chain, and named in a note.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select

from catalog.index import IndexTables, as_utc
from catalog.record import ReleaseRecord, RiskFigures, utc_now

GENESIS = "0" * 64
HEAD_FILE = "audit.head"
ENTRY_VERSION = 2
KEY_ENV = "KAIFANG_AUDIT_KEY"
KEY_FILE_ENV = "KAIFANG_AUDIT_KEY_FILE"
KEY_FILE = "audit.key"
_MIN_KEY_BYTES = 16
_CLOCK_SLACK_SECONDS = 1.0


class AuditKeyError(RuntimeError):
    """The audit key cannot be read; the message says where it is looked for."""


def _key_path() -> Path:
    from pipelines.environment import state_dir

    named = os.environ.get(KEY_FILE_ENV)
    return Path(named) if named else state_dir() / KEY_FILE


def audit_key(create: bool = False) -> bytes | None:
    """The key that authenticates entries (never stored in the catalog); None when there is none yet.

    `create`: a writer makes a fresh random key file on first use, mode 0600.
    """
    value = os.environ.get(KEY_ENV)
    if value:
        key = value.encode("utf-8")
    else:
        path = _key_path()
        if not path.is_file():
            if not create:
                return None
            from anonymizers.keys import write_new_key

            try:
                write_new_key(path)
            except FileExistsError:  # another writer is making it: let it finish writing
                time.sleep(0.2)
        key = path.read_bytes().strip()
    if len(key) < _MIN_KEY_BYTES:
        raise AuditKeyError(f"the audit key is shorter than {_MIN_KEY_BYTES} bytes (set {KEY_ENV} or {KEY_FILE_ENV})")
    return key


def canonical(entry: dict[str, Any]) -> str:
    """The one text form an entry is hashed in: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, text: str) -> str:
    """Version 1 entries: sha256(previous hash + text), which anyone can recompute."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, text: str) -> str:
    """Version 2 entries: HMAC-SHA256 under the audit key, which a forger does not have."""
    return hmac.new(key, (prev_hash + text).encode("utf-8"), hashlib.sha256).hexdigest()


def _risk(figures: RiskFigures | None) -> dict[str, Any] | None:
    if figures is None:
        return None
    return {"records": figures.records, "classes": figures.classes, "min_class_size": figures.min_class_size,
            "prosecutor_highest": figures.prosecutor_highest, "prosecutor_average": figures.prosecutor_average}


def entry_for(record: ReleaseRecord, *, seq: int, at: datetime, release_id: int | None, record_json: str,
              source: str, prev_hash: str = GENESIS) -> dict[str, Any]:
    """The audit view of a release record (no raw values: the record holds none)."""
    decision = record.decision
    quality = record.quality
    return {
        "v": ENTRY_VERSION,
        "seq": seq,
        "prev_hash": prev_hash,
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
        "cell_fixes": record.cell_fixes,
        "audit_anchor": record.audit_anchor,
        "release_id": release_id,
        "record_sha256": hashlib.sha256(record_json.encode("utf-8")).hexdigest(),
    }


def append(conn: Connection, table: Table, record: ReleaseRecord, *, release_id: int | None, record_json: str,
           source: str = "pipeline") -> tuple[int, str]:
    """Append one entry inside the caller's transaction; returns (seq, hash).

    Two writers that read the same last entry both propose the same `seq`, the primary key: one of
    them fails with an IntegrityError and its caller retries the whole transaction.
    """
    key = audit_key(create=True)
    assert key is not None
    seq, prev = last_entry(conn, table)
    seq += 1
    at = utc_now()
    text = canonical(entry_for(record, seq=seq, at=at, release_id=release_id, record_json=record_json, source=source,
                               prev_hash=prev))
    digest = keyed_hash(key, prev, text)
    conn.execute(insert(table).values(seq=seq, at=at, dataset_id=record.dataset.id, run_id=record.run_id,
                                      status=record.status, release_id=release_id, entry=text, prev_hash=prev,
                                      hash=digest))
    return seq, digest


def last_entry(conn: Connection, table: Table) -> tuple[int, str]:
    """(seq, hash) of the newest entry, (0, GENESIS) for an empty trail."""
    last = conn.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


# ----- the head anchor ---------------------------------------------------------------------------


class DamagedHead(ValueError):
    """`audit.head` exists but does not hold `<seq> <64 hex digits>`."""


def read_head(root: Path) -> tuple[int, str] | None:
    """The newest entry `audit.head` names; None when there is no head file, DamagedHead when it is garbage."""
    try:
        text = (root / HEAD_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        raise DamagedHead(HEAD_FILE) from None
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64 or any(
            c not in "0123456789abcdef" for c in parts[1]):
        raise DamagedHead(HEAD_FILE)
    return int(parts[0]), parts[1]


def write_head(root: Path, seq: int, digest: str) -> None:
    """Name the newest entry in `audit.head` (never move it backwards when writers race)."""
    with open(root / ".audit-head.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            try:
                current = read_head(root)
            except DamagedHead:
                current = None  # `verify` reports it; a writer never makes it worse
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


@dataclass
class _ChainState:
    key: bytes | None
    prev_hash: str = GENESIS
    authenticated_seen: bool = False
    legacy: int = 0
    keyless: int = 0


def _parse(text: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _hash_ok(row: Any, entry: dict[str, Any] | None, state: _ChainState, problems: list[Problem]) -> bool:
    """Is the row's hash the one its version of entry must have (HMAC for v2, sha256 for v1)?"""
    seq = row["seq"]
    if entry is not None and entry.get("v") == ENTRY_VERSION:
        state.authenticated_seen = True
        if state.key is None:
            state.keyless += 1
            return True
        expected = keyed_hash(state.key, row["prev_hash"], row["entry"])
        if entry.get("prev_hash") != row["prev_hash"]:
            problems.append(Problem(seq, f"entry {seq}: column 'prev_hash' differs from the hashed entry (edited)"))
        return hmac.compare_digest(expected, row["hash"])
    if state.authenticated_seen:
        problems.append(Problem(seq, f"entry {seq}: an unauthenticated (version 1) entry after authenticated ones "
                                     "(forged)"))
    state.legacy += 1
    return chain_hash(row["prev_hash"], row["entry"]) == row["hash"]


def _check_entry(row: Any, state: _ChainState, problems: list[Problem]) -> dict[str, Any] | None:
    seq = row["seq"]
    if row["prev_hash"] != state.prev_hash:
        problems.append(Problem(seq - 1, f"entry {seq - 1}: entry {seq} is chained to a different hash "
                                         f"(entry {seq - 1} was edited or removed)"))
    entry = _parse(row["entry"])
    if not _hash_ok(row, entry, state, problems):
        problems.append(Problem(seq, f"entry {seq}: its content does not match its hash (edited, or written "
                                     "without the audit key)"))
        return None
    if entry is None:
        problems.append(Problem(seq, f"entry {seq}: not readable JSON (edited)"))
        return None
    expected = {"seq": entry.get("seq"), "dataset_id": entry.get("dataset"), "status": entry.get("status"),
                "release_id": entry.get("release_id"), "run_id": entry.get("run_id")}
    for column, value in expected.items():
        if row[column] != value:
            problems.append(Problem(seq, f"entry {seq}: column '{column}' differs from the hashed entry (edited)"))
    if not _same_time(row["at"], entry.get("at")):
        problems.append(Problem(seq, f"entry {seq}: column 'at' differs from the hashed entry (edited)"))
    return entry


def _same_time(column: datetime | None, hashed: Any) -> bool:
    try:
        written = as_utc(datetime.fromisoformat(str(hashed)))
        stored = as_utc(column)
    except (TypeError, ValueError):
        return False
    return written is not None and stored is not None and abs((stored - written).total_seconds()) <= \
        _CLOCK_SLACK_SECONDS


def verify(engine: Engine, tables: IndexTables, root: Path) -> Verification:
    """Check the whole chain and its authentication, the history rows, the head and the published files."""
    audit, rel, ds = tables.audit, tables.releases, tables.datasets
    result = Verification()
    try:
        state = _ChainState(key=audit_key(create=False))
    except AuditKeyError as exc:
        state = _ChainState(key=None)
        result.problems.append(Problem(None, str(exc)))
    with engine.connect() as conn:
        rows = conn.execute(select(audit).order_by(audit.c.seq)).mappings().all()
        releases = {r.id: r for r in conn.execute(
            select(rel.c.id, rel.c.dataset_id, rel.c.status, rel.c.version, rel.c.run_id, rel.c.record))}
        datasets = conn.execute(select(ds.c.dataset_id, ds.c.latest_version, ds.c.latest_release_id)).all()
    checked = _check_chain(rows, state, result.problems)
    result.entries = len(rows)
    result.head = rows[-1]["hash"] if rows else None
    if state.keyless:
        result.problems.append(Problem(None, f"no audit key ({KEY_ENV}, {KEY_FILE_ENV} or {_key_path()}): "
                                             f"{state.keyless} authenticated entries cannot be checked"))
    if state.legacy:
        result.notes.append(f"{state.legacy} entries predate authentication (version 1): only their chain is checked")
    covered = _check_history(checked, releases, datasets, root, result)
    _check_uncovered(releases, covered, root, result)
    _check_head(root, rows, result)
    records = {seq: releases[int(e["release_id"])].record for seq, e in checked.items()
               if e.get("release_id") is not None and int(e["release_id"]) in releases}
    _check_published(root, checked, {row["seq"]: row["hash"] for row in rows}, records, result)
    return result


def _check_chain(rows: list[Any], state: _ChainState, problems: list[Problem]) -> dict[int, dict[str, Any]]:
    """Every entry's link, hash and columns; returns the entries that passed, by seq."""
    expected_seq = 1
    checked: dict[int, dict[str, Any]] = {}
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            missing = f"entry {expected_seq}" if seq == expected_seq + 1 else f"entries {expected_seq}-{seq - 1}"
            problems.append(Problem(expected_seq, f"{missing} missing: the trail jumps from {expected_seq - 1} "
                                                  f"to {seq} (removed)"))
        entry = _check_entry(row, state, problems)
        state.prev_hash, expected_seq = row["hash"], seq + 1
        if entry is not None:
            checked[seq] = entry
    return checked


def _check_history(checked: dict[int, dict[str, Any]], releases: dict[int, Any], datasets: list[Any], root: Path,
                   result: Verification) -> dict[int, int]:
    """The history rows and dataset pointers against the entries; returns release row id → seq."""
    problems = result.problems
    covered: dict[int, int] = {}
    for seq, entry in checked.items():
        if entry.get("release_id") is None:
            continue
        release_id = int(entry["release_id"])
        covered[release_id] = seq
        release = releases.get(release_id)
        if release is None:
            problems.append(Problem(seq, f"entry {seq}: the history row it records (release row {release_id}) "
                                         "is gone from the index (removed)"))
            continue
        if hashlib.sha256(release.record.encode("utf-8")).hexdigest() != entry.get("record_sha256"):
            problems.append(Problem(seq, f"entry {seq}: the history row it records (release row {release_id}) "
                                         "was changed after it was written"))
        for column, key in (("status", "status"), ("dataset_id", "dataset"), ("version", "version"),
                            ("run_id", "run_id")):
            if getattr(release, column) != entry.get(key):
                problems.append(Problem(seq, f"entry {seq}: column '{column}' of release row {release_id} differs "
                                             "from the audit entry (changed after it was written)"))
    for dataset_id, latest_version, latest_release_id in datasets:
        if latest_release_id is None or latest_release_id not in covered:
            continue
        entry = checked[covered[latest_release_id]]
        if entry.get("status") != "published" or entry.get("version") != latest_version:
            problems.append(Problem(covered[latest_release_id], f"dataset {dataset_id}: its latest release "
                                    f"(version {latest_version}) is not a published version in the audit trail"))
    return covered


def _check_uncovered(releases: dict[int, Any], covered: dict[int, int], root: Path, result: Verification) -> None:
    """History rows without an entry: an error, unless they predate the trail."""
    first_covered = min(covered) if covered else None
    try:
        has_head = read_head(root) is not None
    except DamagedHead:
        has_head = True
    uncovered = sorted(i for i in releases if i not in covered)
    older = [i for i in uncovered if (first_covered is None and not has_head) or
             (first_covered is not None and i < first_covered)]
    for release_id in uncovered:
        if release_id in older:
            continue
        release = releases[release_id]
        result.problems.append(Problem(None, f"release row {release_id} ({release.dataset_id}, {release.status}) "
                                             "has no audit entry (its entry was removed)"))
    if older:
        result.notes.append(f"{len(older)} history row(s) predate the audit trail and are not covered by it")


def _check_head(root: Path, rows: list[Any], result: Verification) -> None:
    problems = result.problems
    try:
        head = read_head(root)
    except DamagedHead:
        problems.append(Problem(None, f"{HEAD_FILE} is damaged (not '<entry number> <hash>'): the newest entry "
                                      "cannot be confirmed"))
        return
    if head is None:
        if rows:
            result.notes.append(f"no {HEAD_FILE} in the catalog folder: a removed last entry cannot be detected")
        return
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


def _release_folders(root: Path) -> Iterator[tuple[str, int, Path]]:
    datasets = root / "datasets"
    if not datasets.is_dir():
        return
    for dataset in sorted(datasets.iterdir()):
        if not dataset.is_dir():
            continue
        for version in sorted((v for v in dataset.iterdir() if v.name.isdigit()), key=lambda v: int(v.name)):
            yield dataset.name, int(version.name), version


def _check_published(root: Path, checked: dict[int, dict[str, Any]], hashes: dict[int, str],
                     records: dict[int, str], result: Verification) -> None:
    """Every published folder that carries an audit anchor: its anchor, its entry, its metadata, its files."""
    from catalog.files import sha256_of

    published = {(e.get("dataset"), e.get("version")): (seq, e) for seq, e in checked.items()
                 if e.get("status") == "published"}
    for dataset_id, version, folder in _release_folders(root):
        where = f"datasets/{dataset_id}/{version}"
        anchor = _anchor(folder)
        if anchor is None:
            continue
        seq, digest = anchor
        if seq and hashes.get(seq) != digest:
            result.problems.append(Problem(None, f"{where}: its metadata names audit entry {seq}, which is gone or "
                                                 "different (the trail was rewritten or deleted)"))
        found = published.get((dataset_id, version))
        if found is None:
            result.problems.append(Problem(None, f"{where} is published but no audit entry records it (the trail "
                                                 "was rewritten or deleted)"))
            continue
        seq, entry = found
        if seq in records and _metadata(folder) != _parse(records[seq]):
            result.problems.append(Problem(seq, f"{where}/metadata.json differs from the release record its audit "
                                                f"entry {seq} covers (changed since)"))
        sums = _sums(folder)
        for output in entry.get("outputs", []):
            path = folder / str(output.get("path"))
            actual = sha256_of(path)[1] if path.is_file() else None
            if actual != output.get("sha256") or sums.get(str(output.get("path"))) != output.get("sha256"):
                result.problems.append(Problem(None, f"{where}/{output.get('path')} or its SHA256SUMS line differs "
                                                     "from the checksum in its audit entry (changed since)"))


def _metadata(folder: Path) -> dict[str, Any] | None:
    try:
        return _parse((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _anchor(folder: Path) -> tuple[int, str] | None:
    """The trail's head when the release was written (metadata.json `audit_anchor`), if it has one."""
    metadata = _metadata(folder)
    if metadata is None:
        return (-1, "unreadable")
    anchor = metadata.get("audit_anchor")
    try:
        return (int(anchor["seq"]), str(anchor["hash"])) if anchor else None
    except (TypeError, KeyError, ValueError):
        return (-1, "unreadable")


def _sums(folder: Path) -> dict[str, str]:
    try:
        lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    return {parts[1]: parts[0] for parts in (line.split("  ", 1) for line in lines) if len(parts) == 2}
