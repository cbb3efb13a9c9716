"""Writing a staged folder the way the catalog reads it, so the formats are defined in one place.

The pipeline may write the files itself (the layout is in `catalog.store`), but this helper makes
sure of the details Frictionless checks: UTF-8, ISO dates (2024-01-31) and datetimes
(2024-01-31T08:00:00), JSON as an array of row objects, Parquet with native types.

It also makes the files safe to open (`safe_cells`): control characters other than tab, line feed and
carriage return (NUL, the rest of C0, DEL, C1) are replaced by U+FFFD in every format, and in the CSV
file a text cell that a spreadsheet would run as a formula (its first character after any spaces is
= + - @, a tab or a carriage return) gets a leading apostrophe, which spreadsheets show as text
(policy `csv_formula_guard`, on by default; turn it off only for files read by programs). Both are
counted in the release record's `cell_fixes`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.csv_rows import csv_pieces, csv_rows
from catalog.json_rows import json_records
from catalog.record import PublishedColumn
from catalog.written import WrittenFile
from detectors.text import PYTHON_SPACES

FILE_NAMES = {"csv": "data.csv", "parquet": "data.parquet", "json": "data.json"}
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"
# Python's \s spelled out (a \s sends pandas to Python's re, cell by cell); an ideographic space still counts.
FORMULA_START = re.compile(rf"^[{PYTHON_SPACES}]*[=+\-@\t\r]")
FORMULA_GUARD = "'"


@dataclass
class CellFixes:
    """How many cells `safe_cells` changed: figures for the release record, never the cells."""

    control_characters: int = 0
    formulas_neutralised: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"control_characters": self.control_characters, "formulas_neutralised": self.formulas_neutralised}


def _text_columns(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> list[str]:
    typed = {c.name for c in columns if c.type != "string"}
    return [name for name in frame.columns if name not in typed and not pd.api.types.is_numeric_dtype(frame[name])]


def replace_control_characters(frame: pd.DataFrame, columns: Iterable[PublishedColumn],
                               fixes: CellFixes) -> pd.DataFrame:
    """Text cells with NUL and other control characters replaced by U+FFFD (tab, LF, CR stay)."""
    out = frame.copy()
    for name in _text_columns(out, columns):
        text = out[name].astype("string")
        count = int(text.str.count(CONTROL_CHARACTERS.pattern).fillna(0).sum())
        if count:
            fixes.control_characters += count
            out[name] = text.str.replace(CONTROL_CHARACTERS.pattern, REPLACEMENT, regex=True)
    return out


def neutralise_formulas(frame: pd.DataFrame, columns: Iterable[PublishedColumn], fixes: CellFixes) -> pd.DataFrame:
    """Text cells a spreadsheet would evaluate (=, +, -, @, tab, CR first, after any spaces) start with '."""
    out = frame.copy()
    for name in _text_columns(out, columns):
        text = out[name].astype("string")
        risky = text.str.contains(FORMULA_START.pattern, regex=True).fillna(False).astype(bool)
        if risky.any():
            fixes.formulas_neutralised += int(risky.sum())
            out[name] = text.where(~risky, FORMULA_GUARD + text)
    return out


