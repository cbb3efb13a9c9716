"""Differentially private aggregate tables on OpenDP: exact cells accumulated chunk by chunk, then noise.

A query is a set of dimensions (each with a public key list, or none when DP key selection is on) and
measures (a count, clamped sums and means). The exact per-cell counts and clamped sums are summed over
chunks (`accumulate`), so memory is bounded by the number of cells; `release` then adds noise to every
cell of the key grid, absent cells included, and returns the noisy table with its accounting.

Nothing here computes a noise scale, a privacy loss or an accuracy by hand. Each measure is an OpenDP
chain: a transformation whose stability map gives the measure's sensitivity for `contributions` rows
per person (`make_count_by_categories` for counts on a known key grid, `make_count_by` for key
selection, `make_sum` over the clamped domain for sums), followed by OpenDP's noise measurement
(`make_laplace` on integers: the discrete Laplace, pure ε-DP; `make_gaussian` on integers: the discrete
Gaussian, ρ-zCDP; `make_laplace_threshold` for key selection, (ε, δ)-DP). The scale is OpenDP's
`binary_search_param` on the chain's privacy map, the loss is that map, and the 95 % accuracy of a cell is
OpenDP's `discrete_laplacian_scale_to_accuracy` / `discrete_gaussian_scale_to_accuracy`.

Why the noise is applied to accumulated vectors: a chain `T >> M` releases `M(T(data))`; `accumulate`
computes `T(data)` chunk by chunk (the tests check it equals OpenDP's own `T` on the whole column), and
the noise measurement `M` is invoked on it. For sums, the cells partition the rows, so the L1 (and L2)
change of the per-cell sum vector when one person's rows change is at most the change of their total,
which is what `make_sum`'s stability map reports; this file states that argument once, here.

The measures of one release compose: the release's loss is the sum of theirs (basic composition for ε and
δ, additivity of ρ). Means are post-processing of a noisy sum and a noisy count, with a 95 % interval from
the two measures' OpenDP accuracies at 97.5 % each (union bound). Pure functions, no Prefect.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

ALPHA = 0.05  # accuracy is reported at 95 %
Part = Literal["value", "year", "month"]
MeasureKind = Literal["count", "sum", "mean"]
KEY_SEPARATOR = "\x1f"


class DPError(ValueError):
    """A query OpenDP cannot serve as asked (one line, names no value)."""


def _opendp():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def opendp_version() -> str:
    from importlib.metadata import version

    return version("opendp")


@dataclass(frozen=True)
class Dimension:
    """One axis of the table. `keys` is the public key list (None: keys come from DP key selection);
    `aliases` maps other spellings in the data (a GB/T 2260 code for its name) to a key; `part` takes
    the year (YYYY) or month (YYYY-MM) of a date column."""

    column: str
    keys: tuple[str, ...] | None
    label: str
    part: Part = "value"
    aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    kind: MeasureKind
    name: str
    column: str | None = None
    lower: int = 0
    upper: int = 0

    @property
    def bound(self) -> int:
        """The most one row can move this measure's sum: the sensitivity per contribution."""
        return max(abs(self.lower), abs(self.upper))


@dataclass(frozen=True)
class Budget:
    """The release's privacy loss: `epsilon` (pure DP) or `rho` (zCDP); `delta` for key selection."""

    epsilon: float | None = None
    rho: float | None = None
    delta: float | None = None

    @property
    def zcdp(self) -> bool:
        return self.rho is not None


@dataclass(frozen=True)
class Query:
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    budget: Budget
    contributions: int = 1
    threshold: int | None = None  # DP key selection: publish only keys whose noisy count reaches it
    person: str | None = None  # column naming the person: rows beyond `contributions` per person are dropped

    @property
    def sum_columns(self) -> tuple[str, ...]:
        """Columns whose clamped sum is needed (a sum or a mean), each once, in order."""
        return tuple(dict.fromkeys(m.column for m in self.measures if m.kind != "count" and m.column))

    def clamp(self, column: str) -> tuple[int, int]:
        measure = next(m for m in self.measures if m.column == column and m.kind != "count")
        return measure.lower, measure.upper

    @property
    def grid(self) -> list[tuple[str, ...]] | None:
        """Every cell of the public key grid, or None when key selection decides the keys."""
        if self.threshold is not None or any(d.keys is None for d in self.dimensions):
            return None
        return list(itertools.product(*(d.keys or () for d in self.dimensions)))


