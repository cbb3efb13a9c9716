"""A CSV source as text chunks: parsed by Arrow's CSV reader, read as the standard library reads it.

At 1 M rows × 12 columns the standard library's ``csv.reader`` building a frame from lists cost
6.96 CPU-s, Arrow's parser with every column as text 1.07 (the same frames). What a reader of a
hostile file is owed stays the standard library's: its header (an empty file, a malformed line 1),
its rows (quotes, doubled quotes, newlines inside quotes, blank lines skipped, an empty cell missing),
and its errors. When Arrow refuses a file, the standard library's reader reads it again to say why
in one line without quoting a cell (a ragged row by line number and field counts); a row too large
for Arrow's block is parsed again with a larger block, and a file the standard library reads but Arrow
does not (a header-only file without a final line break) is read by the standard library.

Arrow 26 drops the line feed of a quoted ``\r\n`` when a block boundary falls between the two (found
by tests/test_csv_source.py: ``"1\r\n"`` read as ``"1\r"``); every such cell still holds its carriage
return. So a batch with a carriage return in any cell is never used: the file is read from there on by
the standard library's reader (agency tables rarely hold one inside a cell). So is a file whose header
Arrow reads otherwise (Arrow skips blank lines before it; the standard library's header is then empty).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BLOCK_BYTES = 16 << 20
# Remarks and descriptions can be long; the csv module's default cap (128 KiB) would misreport them.
csv.field_size_limit(64 << 20)
_UTF8 = {"utf-8", "utf8", "utf_8", "utf-8-sig", "utf_8_sig"}  # Arrow's own decoder; it skips a UTF-8 BOM


class _Unsure(Exception):
    """Arrow's reading may differ from the standard library's: a batch holds a carriage return in a
    cell (it may have lost a line feed), or Arrow read another header (it skips blank lines first)."""


def csv_chunks(path: Path, encoding: str, delimiter: str, rows: int, error: Callable[[str], Exception],
               names: Callable[[list[str]], list[str]]) -> Iterator[pd.DataFrame]:
    """Frames of ``rows`` rows (the last shorter; one empty frame for a header-only file), every cell
    a string or missing. ``error`` builds the exception raised with a one-line message; ``names``
    turns the header into the frame's column names."""
    header = _header(path, encoding, delimiter, error)
    done, block = 0, BLOCK_BYTES
    while True:
        try:
            for frame in _rebatched(_batches(path, encoding, delimiter, header, block), rows, done, names):
                done += len(frame)
                yield frame
            return
        except _Unsure:
            yield from _standard_chunks(path, encoding, delimiter, rows, done, error, names)
            return
        except UnicodeDecodeError:  # Arrow decodes other encodings than UTF-8 through Python's codecs
            raise error(f"cannot decode the file as {encoding}") from None
        except pa.ArrowInvalid:
            for _ in _standard_rows(path, encoding, delimiter, error):
                pass  # raises the standard library's reason to refuse the file, if it has one
            if block >= 2 * path.stat().st_size:  # an empty-looking file Arrow cannot read: the reference reads it
                yield from _standard_chunks(path, encoding, delimiter, rows, done, error, names)
                return
            block *= 4  # nothing wrong by the standard library's reading: a row larger than the block


def _header(path: Path, encoding: str, delimiter: str, error: Callable[[str], Exception]) -> list[str]:
    lines = _standard_rows(path, encoding, delimiter, error)
    try:
        header = next(lines, None)
    finally:
        lines.close()
    if header is None:
        raise error("the file is empty")
    return header


def _batches(path: Path, encoding: str, delimiter: str, header: list[str], block: int) -> pacsv.CSVStreamingReader:
    reader = _open(path, encoding, delimiter, header, block)
    if reader.schema.names != header:
        reader.close()
        raise _Unsure
    return reader


