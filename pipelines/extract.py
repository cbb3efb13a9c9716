"""Extract: a release spec's source → a raw Parquet file in the run folder, read a chunk at a time.

Every column is read as text so identifiers keep their leading zeros and check letters; types are
decided at publish. Errors are one line and never quote the data: a ragged row is reported by line
number and field counts, an undecodable file by byte offset.
"""

from __future__ import annotations

import base64
import codecs
import datetime
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.csv_source import csv_chunks

CHUNK_ROWS_ENV = "KAIFANG_CHUNK_ROWS"


def _chunk_rows() -> int:
    """Rows per chunk (and per desensitize part on Dask): $KAIFANG_CHUNK_ROWS, else 100,000.

    Smaller chunks bound memory tighter and give a cluster more parts to spread; larger ones cost less
    per row. Read once, at import, by the release process (workers read the parts the extract made).
    """
    text = os.environ.get(CHUNK_ROWS_ENV, "")
    return int(text) if text.isdigit() and int(text) >= 100 else 100_000


CHUNK_ROWS = _chunk_rows()
_READ_BLOCK = 1 << 20


class SourceError(ValueError):
    """The source cannot be read as a table; the message is one line and holds no cell value."""


@dataclass(frozen=True)
class Extracted:
    path: Path
    rows: int
    columns: list[str]
    encoding: str | None
    sha256: str


def confined(path: Path, roots: Iterable[Path]) -> Path:
    """The real path of a source file (symlinks resolved) when it lies under one of `roots`.

    A spec names its source relative to its own folder; `../../etc/passwd` or a symlink pointing out of
    the allowed folders is refused before a byte is read, with a message naming the path only.
    """
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise SourceError(f"source file not found: {path}") from None
    except (OSError, RuntimeError):
        raise SourceError(f"source file cannot be resolved (symlink loop?): {path}") from None
    allowed = [Path(root).expanduser().resolve() for root in roots]
    if not any(real.is_relative_to(root) for root in allowed):
        raise SourceError(f"source file {path} lies outside the spec's folder and the policy's source_roots")
    return real


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GBK, else GB18030: the first that decodes the whole file.

    A strict cascade rather than a statistical guess: short GBK cells are easily mislabelled by
    detectors, while a strict UTF-8 decode of GBK bytes fails fast and reliably.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    candidates = ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "gbk", "gb18030"]
    failure_offset = 0
    for encoding in candidates:
        offset = _first_undecodable_offset(path, encoding)
        if offset is None:
            return encoding
        failure_offset = max(failure_offset, offset)
    raise SourceError(
        f"cannot decode the file as UTF-8, GBK or GB18030 (first bad byte near offset {failure_offset})"
    )


def _first_undecodable_offset(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_READ_BLOCK), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return consumed + max(exc.start, 0)
            consumed += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return consumed
    return None


def _csv_chunks(path: Path, encoding: str, delimiter: str | None) -> Iterator[pd.DataFrame]:
    """Rows checked against the header (`pipelines.csv_source`): pandas would silently turn a ragged
    file's first column into an index (one extra field) or pad short rows with blanks."""
    sep = delimiter or _sniff_delimiter(path, encoding)
    yield from csv_chunks(path, encoding, sep, CHUNK_ROWS, SourceError, _dedupe)


def _dedupe(header: list[str]) -> list[str]:
    """Keep duplicate names detectable (name, name.1) the way pandas marks them."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _sniff_delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in [",", ";", "\t", "|"]}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _frame_chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), CHUNK_ROWS):
        yield frame.iloc[start : start + CHUNK_ROWS]


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """All columns as pandas strings, missing values as NA, column names as stripped text."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    for position, name in enumerate(frame.columns, start=1):
        column = frame.iloc[:, position - 1]
        if column.dtype == object:
            column = _object_text(column, position)
        if not pd.api.types.is_string_dtype(column):
            text = column.astype("string")
            # 1234.0 from a float column is the integer 1234 as the agency wrote it.
            if pd.api.types.is_float_dtype(column):
                text = text.str.replace(r"\.0$", "", regex=True)
            column = text
        frame[name] = column.astype("string").replace("", pd.NA)
    return frame


