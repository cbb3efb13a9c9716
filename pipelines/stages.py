"""The stages of a release as plain functions over files in the run folder (no Prefect here).

Each stage reads what the previous one wrote, a chunk at a time where it can, and returns only
names, counts and figures: raw data moves as Parquet files in the run folder, never as results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from anonymizers.apply import desensitize_chunk
from anonymizers.classes import count_classes, drop_classes
from catalog.record import ColumnPlan, RiskFigures
from pipelines import progress
from pipelines.extract import (
    Extracted,
    SourceError,
    detect_encoding,
    file_chunks,
    file_sha256,
    infer_format,
    read_chunks,
    sql_chunks,
    write_raw,
)
from pipelines.plan import column_actions
from pipelines.spec import LoadedSpec, Policy, Privacy


@dataclass(frozen=True)
class WorkFiles:
    """The files of one dataset's run folder."""

    folder: Path

    @property
    def raw(self) -> Path:
        return self.folder / "raw.parquet"

    @property
    def desensitized(self) -> Path:
        return self.folder / "desensitized.parquet"

    @property
    def output(self) -> Path:
        return self.folder / "output.parquet"

    @property
    def staged(self) -> Path:
        return self.folder / "staged"

    @property
    def names(self) -> Path:
        """The names detection found in prose, for Dask workers to start from (`share_names`)."""
        return self.folder / "names.parquet"

    def part(self, index: int) -> Path:
        """One desensitized part (row group `index` of the extract), written by whichever process ran it."""
        return self.folder / "parts" / f"desensitized-{index:06d}.parquet"


def source_chunks(loaded: LoadedSpec, sql_query: str | None = None) -> tuple[Iterator[pd.DataFrame], str | None]:
    """The spec's source as chunks, read as the extract reads it, and the file's encoding (None for SQL).

    ``sql_query`` replaces a SQL source's table or query (`kaifang check` reads a LIMITed sample).
    """
    source = loaded.spec.source
    if source.file is not None:
        path = loaded.resolve(source.file.path)
        if not path.is_file():
            raise SourceError(f"source file not found: {path}")
        fmt = source.file.format or infer_format(path)
        encoding = source.file.encoding
        if encoding == "auto":
            encoding = detect_encoding(path) if fmt in {"csv", "json"} else None
        return file_chunks(path, fmt, encoding or "utf-8", source.file.delimiter, source.file.sheet), encoding
    assert source.sql is not None
    if sql_query is not None:
        return sql_chunks(loaded.sql_url(), None, sql_query), None
    return sql_chunks(loaded.sql_url(), source.sql.table, source.sql.query), None


def extract(loaded: LoadedSpec, files: WorkFiles) -> Extracted:
    files.folder.mkdir(parents=True, exist_ok=True)
    chunks, encoding = source_chunks(loaded)
    rows, columns = write_raw(progress.counted("extract", chunks), files.raw)
    source = loaded.spec.source
    if source.file is not None:
        return Extracted(files.raw, rows, columns, encoding, file_sha256(loaded.resolve(source.file.path)))
    # A database has no file to hash; the extract's Parquet bytes are deterministic for the same rows.
    return Extracted(files.raw, rows, columns, None, file_sha256(files.raw))


def detect(path: Path, min_share: float = 0.5):
    """Column findings of the extract, with persistent record identifiers (enrolment numbers …) added."""
    from detectors import load_lexicon, profile_chunks
    from detectors.persons import forget_names
    from detectors.records import record_identifiers, with_record_identifiers

    forget_names()  # the names remembered from here on are this dataset's (share_names hands them on)
    total = pq.ParquetFile(path).metadata.num_rows
    profile = profile_chunks(progress.counted("detect", read_chunks(path), total), lexicon=load_lexicon(),
                             min_share=min_share)
    return with_record_identifiers(profile, record_identifiers(read_chunks(path)))


def _write_stream(chunks: Iterator[pd.DataFrame], out: Path) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk.astype("string"), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    return rows


_NAMES_SCHEMA = pa.schema([("text", pa.string()), ("spans", pa.list_(pa.struct([
    ("start", pa.int32()), ("end", pa.int32()), ("score", pa.float64()), ("how", pa.string())])))])


