"""The audit trail: every attempt leaves one hash-chained entry; any edit or removal is named.

Runs on the SQLite index and on the real PostgreSQL server (a fresh schema per test).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, delete, select, text, update

from catalog.audit import GENESIS, canonical, chain_hash
from catalog.store import CatalogStore
from pipelines.cli import main
from tests.catalog.helpers import make_record, stage

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_schema() -> str:
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    name = f"kf_audit_{uuid.uuid4().hex[:10]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, database test)")
    finally:
        engine.dispose()
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path: Path) -> Iterator[CatalogStore]:
    schema = _pg_schema() if request.param == "postgres" else None
    s = CatalogStore(tmp_path / "cat", PG_URL if schema else None, index_schema=schema, validate=False)
    yield s
    s.close()
    if schema:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def refused(run_id: str = "run-r"):
    record = make_record(run_id=run_id)
    record.status, record.failed_stage, record.failure = "refused", "verify", "k_anonymity failed (smallest class 2)"
    return record


def three_attempts(store: CatalogStore, tmp_path: Path) -> None:
    store.publish(make_record(run_id="run-1"), stage(tmp_path / "s1"))
    store.record_attempt(refused("run-2"))
    store.publish(make_record(run_id="run-3"), stage(tmp_path / "s3", offset=5))


def tamper(store: CatalogStore, statement) -> None:
    with store.engine.begin() as conn:
        conn.execute(statement)


def test_every_attempt_appends_one_entry_chained_to_the_one_before(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    entries = store.audit_entries("bus-ridership")
    assert [(e.seq, e.status, e.entry["version"]) for e in entries] == [
        (1, "published", 1), (2, "refused", None), (3, "published", 2)]
    previous = GENESIS
    with store.engine.connect() as conn:
        rows = conn.execute(select(store.tables.audit).order_by(store.tables.audit.c.seq)).mappings().all()
    for row in rows:  # the hash covers the canonical JSON and the previous entry's hash
        assert row["prev_hash"] == previous
        assert row["hash"] == chain_hash(previous, canonical(json.loads(row["entry"])))
        previous = row["hash"]
    first = entries[0].entry
    latest = store.release("bus-ridership", 1)
    assert first["spec_sha256"] == latest.spec_sha256 and first["policy_version"] == "2024-1"
    assert {o["path"]: o["sha256"] for o in first["outputs"]} == {o.path: o.sha256 for o in latest.outputs}
    assert first["decision"]["published"] == "unconditional" and first["quality"]["passed"] is True
    assert entries[1].entry["failure"].startswith("k_anonymity failed")
    result = store.verify_audit()
    assert result.ok and result.entries == 3 and result.head == rows[-1]["hash"]
    assert (store.root / "audit.head").read_text().split() == ["3", rows[-1]["hash"]]


def test_an_edited_entry_is_named(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit = store.tables.audit
    with store.engine.connect() as conn:
        entry = json.loads(conn.execute(select(audit.c.entry).where(audit.c.seq == 2)).scalar_one())
    entry["failure"] = None  # hide why it was refused
    tamper(store, update(audit).where(audit.c.seq == 2).values(entry=canonical(entry)))
    result = store.verify_audit()
    first = result.ordered()[0]
    assert not result.ok and first.seq == 2 and "entry 2: its content does not match its hash" in first.message
    if store.index_schema is None:  # the CLI reads the catalog folder's own index
        cli = CliRunner().invoke(main, ["audit", "verify", "--catalog", str(store.root)])
        assert cli.exit_code == 1 and "first bad: entry 2" in cli.output


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit = store.tables.audit
    with store.engine.connect() as conn:
        row = conn.execute(select(audit).where(audit.c.seq == 2)).mappings().one()
    entry = json.loads(row["entry"]) | {"status": "published"}
    text_ = canonical(entry)
    tamper(store, update(audit).where(audit.c.seq == 2).values(entry=text_, status="published",
                                                               hash=chain_hash(row["prev_hash"], text_)))
    first = store.verify_audit().ordered()[0]
    assert first.seq == 2 and "entry 3 is chained to a different hash" in first.message


def test_a_removed_entry_is_named(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    tamper(store, delete(store.tables.audit).where(store.tables.audit.c.seq == 2))
    problems = store.verify_audit().ordered()
    assert problems[0].seq == 2 and "entry 2 missing" in problems[0].message
    assert any("has no audit entry" in p.message for p in problems)  # its history row is still there


def test_a_removed_last_entry_and_its_history_row_are_caught_by_the_head(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit, rel = store.tables.audit, store.tables.releases
    with store.engine.connect() as conn:
        release_id = json.loads(conn.execute(select(audit.c.entry).where(audit.c.seq == 3)).scalar_one())["release_id"]
    tamper(store, delete(audit).where(audit.c.seq == 3))
    tamper(store, delete(rel).where(rel.c.id == release_id))
    first = store.verify_audit().ordered()[0]
    assert first.seq == 3 and "audit.head" in first.message


def test_an_edited_history_row_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    rel = store.tables.releases
    with store.engine.connect() as conn:
        row_id, record = conn.execute(select(rel.c.id, rel.c.record).where(rel.c.status == "refused")).one()
    tamper(store, update(rel).where(rel.c.id == row_id).values(record=record.replace("k_anonymity", "nothing")))
    first = store.verify_audit().ordered()[0]
    assert first.seq == 2 and "was changed after it was written" in first.message


def test_concurrent_writers_keep_one_unbroken_chain(store: CatalogStore) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        other = CatalogStore(store.root, store.index_url, index_schema=store.index_schema, validate=False)
        try:
            for n in range(5):
                other.record_attempt(refused(f"run-{worker}-{n}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = store.verify_audit()
    assert result.ok and result.entries == 15


def test_audit_show_prints_a_datasets_history(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "cat", validate=False)
    three_attempts(store, tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["audit", "show", "bus-ridership", "--catalog", str(store.root)])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if line.startswith("#")]
    assert len(lines) == 3 and "published  v1" in lines[0] and "refused" in lines[1]
    assert "verify: k_anonymity failed" in shown.output
    as_json = json.loads(runner.invoke(main, ["audit", "show", "bus-ridership", "--catalog", str(store.root),
                                              "--json"]).output)
    assert [e["seq"] for e in as_json] == [1, 2, 3] and all(len(e["hash"]) == 64 for e in as_json)
    verified = runner.invoke(main, ["audit", "verify", "--catalog", str(store.root)])
    assert verified.exit_code == 0 and "intact: 3 entries" in verified.output
    missing = runner.invoke(main, ["audit", "show", "no-such-dataset", "--catalog", str(store.root)])
    assert missing.exit_code == 1