BYTES_PREFIX = "base64:"
_TEXT_TYPES = (str, int, float, bool, Decimal, datetime.date, datetime.time, datetime.timedelta, uuid.UUID)


def cell_text(value: object) -> object:
    """One cell as text, the same text for the same value on every run.

    Bytes (PostgreSQL bytea, MariaDB BLOB, Parquet binary) become `base64:` and their standard
    Base64; JSON objects and arrays (json, jsonb, PostgreSQL arrays, nested JSON records) become
    canonical JSON (sorted keys, no spaces, UTF-8 as is). Missing values stay missing.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return BYTES_PREFIX + base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_scalar)
    if isinstance(value, _TEXT_TYPES):
        return str(value)
    raise TypeError(type(value).__name__)


def _json_scalar(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return cell_text(value)
    if isinstance(value, _TEXT_TYPES):
        return str(value)
    raise TypeError(type(value).__name__)


def _object_text(column: pd.Series, position: int) -> pd.Series:
    """Mixed or non-text cells as text (`cell_text`); refused in one line naming position and type."""
    try:
        return column.map(cell_text).astype("string")
    except TypeError as exc:
        raise SourceError(f"column {position} holds values of type {exc} that cannot be read as text") from None


def file_chunks(path: Path, fmt: str, encoding: str, delimiter: str | None = None,
                sheet: str | None = None) -> Iterator[pd.DataFrame]:
    if fmt == "csv":
        yield from _csv_chunks(path, encoding, delimiter)
    elif fmt == "xlsx":
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except ValueError:
            raise SourceError(f"no sheet '{sheet}' in the workbook" if sheet else "not a readable workbook") from None
        except Exception:
            raise SourceError("not a readable XLSX workbook") from None
        yield from _frame_chunks(frame)
    elif fmt == "parquet":
        try:
            parquet = pq.ParquetFile(path, pre_buffer=False)  # as read_chunks: memory stays at one batch
        except Exception:
            raise SourceError("not a readable Parquet file") from None
        for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
            yield batch.to_pandas()
    elif fmt == "json":
        try:
            text = path.read_text(encoding=encoding)
            lines = not text.lstrip().startswith("[")
            frame = pd.read_json(path, orient="records", lines=lines, dtype=False, encoding=encoding)
        except ValueError:
            raise SourceError("not a JSON array of records nor JSON lines") from None
        yield from _frame_chunks(frame)
    else:
        raise SourceError(f"unknown file format '{fmt}'")


def sql_chunks(url: str, table: str | None, query: str | None) -> Iterator[pd.DataFrame]:
    """Rows of a table or of one read-only SELECT, read in a read-only transaction (pipelines/sql_source.py)."""
    import sqlalchemy as sa

    from pipelines import sql_source as guard

    _require_sqlite_file(url)
    try:
        parsed = sa.make_url(url)
    except Exception:
        raise SourceError("the SQL URL is not a valid SQLAlchemy URL") from None
    try:
        dialect = guard.backend(parsed)
        if query:
            guard.check_read_only(query, dialect)
        statement = sa.text(query) if query else guard.table_statement(str(table), dialect)
    except guard.QueryRefused as exc:
        raise SourceError(str(exc)) from None
    try:
        engine = guard.read_only_engine(parsed, dialect)
    except ModuleNotFoundError as exc:
        raise SourceError(f"no database driver '{exc.name}' is installed for {_safe_url(url)}") from None
    except Exception:
        raise SourceError("the SQL URL is not a valid SQLAlchemy URL") from None
    try:
        with guard.read_only_transaction(engine, dialect) as connection:
            yield from pd.read_sql(statement, connection, chunksize=CHUNK_ROWS)
    except sa.exc.OperationalError as exc:
        # Driver messages can carry host names, user names and data; keep to the kind of failure.
        reason = "cannot be reached" if _is_connection_failure(exc) else "rejected the query"
        raise SourceError(f"the SQL source {reason} ({_safe_url(url)})") from None
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError):
        raise SourceError(f"the SQL source rejected the query ({_safe_url(url)})") from None
    finally:
        engine.dispose()


def _require_sqlite_file(url: str) -> None:
    """SQLite would silently create a missing database file and then report a missing table."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except Exception:
        return
    database = parsed.database
    file_backed = parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if file_backed and not Path(database).is_file():
        raise SourceError(f"the SQLite database file does not exist: {database}")


