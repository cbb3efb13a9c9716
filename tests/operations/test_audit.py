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

from catalog.audit import GENESIS, audit_key, canonical, chain_hash, keyed_hash
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
    for row in rows:  # the keyed hash covers the canonical JSON and the previous entry's hash
        assert row["prev_hash"] == previous
        assert row["hash"] == keyed_hash(audit_key(), previous, canonical(json.loads(row["entry"])))
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


def test_an_entry_rewritten_with_a_fresh_plain_hash_is_not_authentic(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit = store.tables.audit
    with store.engine.connect() as conn:
        row = conn.execute(select(audit).where(audit.c.seq == 2)).mappings().one()
    entry = json.loads(row["entry"]) | {"status": "published"}
    text_ = canonical(entry)
    tamper(store, update(audit).where(audit.c.seq == 2).values(entry=text_, status="published",
                                                               hash=chain_hash(row["prev_hash"], text_)))
    messages = [p.message for p in store.verify_audit().ordered()]
    assert "entry 2: its content does not match its hash" in messages[0]
    assert any("entry 3 is chained to a different hash" in m for m in messages)


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


# ----- tampering by someone with write access to the catalog database and folder (not to the key) ----


def _verify_cli(store: CatalogStore):
    return CliRunner().invoke(main, ["audit", "verify", "--catalog", str(store.root)])


def _entry_row(store: CatalogStore, seq: int):
    audit = store.tables.audit
    with store.engine.connect() as conn:
        return conn.execute(select(audit).where(audit.c.seq == seq)).mappings().one()


def test_an_edited_timestamp_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit = store.tables.audit
    row = _entry_row(store, 2)
    tamper(store, update(audit).where(audit.c.seq == 2).values(at=row["at"].replace(year=2001)))
    first = store.verify_audit().ordered()[0]
    assert first.seq == 2 and "column 'at' differs" in first.message
    entry = json.loads(row["entry"]) | {"at": "2001-01-01T00:00:00+00:00"}
    tamper(store, update(audit).where(audit.c.seq == 2).values(entry=canonical(entry)))
    assert "does not match its hash" in store.verify_audit().ordered()[0].message


def test_a_history_rows_status_changed_in_the_tables_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    rel = store.tables.releases
    tamper(store, update(rel).where(rel.c.status == "refused").values(status="published"))
    problems = store.verify_audit().ordered()
    assert problems and "column 'status' of release row" in problems[0].message


def test_an_appended_entry_with_a_recomputed_chain_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit = store.tables.audit
    last = _entry_row(store, 3)
    forged = json.loads(last["entry"]) | {"seq": 4, "prev_hash": last["hash"], "release_id": None}
    for digest in (chain_hash(last["hash"], canonical(forged)),
                   keyed_hash(b"a key the forger made up 0123456789", last["hash"], canonical(forged))):
        tamper(store, delete(audit).where(audit.c.seq == 4))
        tamper(store, audit.insert().values(seq=4, at=last["at"], dataset_id=last["dataset_id"], run_id=last["run_id"],
                                            status=last["status"], release_id=None, entry=canonical(forged),
                                            prev_hash=last["hash"], hash=digest))
        first = store.verify_audit().ordered()[0]
        assert first.seq == 4 and "does not match its hash" in first.message


def test_a_trail_rebuilt_from_scratch_without_the_key_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    audit, rows = store.tables.audit, [_entry_row(store, seq) for seq in (1, 2, 3)]
    tamper(store, delete(audit))
    previous = GENESIS
    for row in rows:  # the same entries re-chained with plain sha256, as a forger would
        entry = json.loads(row["entry"]) | {"prev_hash": previous}
        digest = chain_hash(previous, canonical(entry))
        tamper(store, audit.insert().values(**{**row, "entry": canonical(entry), "prev_hash": previous,
                                               "hash": digest}))
        previous = digest
    (store.root / "audit.head").write_text(f"3 {previous}\n")
    assert not store.verify_audit().ok


def test_deleting_the_whole_trail_and_its_head_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    tamper(store, delete(store.tables.audit))
    (store.root / "audit.head").unlink()
    result = store.verify_audit()
    assert not result.ok
    assert any("datasets/bus-ridership/2 is published but no audit entry records it" in p.message
               for p in result.problems)
    assert any("names audit entry 2, which is gone" in p.message for p in result.problems)
    if store.index_schema is None:
        assert _verify_cli(store).exit_code == 1


def test_a_damaged_head_is_an_error_not_missing(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    (store.root / "audit.head").write_text("garbage that is not a head\n")
    result = store.verify_audit()
    assert not result.ok and any("audit.head is damaged" in p.message for p in result.problems)
    if store.index_schema is None:
        cli = _verify_cli(store)
        assert cli.exit_code == 1 and "audit.head is damaged" in cli.output


def test_a_published_file_rewritten_with_its_checksums_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    from catalog.files import manifest

    folder = store.root / "datasets" / "bus-ridership" / "1"
    data = folder / "data.csv"
    data.write_text(data.read_text(encoding="utf-8") + "伪造,2024-01-01,1,138****0000\n", encoding="utf-8")
    (folder / "SHA256SUMS").write_text(manifest(folder), encoding="utf-8")
    problems = store.verify_audit().ordered()
    assert any("datasets/bus-ridership/1/data.csv or its SHA256SUMS line differs" in p.message for p in problems)


def test_without_the_key_authenticated_entries_cannot_pass(store: CatalogStore, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    three_attempts(store, tmp_path)
    monkeypatch.setenv("KAIFANG_AUDIT_KEY_FILE", str(tmp_path / "no-such.key"))
    result = store.verify_audit()
    assert not result.ok and any("no audit key" in p.message for p in result.problems)


def test_the_audit_key_never_lands_in_the_catalog(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    key = audit_key()
    assert key and all(key not in path.read_bytes() for path in store.root.rglob("*") if path.is_file())
    metadata = json.loads((store.root / "datasets" / "bus-ridership" / "2" / "metadata.json").read_text())
    assert metadata["audit_anchor"]["seq"] == 2


def test_a_rewritten_metadata_file_is_caught(store: CatalogStore, tmp_path: Path) -> None:
    three_attempts(store, tmp_path)
    from catalog.files import manifest

    folder = store.root / "datasets" / "bus-ridership" / "2"
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metadata["decision"]["published_class"] = "conditional"
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    (folder / "SHA256SUMS").write_text(manifest(folder), encoding="utf-8")
    problems = store.verify_audit().ordered()
    assert any("datasets/bus-ridership/2/metadata.json differs from the release record" in p.message
               for p in problems)
