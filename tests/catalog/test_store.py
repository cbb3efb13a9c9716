"""The store: versioned, immutable releases; a crash never leaves readers a mix of two releases."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.store import CatalogStore, PublishError, default_catalog_dir
from tests.catalog.helpers import make_record, stage

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _postgres_schema() -> str:
    """A fresh schema in the test database, or a skip saying plainly that PostgreSQL is not there."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    name = f"kfcat_test_{uuid.uuid4().hex[:10]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, database test)")
    finally:
        engine.dispose()
    return name


def _drop_schema(name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CatalogStore]:
    """The same tests run with the SQLite index and with the real PostgreSQL server."""
    schema = _postgres_schema() if request.param == "postgres" else None
    s = CatalogStore(tmp_path / "cat", PG_URL if schema else None, index_schema=schema)
    yield s
    s.close()
    if schema:
        _drop_schema(schema)


def reopen(store: CatalogStore) -> CatalogStore:
    """Another reader of the same catalog (as a second process would open it)."""
    return CatalogStore(store.root, store.index_url, index_schema=store.index_schema)


def test_publish_twice_gives_versions_one_and_two(store: CatalogStore, tmp_path: Path) -> None:
    first = store.publish(make_record(), stage(tmp_path / "s1"))
    second = store.publish(make_record(run_id="run-2"), stage(tmp_path / "s2", offset=5))

    assert (first.version, second.version) == (1, 2)
    assert store.latest("bus-ridership").version == 2
    assert store.latest("bus-ridership").run_id == "run-2"
    assert [r.version for r in store.history("bus-ridership")] == [2, 1]
    assert (store.root / "datasets/bus-ridership/latest").read_text().strip() == "2"
    # issued is the first release's date on every later version (stable dct:issued)
    assert second.issued == first.issued and second.status == "published"
    assert second.release_path == "datasets/bus-ridership/2"


def test_checksums_and_files_recorded(store: CatalogStore, tmp_path: Path) -> None:
    record = store.publish(make_record(), stage(tmp_path / "s"))
    folder = store.root / record.release_path
    assert {o.path for o in record.outputs} == {"data.csv", "data.parquet", "data.json"}
    for output in record.outputs:
        data = (folder / output.path).read_bytes()
        assert output.sha256 == hashlib.sha256(data).hexdigest()
        assert output.bytes == len(data)
    for name in ("metadata.json", "datapackage.json", "dataset.jsonld", "SHA256SUMS", "quality/index.html"):
        assert (folder / name).is_file(), name
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    for line in sums:
        digest, rel = line.split("  ")
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest
    saved = json.loads((folder / "metadata.json").read_text())
    assert saved["version"] == 1 and saved["catalog_entry"]["开放属性"] == "无条件开放"
    assert (store.root / "catalog.jsonld").is_file()


def test_staged_folder_left_for_the_caller(store: CatalogStore, tmp_path: Path) -> None:
    staged = stage(tmp_path / "s")
    store.publish(make_record(), staged)
    assert (staged / "data.csv").is_file()