# ----- exact accumulation over chunks -------------------------------------------------------------


def _dimension_keys(values: pd.Series, dimension: Dimension) -> pd.Series:
    """The key of each row on one dimension, NA when the row's value is outside the key list."""
    text = values.astype("string").str.strip()
    if dimension.part == "year":
        text = text.str.extract(r"^((?:1[89]|20)\d{2})", expand=False).astype("string")
    elif dimension.part == "month":
        found = text.str.extract(r"^((?:1[89]|20)\d{2})[-/.年]?(0[1-9]|1[0-2]|[1-9](?!\d))", expand=False)
        text = (found[0] + "-" + found[1].str.zfill(2)).astype("string")
    if dimension.aliases:
        text = text.map(lambda v: dimension.aliases.get(v, v) if isinstance(v, str) else v).astype("string")
    if dimension.keys is not None:
        text = text.where(text.isin(dimension.keys))
    return text


@dataclass
class ExactCells:
    """Exact per-cell counts and clamped sums (never published: `release` noises every cell)."""

    counts: dict[tuple[str, ...], int] = field(default_factory=dict)
    sums: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict)
    rows_dropped: int = 0  # outside the key lists, or beyond a person's contributions

    def add(self, other: ExactCells) -> None:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for column, cells in other.sums.items():
            target = self.sums.setdefault(column, {})
            for key, value in cells.items():
                target[key] = target.get(key, 0) + value
        self.rows_dropped += other.rows_dropped


def clamped_values(values: pd.Series, lower: int, upper: int) -> pd.Series:
    """A measure column as whole numbers within the steward's bounds; a missing or unreadable cell
    counts as the lower bound (so every row adds to the sum what the bounds allow, no more)."""
    numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
    return numbers.fillna(lower).clip(lower, upper).round().astype("int64")


def _limit_contributions(chunk: pd.DataFrame, query: Query, seen: dict[str, int]) -> pd.DataFrame:
    """Keep at most `contributions` rows per person across all chunks (OpenDP's bound must hold)."""
    if query.person is None:
        return chunk
    people = chunk[query.person].astype("string").fillna("")
    keep = np.zeros(len(chunk), dtype=bool)
    for position, person in enumerate(people):
        used = seen.get(person, 0)
        if used < query.contributions:
            seen[person] = used + 1
            keep[position] = True
    return chunk[keep]


def chunk_cells(chunk: pd.DataFrame, query: Query) -> ExactCells:
    """One chunk's exact cells: rows grouped by their keys, counted and their measures clamped and summed."""
    keys = pd.DataFrame({f"k{i}": _dimension_keys(chunk[d.column], d).to_numpy()
                         for i, d in enumerate(query.dimensions)}, index=chunk.index)
    inside = keys.notna().all(axis=1)
    frame = keys[inside].astype(str)
    for column in query.sum_columns:
        frame[f"s:{column}"] = clamped_values(chunk.loc[inside, column], *query.clamp(column))
    names = list(keys.columns)
    cells = ExactCells(rows_dropped=int((~inside).sum()))
    if frame.empty:
        return cells
    grouped = frame.groupby(names, sort=False)
    cells.counts = {_key(k): int(v) for k, v in grouped.size().items()}
    for column in query.sum_columns:
        cells.sums[column] = {_key(k): int(v) for k, v in grouped[f"s:{column}"].sum().items()}
    return cells


def _key(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple) else (str(value),)


def accumulate(chunks: Iterable[pd.DataFrame], query: Query) -> ExactCells:
    """Exact cells of the whole table, summed chunk by chunk (memory: one chunk plus the cells)."""
    total = ExactCells()
    seen: dict[str, int] = {}
    for chunk in chunks:
        before = len(chunk)
        chunk = _limit_contributions(chunk, query, seen)
        cells = chunk_cells(chunk, query)
        cells.rows_dropped += before - len(chunk)
        total.add(cells)
    return total


# ----- OpenDP mechanisms --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurePlan:
    """One noisy measure: OpenDP's mechanism, its scale, loss and 95 % accuracy per cell."""

    name: str
    kind: Literal["count", "sum"]
    column: str | None
    mechanism: str
    scale: float
    sensitivity: float
    epsilon: float | None
    rho: float | None
    delta: float | None
    accuracy: float  # half-width of the 95 % interval of one cell's noise
    accuracy_975: float  # the same at 97.5 %, for the union bound of a mean
    threshold: int | None = None  # key selection: the least noisy count a key needs to be published


