"""Equivalence classes: the one definition of "records that share their values on some columns".

k-anonymity, suppression, risk, the guard's uniqueness attack and the quality gate all count
classes through this module, so they agree on what a class is:

- values are compared as text (``"1"`` from a CSV and ``1`` from a database are one value);
- a missing cell is a value of its own (a missing district still narrows down who a record is),
  and all kinds of missing (``None``, ``NaN``, ``pd.NA``) are the same value;
- the class of a row does not depend on which chunk it came in: :func:`row_keys` hashes the
  values themselves, so counts summed chunk by chunk (:class:`ClassCounter`) equal the count
  over the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from pandas.core.util.hashing import combine_hash_arrays  # how hash_pandas_object combines a row's columns

NULL_TOKEN = "\x00<null>"


def _as_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame[list(columns)].astype("string").fillna(NULL_TOKEN)


def class_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A dense class number per row (0 … classes - 1), in order of first appearance."""
    if not len(columns):
        return np.zeros(len(frame), dtype=np.int64)
    text = _as_text(frame, columns)
    key = np.zeros(len(frame), dtype=np.int64)
    for name in text.columns:
        codes, uniques = pd.factorize(text[name])
        key = key * max(len(uniques), 1) + codes
        key = pd.factorize(key)[0].astype(np.int64)  # stays dense, so the product cannot overflow
    return key


def class_sizes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """For each row, how many rows of ``frame`` share its values on ``columns``."""
    codes = class_codes(frame, columns)
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    return np.bincount(codes)[codes]