def share_names(files: WorkFiles) -> str:
    """Write the names this process found in the dataset's prose (during detect, which starts with an
    empty memory) to the run folder; returns the file's SHA-256, which the workers check before use.

    A worker that desensitizes a part would otherwise find them again: at a million rows that was
    9 of the 33 CPU-s its parts cost without them. The file holds text of this dataset's input, as the
    extract beside it does, and goes with the run folder."""
    from detectors.persons import remembered_names

    pairs = remembered_names()
    spans = [[{"start": s.start, "end": s.end, "score": s.score, "how": s.how} for s in found] for _, found in pairs]
    pq.write_table(pa.table({"text": [text for text, _ in pairs], "spans": spans}, schema=_NAMES_SCHEMA), files.names)
    return file_sha256(files.names)


def take_shared_names(files: WorkFiles, digest: str | None) -> int:
    """Remember the names the release process shared (`share_names`); returns how many texts.

    Only a file whose SHA-256 is `digest` is taken: a file changed since, or unreadable, is left alone
    and the worker finds the names itself (the memory only saves time; a wrong one would leave names
    unmasked)."""
    from detectors.persons import NameSpan, remember_names

    try:
        data = files.names.read_bytes()
    except OSError:
        return 0
    if digest is None or hashlib.sha256(data).hexdigest() != digest:
        return 0
    try:
        table = pq.read_table(pa.BufferReader(data), schema=_NAMES_SCHEMA)
    except (pa.ArrowException, ValueError):
        return 0
    texts, spans = table.column("text").to_pylist(), table.column("spans").to_pylist()
    remember_names((text, tuple(NameSpan(**span) for span in found)) for text, found in zip(texts, spans, strict=True))
    return len(texts)


def part_count(files: WorkFiles) -> int:
    """How many parts desensitize works in: the extract's row groups (one per extracted chunk)."""
    return pq.ParquetFile(files.raw).metadata.num_row_groups


def desensitize_part(files: WorkFiles, index: int, plan: list[ColumnPlan], key: bytes | None, reference: date,
                     policy: Policy | None = None, target: str | None = None) -> int:
    """Desensitize one row group of the extract into its own part file; returns its rows.

    Parts need nothing but their own rows, so a Dask worker can write any of them: the single-process
    run and the Dask run both go through here and `combine_parts`, which is what keeps them byte-identical.
    """
    actions = column_actions(plan, key, reference, policy, target)
    batch = pq.ParquetFile(files.raw).read_row_group(index)
    chunk = batch.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
    table = pa.Table.from_pandas(desensitize_chunk(chunk, actions).astype("string"), preserve_index=False)
    files.part(index).parent.mkdir(exist_ok=True)
    pq.write_table(table, files.part(index))
    return table.num_rows