def _space(dp, zcdp: bool):
    metric = dp.l2_distance(T="i64") if zcdp else dp.l1_distance(T="i64")
    return dp.vector_domain(dp.atom_domain(T="i64")), metric


def _count_stability(dp, cells: int, zcdp: bool):
    """OpenDP's count transformation over the key grid: its map is the count vector's sensitivity."""
    metric = dp.L2Distance["i64"] if zcdp else dp.L1Distance["i64"]
    categories = [str(i) for i in range(cells)]
    return dp.t.make_count_by_categories(dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance(),
                                         categories=categories, null_category=False, MO=metric, TOA="i64")


def _sum_stability(dp, lower: int, upper: int):
    return dp.t.make_sum(dp.vector_domain(dp.atom_domain(bounds=(lower, upper), T="i64")), dp.symmetric_distance())


def _search_scale(make, d_in: float, d_out: float) -> float:
    dp = _opendp()
    try:
        return float(dp.binary_search_param(make, d_in=d_in, d_out=d_out, T=float))
    except Exception as exc:  # OpenDP's messages name parameters, never data
        raise DPError(f"OpenDP found no noise scale for a loss of {d_out}: {type(exc).__name__}") from None


def _accuracy(dp, scale: float, zcdp: bool, alpha: float) -> float:
    if zcdp:
        return float(dp.discrete_gaussian_scale_to_accuracy(scale, alpha))
    return float(dp.discrete_laplacian_scale_to_accuracy(scale, alpha))


def split(query: Query) -> float:
    """Each noisy measure's share of the release's ε (or ρ): split evenly over count and sums."""
    total = query.budget.rho if query.budget.zcdp else query.budget.epsilon
    assert total is not None
    return total / (1 + len(query.sum_columns))


def plan_grid_measures(query: Query, cells: int) -> list[MeasurePlan]:
    """Mechanisms for a release over the public key grid: the count first, then one per summed column.

    Each measure's sensitivity is its OpenDP transformation's stability map at `contributions`; the
    noise measurement's scale is OpenDP's binary search on its privacy map for the measure's share.
    """
    dp = _opendp()
    zcdp = query.budget.zcdp
    share = split(query)
    domain, metric = _space(dp, zcdp)
    noise = dp.m.make_gaussian if zcdp else dp.m.make_laplace
    mechanism = "discrete Gaussian (OpenDP make_gaussian, zCDP)" if zcdp else "discrete Laplace (OpenDP make_laplace)"
    count_name = next((m.name for m in query.measures if m.kind == "count"), "count")
    stabilities: list[tuple[Literal["count", "sum"], str | None, Any]] = [
        ("count", None, _count_stability(dp, cells, zcdp))]
    stabilities += [("sum", c, _sum_stability(dp, *query.clamp(c))) for c in query.sum_columns]
    plans = []
    for kind, column, transformation in stabilities:
        sensitivity = int(transformation.map(query.contributions))
        scale = _search_scale(lambda s: noise(domain, metric, scale=s), sensitivity, share)
        loss = float(noise(domain, metric, scale=scale).map(sensitivity))
        plans.append(MeasurePlan(
            name=count_name if kind == "count" else column or "", kind=kind, column=column, mechanism=mechanism,
            scale=scale, sensitivity=float(sensitivity), epsilon=None if zcdp else loss,
            rho=loss if zcdp else None, delta=None, accuracy=_accuracy(dp, scale, zcdp, ALPHA),
            accuracy_975=_accuracy(dp, scale, zcdp, ALPHA / 2)))
    return plans


def noisy_vector(values: Sequence[int], plan: MeasurePlan, zcdp: bool) -> list[int]:
    """OpenDP's noise measurement of `plan` applied to an exact vector (one draw per cell)."""
    dp = _opendp()
    domain, metric = _space(dp, zcdp)
    noise = dp.m.make_gaussian if zcdp else dp.m.make_laplace
    measurement = noise(domain, metric, scale=plan.scale)
    return [int(v) for v in measurement([int(v) for v in values])]


# ----- key selection ------------------------------------------------------------------------------