def _open(path: Path, encoding: str, delimiter: str, header: list[str], block: int) -> pacsv.CSVStreamingReader:
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8" if encoding.lower() in _UTF8 else encoding, block_size=block),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                             strings_can_be_null=True, null_values=[""]))


def _rebatched(batches: pacsv.CSVStreamingReader, rows: int, skip: int,
               names: Callable[[list[str]], list[str]]) -> Iterator[pd.DataFrame]:
    """Arrow's batches follow its byte blocks; the pipeline's chunks are ``rows`` rows. The first
    ``skip`` rows were yielded before a retry and are not yielded again."""
    try:
        yield from _rows_of(batches, rows, skip, names)
    finally:
        batches.close()  # a reader left partway (a retry, the standard library's turn) stops its threads


def _rows_of(batches: pacsv.CSVStreamingReader, rows: int, skip: int,
             names: Callable[[list[str]], list[str]]) -> Iterator[pd.DataFrame]:
    pending: list[pa.RecordBatch] = []
    held, yielded = 0, skip > 0
    for batch in batches:
        if any(_holds_carriage_return(column) for column in batch.columns):
            raise _Unsure
        if skip:
            cut = min(skip, batch.num_rows)
            batch, skip = batch.slice(cut), skip - cut
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield _frame(table.slice(0, rows), names)
            rest = table.slice(rows)
            pending, held, yielded = rest.to_batches(), rest.num_rows, True
    if held or not yielded:
        yield _frame(pa.Table.from_batches(pending, schema=batches.schema), names)


def _holds_carriage_return(column: pa.Array) -> bool:
    """Whether a parsed string column holds a \\r: a byte search of its data buffer (memchr speed; Arrow's
    substring kernel walks cell by cell). The buffer may reach beyond the column's cells, which can only
    answer yes wrongly, and a yes sends the file to the standard library's reader, which is always right."""
    data = column.buffers()[2] if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) else None
    if data is None:
        return bool(pc.any(pc.match_substring(column, "\r")).as_py())
    return data.to_pybytes().find(b"\r") >= 0


def _frame(table: pa.Table, names: Callable[[list[str]], list[str]]) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper=lambda kind: pd.StringDtype() if kind == pa.string() else None)
    frame.columns = names(table.schema.names)
    return frame


def _standard_rows(path: Path, encoding: str, delimiter: str,
                   error: Callable[[str], Exception]) -> Iterator[list[str]]:
    """The header, then the data rows as the standard library reads them (blank lines skipped), or
    the one-line reason it refuses the file."""
    with path.open(encoding=_python_encoding(encoding), newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                return
            yield header
            for row in reader:
                if row and len(row) != len(header):
                    raise error(f"ragged rows: line {reader.line_num} has {len(row)} fields, "
                                f"the header has {len(header)}")
                if row:
                    yield row
        except csv.Error:
            raise error(f"the file is not a well-formed CSV table (line {reader.line_num})") from None
        except UnicodeDecodeError:
            raise error(f"cannot decode the file as {encoding}") from None


def _standard_chunks(path: Path, encoding: str, delimiter: str, rows: int, skip: int,
                     error: Callable[[str], Exception],
                     names: Callable[[list[str]], list[str]]) -> Iterator[pd.DataFrame]:
    """Frames from the standard library's rows, the first ``skip`` data rows left out."""
    lines = _standard_rows(path, encoding, delimiter, error)
    columns = names(next(lines, []))
    pending: list[list[str]] = []
    yielded = skip > 0
    for row in itertools.islice(lines, skip, None):
        pending.append(row)
        if len(pending) == rows:
            yield _list_frame(pending, columns)
            pending, yielded = [], True
    if pending or not yielded:
        yield _list_frame(pending, columns)


def _list_frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype="string").replace("", pd.NA)


def _python_encoding(encoding: str) -> str:
    """As Arrow reads UTF-8: a BOM is not part of the first column's name."""
    return "utf-8-sig" if encoding.lower() in _UTF8 else encoding