def _is_connection_failure(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("connect", "unable to open", "refused", "timeout", "resolve", "no such host"))


def _safe_url(url: str) -> str:
    """The URL without its password, fit for an error message."""
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "unparseable URL"


def text_chunks(path: Path) -> Iterator[pd.DataFrame]:
    """A file outside a release (for scan, validate, anonymize): format from the suffix, encoding detected,
    every column as text, a chunk at a time."""
    fmt = infer_format(path)
    encoding = detect_encoding(path) if fmt in {"csv", "json"} else "utf-8"
    for chunk in file_chunks(path, fmt, encoding):
        yield as_text(chunk)


def read_text_table(path: Path) -> pd.DataFrame:
    """The whole file as one frame of text columns (see `text_chunks`)."""
    chunks = list(text_chunks(path))
    if not chunks:
        raise SourceError("the file holds no table")
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def infer_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"xls": "xlsx", "jsonl": "json", "pq": "parquet", "txt": "csv", "tsv": "csv"}.get(suffix, suffix)


def write_raw(chunks: Iterator[pd.DataFrame], out: Path) -> tuple[int, list[str]]:
    """Stream chunks into one Parquet file of text columns; return rows and column names.

    The source is closed whatever happens: a refused header or a bad row must not leave a database
    connection open in its transaction (holding locks on the agency's table) until garbage collection.
    """
    try:
        return _write_raw(chunks, out)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _write_raw(chunks: Iterator[pd.DataFrame], out: Path) -> tuple[int, list[str]]:
    writer: pq.ParquetWriter | None = None
    columns: list[str] = []
    rows = 0
    try:
        for raw_chunk in chunks:
            chunk = as_text(raw_chunk)
            if writer is None:
                columns = list(chunk.columns)
                _check_header(columns)
                schema = pa.schema([(name, pa.string()) for name in columns])
                writer = pq.ParquetWriter(out, schema)
            elif list(chunk.columns) != columns:
                raise SourceError("the columns change part-way through the source")
            table = pa.Table.from_pandas(chunk, schema=writer.schema, preserve_index=False)
            writer.write_table(table)
            rows += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise SourceError("the source has no header and no rows")
    if rows == 0:
        raise SourceError("the source has a header but no data rows")
    return rows, columns


def _check_header(columns: list[str]) -> None:
    blank = [i + 1 for i, c in enumerate(columns) if not c or c.startswith("Unnamed:")]
    if blank:
        raise SourceError(f"column {blank[0]} has no header")
    from detectors.headers_scan import header_problem

    # A file without a header row would put its first record into the column names, and column
    # names travel everywhere (record, catalog, messages): refuse rather than publish them, and
    # name the column by its position, never by its text.
    problem = header_problem(columns)
    if problem:
        raise SourceError(problem)
    seen: set[str] = set()
    for name in columns:
        base = re.sub(r"\.\d+$", "", name)
        if name in seen or (base != name and base in columns):
            raise SourceError(f"the header names column '{base}' twice")
        seen.add(name)


def read_chunks(path: Path, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Chunks of a Parquet file from the run folder, as pandas text columns.

    Read without pre-buffering: with it, pyarrow's batch reader keeps the buffers of every row group
    it has read until the pass ends (about 6 MB of Arrow memory per 100,000 rows of the bench table,
    600 MB by the end of one pass over 10 M rows); without it Arrow's memory stays at one batch."""
    parquet = pq.ParquetFile(path, pre_buffer=False)
    for batch in parquet.iter_batches(batch_size=CHUNK_ROWS, columns=columns):
        yield batch.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