def test_crash_before_pointer_switch_keeps_previous_release(
    store: CatalogStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.publish(make_record(), stage(tmp_path / "s1"))

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(CatalogStore, "_switch_pointer", crash)
    with pytest.raises(KeyboardInterrupt):
        store.publish(make_record(run_id="run-2"), stage(tmp_path / "s2", offset=9))
    monkeypatch.undo()

    # A fresh reader (another process) still sees version 1, whole and readable.
    reader = reopen(store)
    latest = reader.latest("bus-ridership")
    assert latest is not None and latest.version == 1 and latest.run_id == "run-1"
    folder = reader.root / latest.release_path
    for output in latest.outputs:
        assert hashlib.sha256((folder / output.path).read_bytes()).hexdigest() == output.sha256
    assert [r.version for r in reader.history("bus-ridership")] == [1]
    # The next publish cleans up the unnamed folder and takes version 2.
    again = reader.publish(make_record(run_id="run-3"), stage(tmp_path / "s3"))
    assert again.version == 2 and reader.latest("bus-ridership").run_id == "run-3"
    reader.close()


def test_crash_while_copying_leaves_nothing_visible(
    store: CatalogStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.publish(make_record(), stage(tmp_path / "s1"))

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("catalog.store.manifest", crash)
    with pytest.raises(OSError):
        store.publish(make_record(run_id="run-2"), stage(tmp_path / "s2"))
    assert store.latest("bus-ridership").version == 1
    assert sorted(p.name for p in (store.root / "datasets/bus-ridership").iterdir()) == ["1", "latest"]
    assert list((store.root / ".staging").iterdir()) == []


def test_crash_after_pointer_before_index_is_repaired(
    store: CatalogStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.publish(make_record(), stage(tmp_path / "s1"))
    monkeypatch.setattr(CatalogStore, "_index_release", lambda *_a: (_ for _ in ()).throw(SystemExit(1)))
    with pytest.raises(SystemExit):
        store.publish(make_record(run_id="run-2"), stage(tmp_path / "s2"))
    monkeypatch.undo()

    reader = reopen(store)
    assert reader.latest("bus-ridership").version == 2  # the new release, complete
    assert reader.repair() == ["indexed bus-ridership/2"]
    assert [r.version for r in reader.history("bus-ridership")] == [2, 1]
    reader.close()


def test_attempts_go_to_history_and_latest_stays(store: CatalogStore, tmp_path: Path) -> None:
    store.publish(make_record(), stage(tmp_path / "s1"))
    refused = make_record(run_id="run-2")
    refused.status = "refused"
    refused.failure = "k-匿名检查未通过"
    store.record_attempt(refused)

    assert store.latest("bus-ridership").version == 1
    statuses = [(r.status, r.version) for r in store.history("bus-ridership")]
    assert statuses == [("refused", None), ("published", 1)]
    (summary,) = store.datasets()
    assert summary.latest_version == 1 and summary.last_status == "refused"
    assert summary.last_failure == "k-匿名检查未通过" and summary.formats == ["csv", "json", "parquet"]


def test_attempt_only_dataset_is_listed_without_version(store: CatalogStore) -> None:
    failed = make_record("road-works")
    failed.stage_failed("extract", "数据源不可达")
    store.record_attempt(failed)
    (summary,) = store.datasets()
    assert summary.latest_version is None and summary.last_status == "failed"
    assert store.latest("road-works") is None


def test_not_open_dataset_is_catalogued_without_distribution(store: CatalogStore) -> None:
    record = store.publish(make_record("court-cases", cls="not_open"), None)
    folder = store.root / record.release_path
    assert record.outputs == [] and not (folder / "datapackage.json").exists()
    assert record.catalog_entry["开放属性"] == "不予开放"
    doc = json.loads((folder / "dataset.jsonld").read_text())
    assert "dcat:distribution" not in doc
    assert doc["dct:accessRights"]["@id"].endswith("/NON_PUBLIC")


def test_refusals_that_protect_the_catalog(store: CatalogStore, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="not-open"):
        store.publish(make_record(cls="not_open"), stage(tmp_path / "s"))
    with pytest.raises(PublishError, match="staged"):
        store.publish(make_record(), None)
    with pytest.raises(ValueError, match="invalid dataset id"):
        store.publish(make_record("../escape"), stage(tmp_path / "s"))
    odd = stage(tmp_path / "odd")
    (odd / "dump.sql").write_text("select 1")
    with pytest.raises(ValueError, match="not a publishable file"):
        store.publish(make_record(), odd)
    assert store.latest("bus-ridership") is None


def test_header_only_csv_is_refused(store: CatalogStore, tmp_path: Path) -> None:
    store.publish(make_record(), stage(tmp_path / "s1"))
    record = make_record(run_id="run-2")
    with pytest.raises(PublishError, match="table-dimensions"):
        store.publish(record, stage(tmp_path / "empty", rows=0, formats=("csv",), quality=False))
    assert record.status == "running" and record.version is None  # caller's record untouched
    assert store.latest("bus-ridership").version == 1


def test_default_catalog_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAIFANG_CATALOG", raising=False)
    assert default_catalog_dir() == Path("catalog-out")
    monkeypatch.setenv("KAIFANG_CATALOG", "/srv/catalog")
    assert default_catalog_dir() == Path("/srv/catalog")


KILL_SCRIPT = """
import os, sys
from pathlib import Path
from catalog.store import CatalogStore
from tests.catalog.helpers import make_record, stage

root, staged, where = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
store = CatalogStore(root)
if where == "before-pointer":
    CatalogStore._switch_pointer = lambda *a: os._exit(9)
elif where == "while-copying":
    import catalog.store as module
    module.manifest = lambda *a: os._exit(9)
store.publish(make_record(run_id="run-killed"), stage(staged, offset=50))
"""


@pytest.mark.parametrize("where", ["before-pointer", "while-copying"])
def test_killed_publisher_process_leaves_previous_release(tmp_path: Path, where: str) -> None:
    """A process killed outright (no cleanup code runs) mid-publish: readers still get version 1."""
    import subprocess
    import sys

    store = CatalogStore(tmp_path / "cat")
    store.publish(make_record(), stage(tmp_path / "s1"))
    result = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(store.root), str(tmp_path / "s2"), where],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 9, result.stderr.decode()
    latest = store.latest("bus-ridership")
    assert latest.version == 1 and latest.run_id == "run-1"
    for output in latest.outputs:
        data = (store.root / latest.release_path / output.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == output.sha256
    again = store.publish(make_record(run_id="run-3"), stage(tmp_path / "s3"))
    assert again.version == 2
    assert sorted(p.name for p in store.dataset_dir("bus-ridership").iterdir()) == ["1", "2", "latest"]
    store.close()


def test_access_and_objection_desks_on_each_index(store: CatalogStore, tmp_path: Path) -> None:
    from catalog import access, objections

    store.publish(make_record("clinic-visits", cls="conditional"), stage(tmp_path / "s"))
    form = access.ApplicationForm(
        applicant="王研究",
        organisation="山东大学",
        identity="12370000495570017X",
        contact="w@example.cn",
        purpose="研究门诊量的季节变化规律。",
        term_days=7,
        requested_count=1,
        commitment=True,
    )
    application, receipt = access.apply(store, "clinic-visits", form)
    approved, token = access.decide(store, application.id, approve=True)
    assert approved.expires_at is not None and approved.expires_at.tzinfo is not None
    assert access.for_applicant(store, application.id, receipt)[1] == token
    assert access.authorize(store, "clinic-visits", token, 1, "data.csv").downloads_used == 1
    with pytest.raises(access.AccessDenied):
        access.authorize(store, "clinic-visits", token, 1, "data.csv")
    filed = objections.file_objection(
        store,
        "clinic-visits",
        objections.ObjectionForm(field="客流", description="数字偏大一倍", contact="me@example.cn"),
    )
    assert objections.answer(store, filed.id, "已更正").status == "answered"
    assert [o.answer for o in objections.list_objections(store, "clinic-visits")] == ["已更正"]