def _count_by(dp):
    return dp.t.make_count_by(dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance(), TV="i64")


def plan_key_selection(query: Query) -> MeasurePlan:
    """The thresholded count over keys found in the data: OpenDP's `make_laplace_threshold`, (ε, δ)-DP.

    OpenDP's map gives (ε, δ) for a scale and the threshold; the scale is the smallest whose ε fits
    the count's share, and a δ above the budget's is refused (the steward raises the threshold).
    """
    dp = _opendp()
    if query.budget.zcdp or query.budget.delta is None or query.threshold is None:
        raise DPError("key selection needs an epsilon budget with a delta and a threshold")
    counter = _count_by(dp)
    d_in, share, threshold = query.contributions, split(query), query.threshold

    def make(scale: float) -> Any:
        return counter >> dp.m.then_laplace_threshold(scale=scale, threshold=threshold)

    try:
        scale = float(dp.binary_search(lambda s: make(s).map(d_in)[0] <= share, bounds=(1e-6, 1e7), T=float))
        epsilon, spent_delta = make(scale).map(d_in)
    except Exception as exc:  # OpenDP's messages name parameters, never data
        raise DPError(f"OpenDP found no key-selection scale for ε {share:g}: {type(exc).__name__}") from None
    if spent_delta > query.budget.delta:
        raise DPError(f"key_selection.threshold {threshold} costs δ {spent_delta:.3g}, above the budget's delta "
                      f"{query.budget.delta:g}: raise the threshold")
    return MeasurePlan(
        name=next((m.name for m in query.measures if m.kind == "count"), "count"), kind="count", column=None,
        mechanism="Laplace threshold key selection (OpenDP make_laplace_threshold)", scale=scale,
        sensitivity=float(d_in), epsilon=float(epsilon), rho=None, delta=float(spent_delta),
        accuracy=float(dp.laplacian_scale_to_accuracy(scale, ALPHA)),
        accuracy_975=float(dp.laplacian_scale_to_accuracy(scale, ALPHA / 2)), threshold=threshold)


def select_keys(counts: Mapping[tuple[str, ...], int], plan: MeasurePlan) -> dict[tuple[str, ...], float]:
    """OpenDP's thresholded noisy counts: only keys whose noisy count reaches the threshold come out."""
    dp = _opendp()
    counter = _count_by(dp)
    measurement = dp.m.make_laplace_threshold(counter.output_domain, counter.output_metric, scale=plan.scale,
                                              threshold=plan.threshold)
    released = measurement({KEY_SEPARATOR.join(k): int(v) for k, v in counts.items()})
    return {tuple(k.split(KEY_SEPARATOR)): v for k, v in released.items()}


# ----- the release --------------------------------------------------------------------------------


@dataclass
class NoisyTable:
    """The published table (every cell noised) and the figures the decision and the record need."""

    frame: pd.DataFrame
    plans: list[MeasurePlan]
    epsilon: float | None
    rho: float | None
    delta: float | None
    cells: int
    noised_cells: dict[str, int]  # measure name -> cells that got OpenDP noise
    keys_from: Literal["code_lists", "key_selection"]
    grid_cells: int | None  # size of the public key grid (None under key selection)
    accuracy_columns: dict[str, str] = field(default_factory=dict)  # value column -> its 95 % column


def accuracy_label(name: str) -> str:
    return f"{name}_95%误差"


def release(exact: ExactCells, query: Query) -> NoisyTable:
    """Noise every cell of the key grid (or the keys OpenDP's threshold selects) and build the table."""
    grid = query.grid
    zcdp = query.budget.zcdp
    if grid is not None:
        sum_plans = plan_grid_measures(query, len(grid))
        count_plan = sum_plans.pop(0)
        keys = grid
        counts = noisy_vector([exact.counts.get(k, 0) for k in keys], count_plan, zcdp)
    else:
        count_plan = plan_key_selection(query)
        sum_plans = plan_grid_measures(query, 1)[1:]
        selected = select_keys(exact.counts, count_plan)
        keys = sorted(selected)
        counts = [selected[k] for k in keys]
    sums = {plan.column: noisy_vector([exact.sums.get(plan.column, {}).get(k, 0) for k in keys], plan, zcdp)
            for plan in sum_plans if plan.column}
    frame, accuracy_columns = _table(query, keys, counts, sums, count_plan, {p.column: p for p in sum_plans})
    plans = [count_plan, *sum_plans]
    noised = {plan.name: len(keys) for plan in plans}
    return NoisyTable(
        frame=frame, plans=plans, cells=len(keys), noised_cells=noised, grid_cells=len(grid) if grid else None,
        keys_from="code_lists" if grid is not None else "key_selection",
        epsilon=None if zcdp else math.fsum(p.epsilon or 0.0 for p in plans),
        rho=math.fsum(p.rho or 0.0 for p in plans) if zcdp else None,
        delta=math.fsum(p.delta or 0.0 for p in plans) or None, accuracy_columns=accuracy_columns)