def row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A 64-bit key per row from its values on ``columns``, the same in every chunk.

    Distinct value combinations collide with probability about n² / 2⁶⁵ (1e-8 for a million rows).
    The keys are ``hash_pandas_object``'s; a column whose values repeat (quasi-identifiers: a few
    values over many rows) has each distinct value hashed once, any other column cell by cell.
    """
    if not len(columns):
        return np.zeros(len(frame), dtype=np.uint64)
    text = _as_text(frame, columns)
    by_position = (text.iloc[:, i] for i in range(len(text.columns)))  # names may repeat
    hashes = (pd.util.hash_array(values.array, categorize=_repeats(values)) for values in by_position)
    return combine_hash_arrays(hashes, len(text.columns)).astype(np.uint64, copy=False)


def _repeats(values: pd.Series) -> bool:
    """Whether a column's first values repeat at all: finding the distinct values before hashing them
    saves most of the hashing when a few values fill many rows (quasi-identifiers), and costs five
    times the hashing on a column of distinct values (an ID, a pseudonym). Only the speed depends on
    the answer: both ways give every value the same hash."""
    head = values.iloc[:_REPEAT_SAMPLE]
    return head.nunique(dropna=False) < _DISTINCT_SHARE * len(head)


_REPEAT_SAMPLE = 2_000
_DISTINCT_SHARE = 0.99


class ClassCounter:
    """Class sizes accumulated chunk by chunk; memory grows with the number of classes, not rows.

    With ``keep_values`` the counter also keeps one row of values per class (as the chunk held them)
    and the position of the class's first record: the lattice search and the model checks need the
    values of each class, not only its size, and with the first positions the classes can be put
    back in order of first appearance, the order a whole-table pass would have met them in.
    """

    def __init__(self, columns: Sequence[str], keep_values: bool = False) -> None:
        self.columns = list(columns)
        self.keys = np.zeros(0, dtype=np.uint64)
        self.counts = np.zeros(0, dtype=np.int64)
        self.records = 0
        self.keep_values = keep_values
        self.first = np.zeros(0, dtype=np.int64)  # position of each class's first record
        # Value rows of the chunks, kept whole and gathered only when the pool doubles the classes:
        # each class points at its row in the pool (``where``), so a chunk costs its own size.
        self._pool: list[pd.DataFrame] = []
        self._pooled = 0
        self._where = np.zeros(0, dtype=np.int64)

    def add(self, chunk: pd.DataFrame) -> None:
        keys = row_keys(chunk, self.columns)
        if not self.keep_values:
            self.add_keys(keys)
            return
        if not len(keys):
            if not self._pool:
                self._pool.append(chunk[self.columns].iloc[:0].reset_index(drop=True))
            return
        distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
        values = chunk[self.columns].iloc[first].reset_index(drop=True)
        self._merge(distinct, counts.astype(np.int64), first.astype(np.int64) + self.records, values)
        self.records += len(keys)
        if self._pooled > 2 * len(self.keys) + 4096:
            self._compact()

    def add_keys(self, keys: np.ndarray) -> None:
        if self.keep_values:
            raise ValueError("a counter that keeps values is fed whole chunks (add), not keys")
        self.records += len(keys)
        if not len(keys):
            return
        self._merge(keys, np.ones(len(keys), dtype=np.int64))

    def _merge(self, keys: np.ndarray, weights: np.ndarray, first: np.ndarray | None = None,
               values: pd.DataFrame | None = None) -> None:
        """Fold one chunk's keys into the sorted table: the chunk is sorted on its own and merged by
        binary search, so a chunk costs its own sort plus one copy of the table, not a sort of the
        table (re-sorting it at every chunk made a pass over a column of distinct values quadratic in
        the chunks). A class already counted keeps its value row; a new class takes its first row
        in the chunk."""
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        distinct, added = ordered[starts], np.add.reduceat(weights[order], starts)
        where = np.searchsorted(self.keys, distinct)
        known = where < len(self.keys)
        known[known] = self.keys[where[known]] == distinct[known]
        self.counts[where[known]] += added[known]
        fresh, at = ~known, where[~known]
        self.keys = np.insert(self.keys, at, distinct[fresh])
        self.counts = np.insert(self.counts, at, added[fresh])
        if values is not None and first is not None:
            earliest = np.minimum.reduceat(first[order], starts)
            self.first[where[known]] = np.minimum(self.first[where[known]], earliest[known])
            self.first = np.insert(self.first, at, earliest[fresh])
            rows = np.arange(self._pooled, self._pooled + len(values), dtype=np.int64)[order[starts]]
            self._where = np.insert(self._where, at, rows[fresh])
            self._pool.append(values)
            self._pooled += len(values)

    def _compact(self) -> pd.DataFrame:
        """The pool cut down to one value row per class, in key order."""
        pool = self._pool[0] if len(self._pool) == 1 else pd.concat(self._pool, ignore_index=True)
        values = pool.iloc[self._where].reset_index(drop=True)
        self._pool, self._pooled = [values], len(values)
        self._where = np.arange(len(values), dtype=np.int64)
        return values

    def in_order(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """(values, counts, keys) of every class in order of first appearance (``keep_values`` only)."""
        if not self.keep_values:
            raise ValueError("the counter was not asked to keep values")
        values = self._compact() if self._pool else pd.DataFrame(columns=self.columns)
        order = np.argsort(self.first, kind="stable")
        return values.iloc[order].reset_index(drop=True), self.counts[order], self.keys[order]

    def sizes_of(self, keys: np.ndarray) -> np.ndarray:
        """The class size of each key (0 for a key never counted)."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        where = np.searchsorted(self.keys, keys)
        where = np.minimum(where, len(self.keys) - 1)
        found = self.keys[where] == keys
        return np.where(found, self.counts[where], 0)

    @property
    def classes(self) -> int:
        return len(self.keys)

    @property
    def smallest(self) -> int:
        return int(self.counts.min()) if len(self.counts) else 0

    def small_keys(self, k: int) -> np.ndarray:
        """Keys of the classes with fewer than ``k`` records."""
        return self.keys[self.counts < k]

    def frequencies(self) -> dict[int, int]:
        """Class size → number of classes of that size (the input of population-uniqueness models)."""
        sizes, number = np.unique(self.counts, return_counts=True)
        return {int(s): int(c) for s, c in zip(sizes, number, strict=True)}


def count_classes(chunks: Iterable[pd.DataFrame], columns: Sequence[str],
                  keep_values: bool = False) -> ClassCounter:
    """One pass over ``chunks``: the classes on ``columns`` with their sizes (and values, if asked)."""
    counter = ClassCounter(columns, keep_values)
    for chunk in chunks:
        counter.add(chunk)
    return counter


def drop_classes(chunk: pd.DataFrame, columns: Sequence[str], doomed: np.ndarray) -> pd.DataFrame:
    """The chunk without the rows whose class key is in ``doomed`` (from :meth:`ClassCounter.small_keys`)."""
    if not len(doomed) or not len(columns):
        return chunk
    keep = ~np.isin(row_keys(chunk, columns), doomed)
    return chunk[keep]
