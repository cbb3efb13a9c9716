"""Checking published files against what their writer knew, instead of re-reading them through Frictionless.

Whoever writes a release's data files knows, at that moment, how many rows and which columns of which
types each holds and what bytes came out. :func:`describe_written` records those facts right after
writing (a SHA-256 of the fresh file, the Parquet footer); :func:`check_written` holds the files in
the release folder to them: same bytes (so nothing changed between writing and publishing), at least
``min_rows`` rows, the Parquet footer's row count, column names and Arrow types, the CSV header and
row count (pyarrow's streaming CSV reader, all columns as text: no cell is parsed cell by cell in
Python). A staged folder without such facts is still validated by Frictionless in full.
Messages name files and columns' positions, never a cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from catalog.files import sha256_of

# Arrow types a Table Schema type may be written as in Parquet.
_ARROW_TYPES = {
    "string": (pa.types.is_string, pa.types.is_large_string, getattr(pa.types, "is_string_view", pa.types.is_string),
               pa.types.is_null),
    "integer": (pa.types.is_integer, pa.types.is_null),
    "number": (pa.types.is_floating, pa.types.is_integer, pa.types.is_decimal, pa.types.is_null),
    "boolean": (pa.types.is_boolean, pa.types.is_null),
    "date": (pa.types.is_date, pa.types.is_timestamp, pa.types.is_null),
    "datetime": (pa.types.is_timestamp, pa.types.is_null),
}


@dataclass(frozen=True)
class WrittenFile:
    """One data file as its writer left it: path relative to the staged folder, rows, columns, bytes."""

    path: str
    rows: int
    columns: tuple[str, ...]
    bytes: int
    sha256: str


def describe_written(folder: Path, paths: Iterable[Path], rows: int, columns: Sequence[str]) -> list[WrittenFile]:
    """The facts of files just written into ``folder`` from one table of ``rows`` rows and these columns."""
    facts = []
    for path in paths:
        size, digest = sha256_of(path)
        facts.append(WrittenFile(path.relative_to(folder).as_posix(), rows, tuple(columns), size, digest))
    return facts


def check_written(folder: Path, facts: Sequence[WrittenFile], found: Mapping[str, tuple[int, str]],
                  schema: Sequence[tuple[str, str]], min_rows: int = 1) -> list[str]:
    """Problems of the data files in ``folder`` against their facts and the published ``schema``
    (name, Table Schema type); empty when every file is as written and as declared.

    ``found``: each data file in the folder with its size and SHA-256 (as the catalog measured them).
    """
    known = {f.path: f for f in facts}
    problems: list[str] = []
    for rel, measured in found.items():
        fact = known.get(rel)
        if fact is None:
            problems.append(f"{rel}: not written by the release (no facts to check it against)")
            continue
        problems.extend(f"{rel}: {p}" for p in _check_file(folder / rel, fact, measured, schema, min_rows))
    return problems


def _check_file(path: Path, fact: WrittenFile, measured: tuple[int, str], schema: Sequence[tuple[str, str]],
                min_rows: int) -> list[str]:
    if measured != (fact.bytes, fact.sha256):
        return ["bytes differ from what was written"]
    if fact.columns != tuple(name for name, _ in schema):
        return ["columns differ from the table schema"]
    problems = [f"table-dimensions: {fact.rows} rows, at least {min_rows} required"] if fact.rows < min_rows else []
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        problems += _check_parquet(path, fact, [kind for _, kind in schema])
    elif suffix == ".csv":
        problems += _check_csv(path, fact)
    return problems


def _check_parquet(path: Path, fact: WrittenFile, types: Sequence[str]) -> list[str]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path)
    problems = []
    if meta.metadata.num_rows != fact.rows:
        problems.append(f"row count {meta.metadata.num_rows}, {fact.rows} written")
    stored = meta.schema_arrow
    if tuple(stored.names) != fact.columns:
        return [*problems, "columns differ from the table schema"]
    for position, (field, declared) in enumerate(zip(stored, types, strict=True), start=1):
        accepted = _ARROW_TYPES.get(declared)
        if accepted and not any(test(field.type) for test in accepted):
            problems.append(f"type-error (field {position}): stored as {field.type}, declared {declared}")
    return problems


def _check_csv(path: Path, fact: WrittenFile) -> list[str]:
    import pyarrow.csv as pcsv

    names = list(fact.columns)
    options = pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 24),
                           parse_options=pcsv.ParseOptions(newlines_in_values=True), convert_options=options)
    if reader.schema.names != names:
        return ["header differs from the table schema"]
    rows = sum(batch.num_rows for batch in reader)
    return [] if rows == fact.rows else [f"row count {rows}, {fact.rows} written"]
