"""Publish-side helper: decide the published column types (the catalog writes the files).

Types are decided after desensitization, on what will actually be published: a column becomes
numeric only when every value is a plain number without leading zeros, so codes keep their zeros.

The decision streams: :func:`kind_evidence` looks at one chunk and says which kinds every value of
that chunk could be; evidences combine with ``&`` (all chunks) and :func:`decide_kind` turns the
combination into the kind. ``_kind`` of a whole column is the same three steps over one chunk, so a
table typed chunk by chunk (:func:`column_kinds`) gets exactly the types it gets typed whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from catalog.record import ColumnPlan, PublishedColumn

# ASCII digits only, written [0-9]: Python's \d also takes full-width and other scripts' digits (１２３),
# which pandas' to_numeric and Frictionless' integer type do not, and with \d pandas runs the full-match
# in Python's re cell by cell on any column holding a non-ASCII character instead of in pyarrow's RE2.
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,10}")
_DATE = re.compile(r"(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])")


@dataclass(frozen=True)
class KindEvidence:
    """What the values seen so far could all be: a column is of a kind only if every chunk agrees.

    With no value present every flag is vacuously true; ``present`` says whether any value was seen.
    """

    present: bool = False
    integer: bool = True
    number: bool = True
    date: bool = True

    def __and__(self, other: KindEvidence) -> KindEvidence:
        return KindEvidence(self.present or other.present, self.integer and other.integer,
                            self.number and other.number, self.date and other.date)


def kind_evidence(values: pd.Series) -> KindEvidence:
    """The evidence of one chunk of a text column (an integer is a number and never a date; a number
    is never a date: the patterns say so, which spares the later regex passes)."""
    present = values.dropna()
    if present.empty:
        return KindEvidence()
    if _all_match(present, _INTEGER.pattern):
        return KindEvidence(True, True, True, False)
    if _all_match(present, f"{_INTEGER.pattern}|{_NUMBER.pattern}"):
        return KindEvidence(True, False, True, False)
    return KindEvidence(True, False, False, _all_match(present, _DATE.pattern))


_HEAD = 512  # cells tested first: a text column fails on them, before a pass over the whole chunk


def _all_match(present: pd.Series, pattern: str) -> bool:
    if not present.iloc[:_HEAD].str.fullmatch(pattern).all():
        return False
    return bool(present.str.fullmatch(pattern).all())


_TEXT = KindEvidence(True, False, False, False)


def decide_kind(evidence: KindEvidence) -> str:
    if not evidence.present:
        return "string"
    if evidence.integer:
        return "integer"
    if evidence.number:
        return "number"
    return "date" if evidence.date else "string"


def _kind(values: pd.Series) -> str:
    return decide_kind(kind_evidence(values))


def column_kinds(chunks: Iterable[pd.DataFrame]) -> dict[str, str]:
    """The published kind of every column, from a first pass over the table's chunks."""
    evidence: dict[str, KindEvidence] = {}
    for chunk in chunks:
        for name in chunk.columns:
            if name in evidence and evidence[name] == _TEXT:
                continue  # nothing a chunk holds can make a text column anything else
            seen = kind_evidence(chunk[name].astype("string"))
            evidence[name] = evidence[name] & seen if name in evidence else seen
    return {name: decide_kind(e) for name, e in evidence.items()}


def _integers(text: pd.Series) -> pd.Series:
    """A column every value of which full-matches ``_INTEGER`` (at most 15 digits, so within int64), as
    Int64: Arrow's string-to-int64 cast, 40 times cheaper than ``pd.to_numeric`` on the same column and
    the same numbers (one pass of validate and one of publish type every chunk)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.cast(pa.array(text.array), pa.int64())
    values = numbers.fill_null(0).to_numpy(zero_copy_only=False)
    missing = numbers.is_null().to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=text.index)


def typed_chunk(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """One chunk converted to its columns' kinds (decided for the whole table), indexed 0 … n-1."""
    out = frame.copy()
    for name in frame.columns:
        text = frame[name].astype("string")
        kind = kinds.get(name, "string")
        if kind == "integer":
            out[name] = _integers(text)
        elif kind == "number":
            out[name] = pd.to_numeric(text).astype("Float64")
        elif kind == "date":
            out[name] = pd.to_datetime(text, format="%Y-%m-%d").dt.date
        else:
            out[name] = text
    return out.reset_index(drop=True)


def published_columns(kinds: dict[str, str], plan: list[ColumnPlan]) -> list[PublishedColumn]:
    by_column = {p.column: p for p in plan}
    columns = []
    for name, kind in kinds.items():
        item = by_column.get(name)
        columns.append(PublishedColumn(name=name, type=kind, action=item.action if item else "keep",
                                       entity=item.entity if item else None))
    return columns


def typed_table(frame: pd.DataFrame, plan: list[ColumnPlan]) -> tuple[pd.DataFrame, list[PublishedColumn]]:
    kinds = {name: _kind(frame[name].astype("string")) for name in frame.columns}
    return typed_chunk(frame, kinds), published_columns(kinds, plan)


@dataclass(frozen=True)
class PublishedTable:
    """The table to publish, as a file in the run folder plus its decided kinds: passed between the
    validate and publish tasks instead of a DataFrame, and read back a chunk at a time by each."""

    path: Path
    kinds: dict[str, str]
    rows: int

    def chunks(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        from pipelines.extract import read_chunks

        kinds = {c: self.kinds[c] for c in columns} if columns is not None else self.kinds
        for chunk in read_chunks(self.path, columns):
            yield typed_chunk(chunk, kinds)

    @property
    def source(self) -> Callable[..., Iterator[pd.DataFrame]]:
        """``source(columns=None)``: a fresh pass over the typed chunks (what quality and staging take)."""
        return self.chunks


def published_table(path: Path, plan: list[ColumnPlan]) -> tuple[PublishedTable, list[PublishedColumn]]:
    """The output file typed by a first pass over its chunks (no chunk is kept)."""
    import pyarrow.parquet as pq

    from pipelines.extract import read_chunks

    meta = pq.ParquetFile(path)
    kinds = column_kinds(read_chunks(path))
    # A file without rows still has its columns (all text, as a whole empty column would be).
    kinds = {name: kinds.get(name, "string") for name in meta.schema_arrow.names}
    return PublishedTable(path, kinds, meta.metadata.num_rows), published_columns(kinds, plan)