def _as_text(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> pd.DataFrame:
    """Dates and datetimes as ISO text, the lexical form Table Schema expects in CSV and JSON."""
    out = frame.copy()
    for column in columns:
        if column.name not in out.columns or column.type not in ("date", "datetime"):
            continue
        values = pd.to_datetime(out[column.name], errors="coerce")
        pattern = "%Y-%m-%d" if column.type == "date" else "%Y-%m-%dT%H:%M:%S"
        out[column.name] = values.dt.strftime(pattern).where(values.notna(), None)
    return out


def _native(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column.name in out.columns and column.type == "date":
            out[column.name] = pd.to_datetime(out[column.name], errors="coerce").dt.date
        elif column.name in out.columns and column.type == "datetime":
            out[column.name] = pd.to_datetime(out[column.name], errors="coerce")
    return out


def write_staged(
    frame: pd.DataFrame,
    folder: Path,
    columns: list[PublishedColumn],
    formats: Iterable[str] = ("csv", "parquet", "json"),
    csv_formula_guard: bool = True,
    fixes: CellFixes | None = None,
) -> list[Path]:
    """Write `data.<format>` files for one published table into `folder`; returns the paths written.

    `fixes`, when given, receives the count of cells made safe (see the module docstring).
    """
    facts = write_staged_chunks([frame], folder, columns, formats, csv_formula_guard, fixes)
    return [folder / fact.path for fact in facts]


def write_staged_chunks(
    chunks: Iterable[pd.DataFrame],
    folder: Path,
    columns: list[PublishedColumn],
    formats: Iterable[str] = ("csv", "parquet", "json"),
    csv_formula_guard: bool = True,
    fixes: CellFixes | None = None,
) -> list[WrittenFile]:
    """Write the files from a table given chunk by chunk; returns their facts, gathered while writing.

    Every format is written as the chunks come (CSV with one header, JSON one array, Parquet in row
    groups of PARQUET_ROW_GROUP_ROWS whatever the chunk size), so memory holds a chunk and one row
    group, and the bytes do not depend on how the table was cut. Cell fixes are counted per chunk.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fixes = fixes if fixes is not None else CellFixes()
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FILE_NAMES]
    if unknown:
        raise ValueError(f"unknown output format {unknown[0]!r}: use csv, parquet or json")
    writers = {fmt: _WRITERS[fmt](folder / FILE_NAMES[fmt], columns, csv_formula_guard) for fmt in wanted}
    names: list[str] | None = None
    try:
        for chunk in chunks:
            names = names if names is not None else [str(c) for c in chunk.columns]
            safe = replace_control_characters(chunk, columns, fixes)
            text = _as_text(safe, columns)
            for writer in writers.values():
                writer.write(safe, text, fixes)
    finally:
        names = names if names is not None else [c.name for c in columns]  # no chunk: the declared columns
        for writer in writers.values():
            writer.close(names)
    return [writer.sink.fact(folder, names) for writer in writers.values()]


PARQUET_ROW_GROUP_ROWS = 65_536
_ARROW_OF_TYPE = {"date": pa.date32(), "datetime": pa.timestamp("ns"), "integer": pa.int64(),
                  "number": pa.float64(), "boolean": pa.bool_(), "string": pa.string()}


class _Sink:
    """A binary file that hashes and counts what is written to it: the facts come for free."""

    def __init__(self, path: Path) -> None:
        self.path, self.file = path, open(path, "wb")  # noqa: SIM115 - closed by close()
        self.digest, self.size, self.rows = hashlib.sha256(), 0, 0

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.file.write(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()

    @property
    def closed(self) -> bool:
        return self.file.closed

    def fact(self, folder: Path, names: list[str]) -> WrittenFile:
        return WrittenFile(self.path.relative_to(folder).as_posix(), self.rows, tuple(names), self.size,
                           self.digest.hexdigest())


class _CsvWriter:
    def __init__(self, path: Path, columns: list[PublishedColumn], formula_guard: bool) -> None:
        self.sink, self.columns, self.guard, self.header = _Sink(path), columns, formula_guard, True

    def write(self, frame: pd.DataFrame, text: pd.DataFrame, fixes: CellFixes) -> None:
        csv_text = neutralise_formulas(text, self.columns, fixes) if self.guard else text
        for piece in csv_pieces(csv_text, self.header):  # pandas' to_csv bytes, CRLF rows (RFC 4180)
            self.sink.write(piece)
        self.sink.rows += len(frame)
        self.header = False

    def close(self, names: list[str]) -> None:
        if self.header:  # no chunk came: the header alone, as pandas writes an empty table
            self.sink.write(csv_rows(pd.DataFrame(columns=names), True))
        self.sink.close()


class _JsonWriter:
    def __init__(self, path: Path, columns: list[PublishedColumn], formula_guard: bool) -> None:
        self.sink, self.first = _Sink(path), True
        self.sink.write(b"[")

    def write(self, frame: pd.DataFrame, text: pd.DataFrame, fixes: CellFixes) -> None:
        if not len(text):
            return
        self.sink.write((b", " if not self.first else b"") + json_records(text))
        self.sink.rows += len(text)
        self.first = False

    def close(self, names: list[str]) -> None:
        self.sink.write(b"]")
        self.sink.close()


class _ParquetWriter:
    def __init__(self, path: Path, columns: list[PublishedColumn], formula_guard: bool) -> None:
        self.sink, self.columns = _Sink(path), columns
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.Table] = []
        self.buffered = 0

    def write(self, frame: pd.DataFrame, text: pd.DataFrame, fixes: CellFixes) -> None:
        table = pa.Table.from_pandas(_native(frame, self.columns), preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.sink, self._schema(table.schema), compression="snappy")
        self.pending.append(table.cast(self.writer.schema))
        self.buffered += len(table)
        self.sink.rows += len(table)
        while self.buffered >= PARQUET_ROW_GROUP_ROWS:
            self._flush(PARQUET_ROW_GROUP_ROWS)

    def _schema(self, schema: pa.Schema) -> pa.Schema:
        """The first chunk's schema, with the declared type where that chunk cannot show it.

        A chunk whose date column holds no date infers no date type (pandas makes it a timestamp or a
        null column); the column is then stored, and described in the pandas metadata, as a table
        holding dates would have it, so the file does not depend on where the chunks were cut.
        """
        declared = {c.name: c.type for c in self.columns}
        pandas_meta = json.loads(schema.metadata[b"pandas"]) if b"pandas" in (schema.metadata or {}) else None
        for position, field in enumerate(schema):
            kind = declared.get(field.name)
            if kind == "date" and not pa.types.is_date32(field.type):
                schema = schema.set(position, field.with_type(pa.date32()))
                if pandas_meta is not None:
                    pandas_meta["columns"][position].update(pandas_type="date", numpy_type="object")
            elif pa.types.is_null(field.type) and kind in _ARROW_OF_TYPE:
                schema = schema.set(position, field.with_type(_ARROW_OF_TYPE[kind]))
        if pandas_meta is not None:
            schema = schema.with_metadata({**schema.metadata, b"pandas": json.dumps(pandas_meta).encode("utf8")})
        return schema

    def _flush(self, rows: int) -> None:
        assert self.writer is not None
        table = pa.concat_tables(self.pending)
        # One contiguous array per column: pyarrow would otherwise cut pages where the chunks met.
        self.writer.write_table(table.slice(0, rows).combine_chunks(), row_group_size=rows)
        rest = table.slice(rows)
        self.pending, self.buffered = ([rest] if len(rest) else []), len(rest)

    def close(self, names: list[str]) -> None:
        if self.writer is None:  # no chunk came: an empty table with these columns
            empty = pa.Table.from_pandas(pd.DataFrame(columns=names), preserve_index=False)
            self.writer = pq.ParquetWriter(self.sink, empty.schema, compression="snappy")
            self.pending = [empty]
        if self.buffered:
            self._flush(self.buffered)
        elif not self.sink.rows:  # as pyarrow writes a table without rows
            self.writer.write_table(pa.concat_tables(self.pending))
        self.writer.close()
        self.sink.close()


_WRITERS = {"csv": _CsvWriter, "parquet": _ParquetWriter, "json": _JsonWriter}