def combine_parts(files: WorkFiles, count: int) -> int:
    """The parts, in order, as the desensitized file (one row group each); the parts are then deleted."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for index in range(count):
            table = pq.read_table(files.part(index))
            if writer is None:
                writer = pq.ParquetWriter(files.desensitized, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    for index in range(count):
        files.part(index).unlink(missing_ok=True)
    if count:
        files.part(0).parent.rmdir()
    return rows


def desensitize(files: WorkFiles, plan: list[ColumnPlan], key: bytes | None, reference: date,
                policy: Policy | None = None, target: str | None = None) -> int:
    """Every part in this process, one after the other, then combined (a Dask run maps the parts instead)."""
    count = part_count(files)
    total = pq.ParquetFile(files.raw).metadata.num_rows
    done = 0
    progress.stage_started("desensitize", total)
    for index in range(count):
        done += desensitize_part(files, index, plan, key, reference, policy, target)
        progress.display().stage("desensitize", done, total)
    return combine_parts(files, count)


def privacy_model(privacy: Privacy, k: int):
    from anonymizers.privacy_models import PrivacyModelConfig

    return PrivacyModelConfig(k=k, l=privacy.l, l_variant=privacy.l_variant, t=privacy.t,
                              t_distance=privacy.t_distance, sensitive=privacy.sensitive)


@dataclass(frozen=True)
class PrivacyOutcome:
    kept: int
    suppressed: int
    generalization: dict | None = None


def enforce_privacy(files: WorkFiles, privacy: Privacy, k: int, suppression_limit: float,
                    base: Path) -> PrivacyOutcome:
    """Make the quasi-identifiers satisfy the privacy model, writing the output file.

    With hierarchies: the optimal full-domain generalization under the suppression limit. Without:
    classes that violate the model are suppressed as they stand (the decision then judges the share).
    Two passes over the file, a chunk at a time: the classes of the quasi-identifiers (with their
    sensitive values when the model judges them) are counted, the treatment is decided per class,
    then applied to each chunk (rows of a suppressed class dropped). No pass holds more than a chunk
    and the class table.
    """
    from anonymizers.privacy_models import model_columns

    quasi = privacy.quasi_identifiers
    if not quasi:
        files.desensitized.replace(files.output)
        return PrivacyOutcome(pq.ParquetFile(files.output).metadata.num_rows, 0)
    model = privacy_model(privacy, k)
    # Only the listed columns the file has: a missing one is then reported by the search or the check.
    needed = _present(files.desensitized, model_columns(quasi, model))
    if privacy.hierarchies:
        from anonymizers.hierarchy import load_hierarchies
        from anonymizers.lattice import NoSolutionError, apply_chunk, search

        counter = count_classes(read_chunks(files.desensitized, needed), needed, keep_values=True)
        hierarchies = load_hierarchies(base / privacy.hierarchies, quasi)
        try:
            result = search(counter, quasi, hierarchies, model, suppression_limit, privacy.metric)
        except NoSolutionError:
            # Not even full generalization meets the model within the limit: nothing can be released.
            kept = _write_stream(iter([_empty_like(files.desensitized)]), files.output)
            return PrivacyOutcome(kept, counter.records)
        del counter
        chunks = (apply_chunk(c, result) for c in read_chunks(files.desensitized))
        kept = _write_stream(chunks, files.output)
        return PrivacyOutcome(kept, int(result.suppressed), result.to_dict())
    if model.uses_sensitive:
        from anonymizers.privacy_models import check_counts

        counter = count_classes(read_chunks(files.desensitized, needed), needed, keep_values=True)
        outcome = check_counts(counter, quasi, model, suppression_limit=1.0)
        doomed, suppressed = outcome.suppressed_keys, outcome.suppressed
    else:
        counter = count_classes(read_chunks(files.desensitized, quasi), quasi)
        doomed = counter.small_keys(k)
        suppressed = int(counter.counts[counter.counts < k].sum())
    del counter
    kept = _write_stream((drop_classes(c, quasi, doomed) for c in read_chunks(files.desensitized)), files.output)
    return PrivacyOutcome(kept, suppressed)


def _present(path: Path, columns: list[str]) -> list[str]:
    """The listed columns the file has (a missing one is then reported by the search, as before)."""
    names = set(pq.ParquetFile(path).schema_arrow.names)
    return [c for c in dict.fromkeys(columns) if c in names]


def _empty_like(path: Path) -> pd.DataFrame:
    return pd.DataFrame(columns=pq.ParquetFile(path).schema_arrow.names)


def check_privacy_model(path: Path, privacy: Privacy, k: int) -> tuple[bool, int] | None:
    """Does the output satisfy l-diversity / t-closeness as it stands? (anonymous, violating records)

    From the output's classes counted chunk by chunk, with their sensitive values."""
    if not privacy.quasi_identifiers or not (privacy.l or privacy.t):
        return None
    from anonymizers.privacy_models import check_counts, model_columns

    model = privacy_model(privacy, k)
    columns = model_columns(privacy.quasi_identifiers, model)
    counter = count_classes(read_chunks(path, columns), columns, keep_values=True)
    if counter.records == 0:
        return None
    outcome = check_counts(counter, privacy.quasi_identifiers, model, suppression_limit=0.0)
    return outcome.anonymous, outcome.suppressed


def _load(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    chunks = list(read_chunks(path, columns))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=columns or [])


def risk(path: Path, quasi_identifiers: list[str]) -> RiskFigures | None:
    """Risk over the quasi-identifiers of a run file, from class counts summed chunk by chunk."""
    from anonymizers.guard import risk_figures

    return risk_figures(lambda columns=None: read_chunks(path, columns), quasi_identifiers)


def guard(files: WorkFiles, profile, plan: list[ColumnPlan], rules, rows_in: int, suppressed: int,
          model_check: tuple[bool, int] | None):
    """The guard's verdict on the output file, against the raw extract (see anonymizers.guard)."""
    from anonymizers.guard import evaluate

    return evaluate(lambda columns=None: read_chunks(files.raw, columns),
                    lambda columns=None: read_chunks(files.output, columns),
                    profile, plan, rules, rows_in, suppressed, model_check)


def load_output(files: WorkFiles) -> pd.DataFrame:
    return _load(files.output)