def _table(query: Query, keys: list[tuple[str, ...]], counts: Sequence[float], sums: Mapping[str, Sequence[int]],
           count_plan: MeasurePlan, sum_plans: Mapping[str | None, MeasurePlan]) -> tuple[pd.DataFrame, dict]:
    """Dimension columns, then each measure with its 95 % accuracy (means: per cell, union bound)."""
    columns: dict[str, Any] = {d.label: [k[i] for k in keys] for i, d in enumerate(query.dimensions)}
    accuracy: dict[str, str] = {}
    count_values = np.asarray(counts, dtype="float64")
    for measure in query.measures:
        label = accuracy_label(measure.name)
        if measure.kind == "count":
            columns[measure.name] = pd.array([round(v) for v in counts], dtype="Int64")
            columns[label] = [round(count_plan.accuracy, 2)] * len(keys)
        elif measure.kind == "sum":
            plan = sum_plans[measure.column]
            columns[measure.name] = pd.array(list(sums[measure.column or ""]), dtype="Int64")
            columns[label] = [round(plan.accuracy, 2)] * len(keys)
        else:
            plan = sum_plans[measure.column]
            means, widths = noisy_means(np.asarray(sums[measure.column or ""], dtype="float64"), count_values,
                                        measure, plan.accuracy_975, count_plan.accuracy_975)
            columns[measure.name] = pd.array(means, dtype="Float64")
            columns[label] = pd.array(widths, dtype="Float64")
        accuracy[measure.name] = label
    return pd.DataFrame(columns), accuracy


def noisy_means(sums: np.ndarray, counts: np.ndarray, measure: Measure, sum_accuracy: float,
                count_accuracy: float) -> tuple[list[float | None], list[float | None]]:
    """Mean = noisy sum / noisy count, clamped to the bounds (post-processing, no further loss).

    The 95 % interval: with probability ≥ 95 % both the sum and the count are within their 97.5 %
    accuracies, so the mean lies in [(S - a_s) / (N + a_n), (S + a_s) / (N - a_n)], clamped to the
    bounds (the upper end is the upper bound when N - a_n ≤ 0); the published half-width is the larger
    side. A cell whose noisy count is below 1 gets no mean.
    """
    means: list[float | None] = []
    widths: list[float | None] = []
    for total, count in zip(sums, counts, strict=True):
        if count < 1:
            means.append(None)
            widths.append(None)
            continue
        mean = min(max(total / count, measure.lower), measure.upper)
        low = max(measure.lower, (total - sum_accuracy) / (count + count_accuracy))
        room = count - count_accuracy
        high = measure.upper if room <= 0 else min(measure.upper, (total + sum_accuracy) / room)
        means.append(round(mean, 2))
        widths.append(round(max(mean - low, high - mean, 0.0), 2))
    return means, widths


def approx_dp(table: NoisyTable, budget: Budget) -> tuple[float, float]:
    """The (ε, δ) the ledger counts for a release: its own under pure or approximate DP; for zCDP, OpenDP's
    conversion (`make_zCDP_to_approxDP`, `make_fix_delta`) of its ρ at the budget's δ."""
    if table.rho is None:
        return float(table.epsilon or 0.0), float(table.delta or 0.0)
    dp = _opendp()
    space = dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float)
    # A Gaussian mechanism with sensitivity 1 and this scale has exactly the table's ρ (OpenDP's map).
    scale = _search_scale(lambda s: dp.m.make_gaussian(*space, scale=s), 1.0, table.rho)
    fixed = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(dp.m.make_gaussian(*space, scale=scale)), budget.delta)
    epsilon, delta = fixed.map(1.0)
    return float(epsilon), float(delta)
