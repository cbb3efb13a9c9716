"""Uniqueness that does not depend on the declared quasi-identifiers, and in the population.

An attacker links on whatever columns a release publishes, not on those a steward declared. The
sample-uniqueness attack (in the spirit of SUDA's minimal sample uniques, Elliot et al. 2002)
counts the records that are the only one with their values on some combination of at most
``max_size`` published columns: such a record is singled out by anyone who knows those few facts
about a person. It runs in two passes over chunks: class counts per combination, then a flag per
record; memory grows with the number of classes, not rows.

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


def _column_hashes(chunk: pd.DataFrame, columns: Sequence[str]) -> list[np.ndarray]:
    return [row_keys(chunk, [name]) for name in columns]


def _combo_keys(hashes: list[np.ndarray], combo: tuple[int, ...]) -> np.ndarray:
    key = hashes[combo[0]].copy()
    with np.errstate(over="ignore"):
        for j in combo[1:]:
            key = (key * MIX) ^ hashes[j]
    return key


def sample_uniqueness(chunks: Callable[[], Iterator[pd.DataFrame]], columns: Sequence[str],
                      max_size: int = 3) -> Uniqueness:
    """Records unique on some combination of at most ``max_size`` of ``columns``.

    ``chunks`` is called twice (two passes over the published table).
    """
    columns = list(columns)
    combos, complete = _combinations(columns, max_size)
    if not complete:
        return Uniqueness(columns=tuple(columns), max_size=max_size, records=0, unique_records=0,
                          smallest_combination=None, combinations_checked=len(combos), complete=False)
    counters = [ClassCounter([]) for _ in combos]
    records = 0
    for chunk in chunks():
        hashes = _column_hashes(chunk, columns)
        records += len(chunk)
        for counter, combo in zip(counters, combos, strict=True):
            counter.add_keys(_combo_keys(hashes, combo))
    unique = 0
    smallest: tuple[int, ...] | None = None
    risky = [i for i, c in enumerate(counters) if c.smallest == 1]
    if risky:
        smallest = min((combos[i] for i in risky), key=len)
        for chunk in chunks():
            hashes = _column_hashes(chunk, columns)
            flag = np.zeros(len(chunk), dtype=bool)
            for i in risky:
                flag |= counters[i].sizes_of(_combo_keys(hashes, combos[i])) == 1
            unique += int(flag.sum())
    return Uniqueness(
        columns=tuple(columns), max_size=max_size, records=records, unique_records=unique,
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
