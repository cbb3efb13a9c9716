"""Quality figures of a table given chunk by chunk: the metrics GX asks for, summed or merged.

A table larger than one chunk is never validated whole. `quality.run` lets GX validate each chunk for
the row-wise expectations whose counts add up (a null, blank or out-of-range cell is one whatever the
chunk: `ROW_WISE`) and merges those chunk results into the metrics of the whole table; the
expectations that look across rows (row count, columns, types, uniqueness, duplicates, k-anonymity,
mean, share of values, residual identifiers, freshness) get their metrics from aggregates
accumulated here chunk by chunk (class counts keyed by 64-bit hashes of the values, so no value is
kept). GX then evaluates every expectation once, on those metrics, with its own `_validate`: the
verdict, `mostly` and the result's figures are GX's. Nothing here returns a cell value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from anonymizers.classes import ClassCounter, row_keys
from quality.model import Check
from quality.types import published_type

Source = Callable[..., Iterator[pd.DataFrame]]
"""``source(columns=None)``: a fresh pass over the table's chunks, optionally only some columns."""

# Row-wise expectations: GX runs them on each chunk and their counts are summed.
ROW_WISE = frozenset({
    "expect_column_values_to_not_be_null", "expect_column_values_to_not_be_blank", "expect_rows_to_not_be_empty",
    "expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex", "expect_column_value_lengths_to_be_between",
})
_MULTICOLUMN = ("expect_rows_to_not_be_empty", "expect_compound_columns_to_be_unique",
                "expect_compound_columns_to_be_k_anonymous")
_RAW_ENTITY = ("expect_column_to_hold_no_raw_identifier",
               "expect_column_published_as_is_to_hold_no_sensitive_entity")
PARTIAL = 20  # run.RESULT_FORMAT's partial_unexpected_count: positions kept per check


def table_frame(chunk: pd.DataFrame) -> pd.DataFrame:
    """A chunk with text column names and a 0 … n-1 index (what GX is given, as for a whole table)."""
    frame = chunk.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def published_types_of(chunks: Iterable[pd.DataFrame]) -> dict[str, str]:
    """`quality.types.published_type` of each column over all chunks: the type of the chunks that hold
    a value (a chunk where a column is empty says nothing about its type); mixed types are text."""
    seen: dict[str, set[str]] = {}
    fallback: dict[str, str] = {}
    for chunk in chunks:
        for name in chunk.columns:
            kind = published_type(chunk[name])
            fallback.setdefault(name, kind)
            if chunk[name].notna().any():
                seen.setdefault(name, set()).add(kind)
    return {name: (next(iter(seen[name])) if len(seen.get(name, ())) == 1 else
                   "string" if seen.get(name) else kind) for name, kind in fallback.items()}


@dataclass
class _Classes:
    """One expectation that compares rows across chunks: which rows count, what makes one unexpected."""

    columns: list[str]
    ignore: str  # "null" (column uniqueness), "any_value_is_missing", "all_values_are_missing", "never"
    k: int | None  # None: uniqueness (a class of two or more is unexpected); else k-anonymity
    counter: ClassCounter = field(init=False)
    filtered: int = 0

    def __post_init__(self) -> None:
        self.counter = ClassCounter(self.columns)

    def rows(self, chunk: pd.DataFrame) -> np.ndarray:
        missing = chunk[self.columns].isna()
        if self.ignore in ("null", "any_value_is_missing"):
            return ~missing.any(axis=1).to_numpy()
        if self.ignore == "all_values_are_missing":
            return ~missing.all(axis=1).to_numpy()
        return np.ones(len(chunk), dtype=bool)

    def add(self, chunk: pd.DataFrame) -> None:
        kept = chunk[self.rows(chunk)]
        self.filtered += len(kept)
        self.counter.add(kept)

    def unexpected(self, sizes: np.ndarray) -> np.ndarray:
        return sizes > 1 if self.k is None else sizes < self.k

    @property
    def unexpected_count(self) -> int:
        counts = self.counter.counts
        return int(counts[self.unexpected(counts)].sum())


def _classes(check: Check) -> _Classes | None:
    kwargs = check.kwargs
    if check.expectation == "expect_column_values_to_be_unique":
        return _Classes([kwargs["column"]], "null", None)
    if check.expectation == "expect_compound_columns_to_be_unique":
        return _Classes(list(kwargs["column_list"]), kwargs.get("ignore_row_if", "all_values_are_missing"), None)
    if check.expectation == "expect_column_values_to_be_k_anonymous":
        return _Classes([kwargs["column"]], "never", int(kwargs["k"]))
    if check.expectation == "expect_compound_columns_to_be_k_anonymous":
        return _Classes(list(kwargs["column_list"]), kwargs.get("ignore_row_if", "never"), int(kwargs["k"]))
    return None


def _needed(check: Check) -> list[str]:
    kwargs = check.kwargs
    return [kwargs["column"]] if "column" in kwargs else list(kwargs.get("column_list", []))


