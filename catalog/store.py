"""The catalog store: immutable, versioned release folders, `latest` pointers and an SQL index.

Layout under the catalog root::

    catalog.db                          SQLite index (unless an index URL is given)
    catalog.jsonld                      DCAT-AP catalog of every dataset's latest release
    datasets/<id>/latest                pointer: the published version number, replaced atomically
    datasets/<id>/<version>/            one release, never modified once renamed into place:
        data.csv data.parquet data.json   (whatever data files were staged, same relative paths)
        quality/...                       Data Docs, when staged
        metadata.json                     the release record (with the Chinese catalog entry)
        datapackage.json                  Frictionless Data Package (open classes only)
        dataset.jsonld                    DCAT-AP 3 description of this release
        SHA256SUMS                        checksum of every file above, `sha256sum -c` compatible
    .staging/                           work folders of releases being written

Why a reader never sees a mix after a crash: a release is written completely in `.staging/`, renamed
into place in one step, and only then does the pointer (a one-line file replaced with `os.replace`)
name it. Readers resolve through the pointer, so they see the old release or the new one. The index
is written after the pointer in one transaction; `repair()` (run before every publish) re-derives any
index rows a crash lost and removes release folders no pointer ever named.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Connection, func, insert, select, update

from catalog import audit
from catalog.changelog import version_notes
from catalog.ckan import CkanTarget, push_quietly
from catalog.coverage import temporal_coverage
from catalog.datapackage import build_datapackage, validate_package
from catalog.dcat import catalog_document, dataset_document
from catalog.entry import DEFAULT_BASE_URL, catalog_entry, published_class
from catalog.files import manifest, scan_staged
from catalog.index import as_utc, open_index
from catalog.record import OutputFile, ReleaseRecord, utc_now
from catalog.written import WrittenFile, check_written

CATALOG_ENV = "KAIFANG_CATALOG"
BASE_URL_ENV = "KAIFANG_BASE_URL"
INDEX_URL_ENV = "KAIFANG_INDEX_URL"
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
_STALE_STAGING_SECONDS = 6 * 3600


def default_catalog_dir() -> Path:
    """The one definition of where the catalog lives: $KAIFANG_CATALOG, else ./catalog-out."""
    return Path(os.environ.get(CATALOG_ENV) or "catalog-out")


def default_base_url() -> str:
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


class PublishError(RuntimeError):
    """A release the catalog refused to publish; the previous release stays. Message safe to show."""


class DatasetSummary(BaseModel):
    id: str
    title: str
    publisher: str
    theme: str
    published_class: str | None
    latest_version: int | None
    issued: datetime | None
    modified: datetime | None
    formats: list[str]
    rows: int | None
    releases: int
    last_status: str | None
    last_attempt_at: datetime | None
    last_failure: str | None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write a file so that readers see either the old content or the new, even across a crash."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_tree(folder: Path) -> None:
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(dirpath))


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def check_dataset_id(dataset_id: str) -> str:
    """Ids become folder names and URLs: only lowercase letters, digits and dashes get through."""
    if not DATASET_ID.match(dataset_id):
        raise ValueError(f"invalid dataset id {dataset_id!r}: use 3-80 lowercase letters, digits and dashes")
    return dataset_id


class CatalogStore:
    """Publishes releases into a catalog folder and answers what is published.

    `index_url`: SQLAlchemy URL of the index, else $KAIFANG_INDEX_URL, else SQLite at root/catalog.db
    (`index_schema` puts the tables in a PostgreSQL schema). `base_url`: public portal URL used in
    metadata, else $KAIFANG_BASE_URL, else http://localhost:8000. `validate`: run Frictionless on
    the files before publishing. `ckan`: push each release to CKAN, else from $KAIFANG_CKAN_URL/_KEY.
    """

    def __init__(
        self,
        root: Path,
        index_url: str | None = None,
        *,
        base_url: str | None = None,
        index_schema: str | None = None,
        validate: bool = True,
        ckan: CkanTarget | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "datasets").mkdir(exist_ok=True)
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.validate = validate
        self.ckan = ckan if ckan is not None else CkanTarget.from_env()
        self.index_url = index_url or os.environ.get(INDEX_URL_ENV) or f"sqlite:///{self.root / 'catalog.db'}"
        self.index_schema = index_schema
        self.engine, self.tables = open_index(self.index_url, index_schema)

    def close(self) -> None:
        self.engine.dispose()

    # ----- paths and readers -------------------------------------------------------------------

    def dataset_dir(self, dataset_id: str) -> Path:
        return self.root / "datasets" / check_dataset_id(dataset_id)

    def release_dir(self, dataset_id: str, version: int) -> Path:
        return self.dataset_dir(dataset_id) / str(int(version))

    def latest_version(self, dataset_id: str) -> int | None:
        """The version the pointer names, or None when nothing was ever published."""
        try:
            text = (self.dataset_dir(dataset_id) / "latest").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def release(self, dataset_id: str, version: int) -> ReleaseRecord | None:
        """The record of one published version, read from its (immutable) folder."""
        path = self.release_dir(dataset_id, version) / "metadata.json"
        try:
            return ReleaseRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None

    def latest(self, dataset_id: str) -> ReleaseRecord | None:
        """The latest published release, resolved through the pointer like every reader."""
        version = self.latest_version(dataset_id)
        return self.release(dataset_id, version) if version is not None else None

    def dataset_ids(self) -> list[str]:
        """Ids of datasets that have a published release."""
        folder = self.root / "datasets"
        return sorted(p.name for p in folder.iterdir() if DATASET_ID.match(p.name) and (p / "latest").exists())

    def latest_records(self) -> list[ReleaseRecord]:
        records = (self.latest(dataset_id) for dataset_id in self.dataset_ids())
        return [record for record in records if record is not None]

    def versions(self, dataset_id: str) -> list[int]:
        """Published versions of a dataset, oldest first (folders up to the pointer)."""
        latest = self.latest_version(dataset_id)
        if latest is None:
            return []
        folder = self.dataset_dir(dataset_id)
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and int(p.name) <= latest)

    # ----- writing -----------------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """One writer at a time per catalog, across threads and processes (flock on a lock file)."""
        with open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def publish(self, record: ReleaseRecord, staged: Path | None,
                written: Sequence[WrittenFile] | None = None) -> ReleaseRecord:
        """Publish a new immutable version of the dataset; see the module docstring for the layout.

        `staged` holds the data files (data.csv, data.parquet, data.json, or `<format>/<name>.<ext>`) and
        optionally `quality/`; it is copied, not moved, so the caller removes it per its own policy.
        `None` publishes a metadata-only entry, which is what a not-open dataset gets. `written`: the facts
        of the staged files from their writer (`catalog.written.describe_written`); the published files are
        then checked against them instead of being re-read through Frictionless.
        """
        dataset_id = check_dataset_id(record.dataset.id)
        cls = published_class(record)
        if cls == "not_open" and staged is not None:
            raise PublishError(f"{dataset_id}: a not-open dataset gets a catalog entry only; pass staged=None")
        if cls != "not_open" and staged is None:
            raise PublishError(f"{dataset_id}: a {cls} dataset needs its data files staged")
        # Work on a copy: a refused publish must hand back the caller's record untouched.
        draft = record.model_copy(deep=True)
        with self._lock():
            self._clean_staging()
            self.repair(dataset_id)
            work = self.root / ".staging" / f"{dataset_id}-{uuid.uuid4().hex}"
            work.parent.mkdir(exist_ok=True)
            try:
                self._stage(draft, staged, work, written)
                final = self.release_dir(dataset_id, draft.version or 0)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(work, final)
                _fsync_dir(final.parent)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            self._switch_pointer(dataset_id, draft.version or 0)
            self._index_release(draft)
            self.write_catalog()
        for name in type(record).model_fields:
            setattr(record, name, getattr(draft, name))
        if self.ckan:
            push_quietly(record, self.ckan, self.base_url)
        return record

    def _stage(self, record: ReleaseRecord, staged: Path | None, work: Path,
               written: Sequence[WrittenFile] | None = None) -> None:
        """Fill the work folder and the record: files, checksums, version, metadata documents."""
        dataset_id = record.dataset.id
        if staged is not None:
            shutil.copytree(staged, work, symlinks=True)
        else:
            work.mkdir()
        data, _quality = scan_staged(work)
        previous = self.latest(dataset_id)
        record.version = self._next_version(dataset_id)
        record.release_path = f"datasets/{dataset_id}/{record.version}"
        record.outputs = [
            OutputFile(
                name=f.name,
                path=f.path,
                format=f.format,
                media_type=f.media_type,
                bytes=f.bytes,
                sha256=f.sha256,
            )
            for f in data
        ]
        record.status = "published"
        record.failure = record.failed_stage = None
        record.published_at = utc_now()
        record.finished_at = record.finished_at or record.published_at
        record.issued = (previous.issued or previous.published_at) if previous else record.published_at
        if record.quality and record.quality.docs_index and not (work / record.quality.docs_index).is_file():
            record.quality.docs_index = None
        record.previous_version = previous.version if previous else None
        record.version_notes = version_notes(previous, record)
        record.temporal = temporal_coverage(work, record, restricted=published_class(record) != "unconditional")
        record.catalog_entry = catalog_entry(record, self.base_url)
        with self.engine.connect() as conn:  # deleting the trail would then mean rewriting this folder
            seq, digest = audit.last_entry(conn, self.tables.audit)
        record.audit_anchor = {"seq": seq, "hash": digest}
        if record.outputs:
            (work / "datapackage.json").write_text(_json(build_datapackage(record, self.base_url)), "utf-8")
            if self.validate and (problems := self._problems(work, record, data, written)):
                raise PublishError(f"{dataset_id}: files fail validation: " + "; ".join(problems[:5]))
        (work / "dataset.jsonld").write_text(_json(dataset_document(record, self.base_url)), "utf-8")
        (work / "metadata.json").write_text(record.model_dump_json(indent=2) + "\n", "utf-8")
        if published_class(record) != "not_open":
            from quality.report import write_report  # lazy: quality imports catalog.record

            write_report(record, work)
        (work / "SHA256SUMS").write_text(manifest(work), "utf-8")
        _fsync_tree(work)

    @staticmethod
    def _problems(work: Path, record: ReleaseRecord, data: list, written: Sequence[WrittenFile] | None) -> list[str]:
        """Files written by the pipeline are held to the facts known when writing; others go through Frictionless."""
        if written is None:
            return validate_package(work)
        schema = [(c.name, c.type) for c in record.columns]
        return check_written(work, written, {f.path: (f.bytes, f.sha256) for f in data}, schema)

    def _next_version(self, dataset_id: str) -> int:
        rel = self.tables.releases
        with self.engine.connect() as conn:
            indexed = conn.execute(select(func.max(rel.c.version)).where(rel.c.dataset_id == dataset_id)).scalar()
        return max(self.latest_version(dataset_id) or 0, indexed or 0) + 1

    def _switch_pointer(self, dataset_id: str, version: int) -> None:
        atomic_write(self.dataset_dir(dataset_id) / "latest", f"{version}\n")

    def _index_release(self, record: ReleaseRecord, source: str = "pipeline") -> int:
        """Add one history row, move the dataset's summary and append the audit entry, in one transaction.

        Concurrent writers may propose the same audit sequence number; the loser's transaction rolls
        back whole (history row included) and is tried again on top of the winner's entry.
        """
        rel, ds = self.tables.releases, self.tables.datasets
        record_json = record.model_dump_json()

        def write(conn: Connection) -> tuple[int, tuple[int, str]]:
            now = utc_now()
            row_id = conn.execute(
                insert(rel).values(
                    dataset_id=record.dataset.id,
                    run_id=record.run_id,
                    version=record.version,
                    status=record.status,
                    recorded_at=now,
                    content_key=record.content_key,
                    record=record_json,
                )
            ).inserted_primary_key[0]
            values: dict[str, object] = {"last_attempt_id": row_id, "updated_at": now}
            if record.status == "published":
                values |= {"latest_version": record.version, "latest_release_id": row_id}
            exists = conn.execute(select(ds.c.dataset_id).where(ds.c.dataset_id == record.dataset.id)).first()
            if exists:
                conn.execute(update(ds).where(ds.c.dataset_id == record.dataset.id).values(**values))
            else:
                conn.execute(insert(ds).values(dataset_id=record.dataset.id, **values))
            return int(row_id), audit.append(conn, self.tables.audit, record, release_id=int(row_id),
                                             record_json=record_json, source=source)

        return audit.retrying(self.engine, self.root, write)

    def record_attempt(self, record: ReleaseRecord) -> None:
        """Keep a refused, failed or unchanged attempt in the history; the published release stays."""
        check_dataset_id(record.dataset.id)
        if record.status == "published":
            raise ValueError("record_attempt is for attempts that published nothing; use publish()")
        record.finished_at = record.finished_at or utc_now()
        record.version = None
        self._index_release(record)

    def write_catalog(self) -> None:
        """Regenerate catalog.jsonld from the latest release of every dataset."""
        atomic_write(self.root / "catalog.jsonld", _json(catalog_document(self.latest_records(), self.base_url)))

    # ----- recovery ----------------------------------------------------------------------------

    def _clean_staging(self) -> None:
        """Remove work folders left by crashed publishers (old enough that no live one owns them)."""
        staging = self.root / ".staging"
        if not staging.is_dir():
            return
        for folder in staging.iterdir():
            if time.time() - folder.stat().st_mtime > _STALE_STAGING_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)

    def repair(self, dataset_id: str | None = None) -> list[str]:
        """Bring folders and index back in line after a crash; returns what was done (for logs).

        Folders above the pointer were never published: removed. Published folders missing from the
        index (crash between pointer and index): their records are indexed from metadata.json.
        """
        actions: list[str] = []
        ids = (
            [check_dataset_id(dataset_id)]
            if dataset_id
            else [p.name for p in (self.root / "datasets").iterdir() if DATASET_ID.match(p.name)]
        )
        rel = self.tables.releases
        for ds_id in ids:
            folder = self.dataset_dir(ds_id)
            if not folder.is_dir():
                continue
            latest = self.latest_version(ds_id) or 0
            with self.engine.connect() as conn:
                indexed = set(
                    conn.execute(
                        select(rel.c.version).where(rel.c.dataset_id == ds_id, rel.c.version.is_not(None))
                    ).scalars()
                )
            for child in sorted(folder.iterdir(), key=lambda p: p.name):
                if not child.name.isdigit():
                    continue
                version = int(child.name)
                if version > latest:
                    shutil.rmtree(child, ignore_errors=True)
                    actions.append(f"removed unpublished {ds_id}/{version}")
                elif version not in indexed and (record := self.release(ds_id, version)):
                    self._index_release(record, source="repair")
                    actions.append(f"indexed {ds_id}/{version}")
        if actions:
            self.write_catalog()
        return actions

    # ----- index queries -----------------------------------------------------------------------

    def audit_entries(self, dataset_id: str | None = None) -> list[audit.AuditEntry]:
        """The audit trail, oldest first: every attempt (all datasets, or one)."""
        return audit.entries(self.engine, self.tables, check_dataset_id(dataset_id) if dataset_id else None)

    def verify_audit(self) -> audit.Verification:
        """Check the audit trail's hash chain, its links to the history rows and the head anchor."""
        return audit.verify(self.engine, self.tables, self.root)

    def history(self, dataset_id: str) -> list[ReleaseRecord]:
        """Every attempt and release of a dataset, newest first."""
        rel = self.tables.releases
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(rel.c.record).where(rel.c.dataset_id == check_dataset_id(dataset_id)).order_by(rel.c.id.desc())
            ).scalars()
            return [ReleaseRecord.model_validate_json(text) for text in rows]

    def datasets(self) -> list[DatasetSummary]:
        """One line per dataset the index knows, published or only attempted."""
        rel, ds = self.tables.releases, self.tables.datasets
        with self.engine.connect() as conn:
            rows = conn.execute(select(ds).order_by(ds.c.dataset_id)).mappings().all()
            counts = dict(
                conn.execute(
                    select(rel.c.dataset_id, func.count()).where(rel.c.status == "published").group_by(rel.c.dataset_id)
                ).all()
            )
            wanted = {r["latest_release_id"] for r in rows} | {r["last_attempt_id"] for r in rows}
            texts = dict(conn.execute(select(rel.c.id, rel.c.record).where(rel.c.id.in_(wanted - {None}))).all())
            stamps = dict(conn.execute(select(rel.c.id, rel.c.recorded_at).where(rel.c.id.in_(wanted - {None}))).all())
        summaries = []
        for row in rows:
            latest = (
                ReleaseRecord.model_validate_json(texts[row["latest_release_id"]])
                if row["latest_release_id"] in texts
                else None
            )
            attempt = (
                ReleaseRecord.model_validate_json(texts[row["last_attempt_id"]])
                if row["last_attempt_id"] in texts
                else None
            )
            shown = latest or attempt
            if shown is None:
                continue
            summaries.append(
                DatasetSummary(
                    id=row["dataset_id"],
                    title=shown.dataset.title,
                    publisher=shown.dataset.publisher,
                    theme=shown.dataset.theme,
                    published_class=published_class(latest) if latest else None,
                    latest_version=row["latest_version"],
                    issued=latest.issued if latest else None,
                    modified=latest.published_at if latest else None,
                    formats=sorted({o.format for o in latest.outputs}) if latest else [],
                    rows=latest.rows_out if latest else None,
                    releases=counts.get(row["dataset_id"], 0),
                    last_status=attempt.status if attempt else None,
                    last_attempt_at=as_utc(stamps.get(row["last_attempt_id"])),
                    last_failure=attempt.failure if attempt else None,
                )
            )
        return summaries
