"""Uniqueness that does not depend on the declared quasi-identifiers, and in the population.

An attacker links on whatever columns a release publishes, not on those a steward declared. The
sample-uniqueness attack (in the spirit of SUDA's minimal sample uniques, Elliot et al. 2002)
counts the records that are the only one with their values on some combination of at most
``max_size`` published columns: such a record is singled out by anyone who knows those few facts
about a person. It runs in passes over chunks: class keys per combination, in groups of combinations
that fit a memory budget, then a flag per record; memory is bounded by the budget (and a byte per
record), not by the number of combinations times the rows.

Population uniqueness (the journalist scenario) uses Zayatz's estimator (Zayatz 1991, as compared
by Dankar et al. 2012): the share of sample uniques that are also unique in the population,
from the table's class-size frequencies and the sampling fraction. With a sampling fraction of 1
(the table is the whole population, the conservative default) it equals the sample uniques.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from anonymizers.classes import ClassCounter, row_keys

MIX = np.uint64(0x9E3779B97F4A7C15)
MAX_COMBINATIONS = 20_000  # beyond this the check says "not fully assessed" and fails
KEY_BUDGET = 16_000_000  # class keys held at once by the attack (8 bytes each, plus a sort's scratch)


@dataclass(frozen=True)
class Uniqueness:
    columns: tuple[str, ...]
    max_size: int
    records: int
    unique_records: int
    smallest_combination: tuple[str, ...] | None  # a smallest combination that singles someone out
    combinations_checked: int
    complete: bool = True  # every combination up to max_size was tried

    @property
    def share(self) -> float:
        return self.unique_records / self.records if self.records else 0.0


def _combinations(columns: Sequence[str], max_size: int) -> tuple[list[tuple[int, ...]], bool]:
    found: list[tuple[int, ...]] = []
    for size in range(1, min(max_size, len(columns)) + 1):
        for combo in combinations(range(len(columns)), size):
            if len(found) >= MAX_COMBINATIONS:
                return found, False
            found.append(combo)
    return found, True


def _combo_keys(hashes: dict[int, np.ndarray], combo: tuple[int, ...]) -> np.ndarray:
    key = hashes[combo[0]].copy()
    with np.errstate(over="ignore"):
        for j in combo[1:]:
            key = (key * MIX) ^ hashes[j]
    return key


def _unique_keys(parts: list[np.ndarray]) -> np.ndarray:
    """Sorted keys that occur exactly once among all ``parts`` (one sort in place, however many chunks;
    ``parts`` is emptied): a key is unique when it differs from both its neighbours in sorted order.
    No class sizes are needed, so no stable argsort, gather and sum as a ClassCounter does them."""
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    keys = np.concatenate(parts)
    parts.clear()
    keys.sort()
    if len(keys) < 2:
        return keys
    differs = keys[1:] != keys[:-1]
    return keys[np.r_[True, differs] & np.r_[differs, True]]


def _member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    if not len(table):
        return np.zeros(len(keys), dtype=bool)
    where = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[where] == keys


def sample_uniqueness(chunks: Callable[..., Iterator[pd.DataFrame]], columns: Sequence[str],
                      max_size: int = 3, budget: int = KEY_BUDGET) -> Uniqueness:
    """Records unique on some combination of at most ``max_size`` of ``columns``.

    ``chunks`` is called with a list of columns, once per pass over the published table. The
    combinations are taken in groups whose class keys fit ``budget`` (the keys of every record for
    every combination of a group are held at once); each pass counts one group and flags the
    records unique in the previous one, keeping only its unique keys. Memory follows ``budget`` and
    the records (one flag byte each), whatever the number of combinations; the passes grow instead.
    """
    columns = list(columns)
    combos, complete = _combinations(columns, max_size)
    if not complete:
        return Uniqueness(columns=tuple(columns), max_size=max_size, records=0, unique_records=0,
                          smallest_combination=None, combinations_checked=len(combos), complete=False)
    flag = np.zeros(0, dtype=bool)
    records = 0
    smallest: tuple[int, ...] | None = None
    pending: list[tuple[tuple[int, ...], np.ndarray]] = []  # (combination, its unique keys) to flag
    size, start, first = 1, 0, True
    while first or pending or start < len(combos):
        counting = combos[start:start + size]
        start += len(counting)
        used = sorted({j for combo in [*counting, *(c for c, _ in pending)] for j in combo})
        parts: list[list[np.ndarray]] = [[] for _ in counting]
        offset = 0
        for chunk in chunks([columns[j] for j in used]) if used else chunks():
            hashes = {j: row_keys(chunk, [columns[j]]) for j in used}
            for i, combo in enumerate(counting):
                parts[i].append(_combo_keys(hashes, combo))
            for combo, unique in pending:
                flag[offset:offset + len(chunk)] |= _member(_combo_keys(hashes, combo), unique)
            offset += len(chunk)
        if first:  # the first pass counts the records (and one combination, to size the groups)
            records, first = offset, False
            flag = np.zeros(records, dtype=bool)
            size = max(1, budget // max(records, 1))
        pending = []
        for combo, keys in zip(counting, parts, strict=True):
            unique = _unique_keys(keys)
            if len(unique):
                pending.append((combo, unique))
                if smallest is None or len(combo) < len(smallest):
                    smallest = combo
    return Uniqueness(
        columns=tuple(columns), max_size=max_size, records=records, unique_records=int(flag.sum()),
        smallest_combination=tuple(columns[j] for j in smallest) if smallest else None,
        combinations_checked=len(combos),
    )


@dataclass(frozen=True)
class PopulationUniqueness:
    model: str
    sampling_fraction: float
    sample_uniques: int
    population_uniques: float
    records: int

    @property
    def share(self) -> float:
        return self.population_uniques / self.records if self.records else 0.0


def _sampled_once(size: int, population: int, draws: int) -> float:
    """P(a population class of `size` records contributes exactly one record to a sample of `draws`): the
    hypergeometric pmf at 1, scipy.stats.hypergeom.pmf(1, population, size, draws), written out because
    importing scipy.stats cost 0.6 CPU-s of every release. As a product it is exact to rounding:
    size·draws/population · Π_{j=1}^{size-1} (1 - (draws-1)/(population-j))."""
    if size < 1 or draws < 1 or size - 1 > population - draws:
        return 0.0
    log_rest = float(np.log1p(-(draws - 1) / (population - np.arange(1, size, dtype=np.float64))).sum())
    return size * draws / population * math.exp(log_rest)


def zayatz(frequencies: dict[int, int], sampling_fraction: float) -> PopulationUniqueness:
    """Estimated population uniques from class-size frequencies (size -> number of classes)."""
    n = sum(size * count for size, count in frequencies.items())
    uniques = frequencies.get(1, 0)
    if n == 0 or uniques == 0:
        return PopulationUniqueness("zayatz", sampling_fraction, uniques, 0.0, n)
    if sampling_fraction >= 1:
        return PopulationUniqueness("zayatz", 1.0, uniques, float(uniques), n)
    population = max(int(round(n / sampling_fraction)), n)
    classes = sum(frequencies.values())
    # P(a population class of size i contributes exactly one record to the sample), hypergeometric.
    weights = {size: count / classes * _sampled_once(size, population, n) for size, count in frequencies.items()}
    total = sum(weights.values())
    share = weights.get(1, 0.0) / total if total else 0.0
    return PopulationUniqueness("zayatz", sampling_fraction, uniques, float(uniques * share), n)


def frequencies_of(chunks: Iterable[pd.DataFrame], columns: Sequence[str]) -> dict[int, int]:
    counter = ClassCounter(columns)
    for chunk in chunks:
        counter.add(chunk)
    return counter.frequencies()