class Aggregates:
    """Figures of the whole table accumulated chunk by chunk for the checks GX cannot sum per chunk."""

    def __init__(self, checks: Sequence[Check]) -> None:
        self.checks = list(checks)
        self.rows = 0
        self.columns: list[str] | None = None
        self.non_null: dict[str, int] = {}
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.types: dict[str, str] = {}
        self.classes = {i: c for i, check in enumerate(self.checks) if (c := _classes(check)) is not None}
        self.broken: set[int] = set()  # checks naming a column the table does not have
        self.positions: dict[int, list[int]] = {}
        self.entities: dict[int, dict] = {}
        self.profiled = None  # detectors' EntityCounts of this same table, when a caller already has them

    def add(self, chunk: pd.DataFrame) -> None:
        self.columns = self.columns if self.columns is not None else [str(c) for c in chunk.columns]
        self.rows += len(chunk)
        for name in chunk.columns:
            self.non_null[name] = self.non_null.get(name, 0) + int(chunk[name].notna().sum())
        for index, check in enumerate(self.checks):
            if any(c not in chunk.columns for c in _needed(check)):
                self.broken.add(index)
                continue
            if index in self.classes:
                self.classes[index].add(chunk)
            elif check.expectation == "expect_column_mean_to_be_between":
                values = pd.to_numeric(chunk[check.kwargs["column"]], errors="coerce").dropna()
                name = check.kwargs["column"]
                self.sums[name] = self.sums.get(name, 0.0) + float(values.astype("float64").sum())
                self.counts[name] = self.counts.get(name, 0) + len(values)

    def locate(self, source: Source) -> None:
        """Second pass, only for cross-row checks that failed: the first positions of unexpected rows."""
        wanted = {i: c for i, c in self.classes.items() if i not in self.broken and c.unexpected_count}
        if not wanted:
            return
        offset = 0
        for chunk in source():
            chunk = table_frame(chunk)
            for index, classes in wanted.items():
                found = self.positions.setdefault(index, [])
                if len(found) >= PARTIAL:
                    continue
                rows = classes.rows(chunk)
                sizes = classes.counter.sizes_of(row_keys(chunk[rows], classes.columns))
                hits = np.flatnonzero(rows)[classes.unexpected(sizes)]
                found.extend(int(p) + offset for p in hits[: PARTIAL - len(found)])
            offset += len(chunk)
            if all(len(self.positions[i]) >= PARTIAL for i in wanted):
                break

    def profile_entities(self, source: Source) -> None:
        """Residual identifiers: each checked column profiled over its own chunks, as `detectors` would
        profile the whole column (one column at a time, counts summed and presence judged at the end).

        A column ``profiled`` already holds (the guard profiled this same output at the same share) is
        not profiled again: the counts are the same detectors' over the same cells."""
        from quality.privacy import column_entities_chunks

        done: dict[tuple[str, float], dict] = {}
        for index, check in enumerate(self.checks):
            if check.expectation not in _RAW_ENTITY or index in self.broken:
                continue
            column = check.kwargs["column"]
            share = float(check.kwargs.get("min_share", 0.5))
            known = self.profiled.of(column, share) if self.profiled is not None else None
            if known is not None:
                done[column, share] = known
            if (column, share) not in done:
                done[column, share] = column_entities_chunks((c[column] for c in source([column])), share)
            self.entities[index] = done[column, share]

    def metrics(self, index: int, check: Check, map_metric: str | None) -> dict[str, Any]:
        """GX's metrics (by name) for a check that is not row-wise, from the aggregates."""
        rows, kwargs = self.rows, check.kwargs
        kind = check.expectation
        if index in self.classes:
            classes = self.classes[index]
            metrics: dict[str, Any] = {"table.row_count": rows,
                                       f"{map_metric}.unexpected_count": classes.unexpected_count,
                                       f"{map_metric}.unexpected_values": [],
                                       f"{map_metric}.unexpected_index_list": self.positions.get(index, [])}
            if kind in _MULTICOLUMN:
                metrics[f"{map_metric}.filtered_row_count"] = classes.filtered
            else:
                metrics["column_values.nonnull.unexpected_count"] = rows - self.non_null[kwargs["column"]]
            return metrics
        if kind == "expect_table_columns_to_match_set":
            return {"table.columns": list(self.columns or [])}
        if kind == "expect_column_to_have_published_type":
            return {"column.kaifang_published_type": self.types[kwargs["column"]]}
        if kind == "expect_column_proportion_of_non_null_values_to_be_between":
            from great_expectations.expectations.metrics.column_aggregate_metrics.column_proportion_of_non_null_values import (  # noqa: E501
                nonnull_proportion,
            )

            return {"column.non_null_proportion": nonnull_proportion(
                {"table.row_count": rows, "column.non_null_count": self.non_null[kwargs["column"]]})}
        if kind == "expect_column_mean_to_be_between":
            count = self.counts.get(kwargs["column"], 0)
            return {"column.mean": self.sums[kwargs["column"]] / count if count else None}
        metrics = {"table.row_count": rows}
        if index in self.entities:
            metrics["column.kaifang_raw_entities"] = self.entities[index]
        return metrics


def merged_row_wise(bodies: Sequence[tuple[int, Mapping[str, Any]]], check: Check, map_metric: str) -> dict:
    """GX's metrics of the whole table for a row-wise check, from its per-chunk results (offset, body)."""
    total = sum(int(b.get("element_count") or 0) for _, b in bodies)
    missing = sum(int(b.get("missing_count") or 0) for _, b in bodies)
    positions: list[int] = []
    for offset, body in bodies:
        positions += [int(p) + offset for p in body.get("partial_unexpected_index_list") or []]
    metrics = {"table.row_count": total,
               f"{map_metric}.unexpected_count": sum(int(b.get("unexpected_count") or 0) for _, b in bodies),
               f"{map_metric}.unexpected_values": [],
               f"{map_metric}.unexpected_index_list": positions[:PARTIAL]}
    if check.expectation in _MULTICOLUMN:
        metrics[f"{map_metric}.filtered_row_count"] = total - missing
    else:  # (expect_column_values_to_not_be_null's own map metric is this one: keep its count)
        metrics.setdefault("column_values.nonnull.unexpected_count", missing)
    return metrics
