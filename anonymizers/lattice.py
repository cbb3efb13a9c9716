"""Optimal full-domain generalization: search the lattice of generalization levels.

A node is one level per quasi-identifier; the lattice is the product of the hierarchy heights (12,960
nodes for ARX's Adult hierarchies). A node is *anonymous* when the records in classes violating the
privacy model are at most ``suppression_limit * n`` (ARX semantics); the result is the anonymous node
with the lowest metric value (ties: fewest generalization steps, then smallest levels).

Usage::

    import pandas as pd
    from anonymizers.hierarchy import load_hierarchies
    from anonymizers.lattice import apply_transformation, search
    from anonymizers.privacy_models import PrivacyModelConfig

    df = pd.read_csv("adult.csv", sep=";")
    qi = ["sex", "age", "race"]
    result = search(df, qi, load_hierarchies("hierarchies/", qi), PrivacyModelConfig(k=5),
                    suppression_limit=0.02, metric="entropy")
    print(result.levels, result.value, result.suppressed, result.nodes_checked)
    released = apply_transformation(df, result)  # suppressed rows dropped, QIs generalized

A table too big to hold is searched from its classes, counted chunk by chunk, and released chunk by
chunk (peak memory follows the number of classes and the chunk size, not the rows)::

    from anonymizers.classes import count_classes
    from anonymizers.lattice import apply_chunk

    counter = count_classes(chunks(), qi, keep_values=True)  # qi + [sensitive] for l / t
    result = search(counter, qi, hierarchies, PrivacyModelConfig(k=5), 0.02)
    released = (apply_chunk(chunk, result) for chunk in chunks())

How it stays fast and exact (in the spirit of ARX's Flash):

* Every QI is encoded once as integer codes with per-level lookup arrays. The classes of the bottom
  node are computed once, from the rows or from distinct value tuples weighted by their counts (the
  same classes: a class's size is the sum of its tuples' counts); every other node's classes are
  *rolled up* from the cached class table of a checked, more specific node with the fewest classes
  (mapping codes up the hierarchy and regrouping combined integer keys with ``bincount`` or
  ``np.unique``).
* Nodes are visited best-first by a lower bound of the metric that depends on the levels only (the
  value with nothing suppressed; for discernibility, the sum of squared class sizes of a checked
  predecessor). The search stops once the smallest remaining bound exceeds the best value found, so
  with suppression every anonymous node that could still win is evaluated exactly.
* Anonymity of a node is settled by binary search along an ascending path through it, with predictive
  tagging: an anonymous node makes all its generalizations anonymous, a non-anonymous one makes all
  its specializations non-anonymous. That is only sound when anonymity is monotone: always for
  k-anonymity and distinct l-diversity, and for entropy l-diversity and t-closeness only when nothing
  may be suppressed. Otherwise the tags use the merge-preserving necessary condition (class size and
  distinct sensitive values), and each candidate is checked itself.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from anonymizers.classes import ClassCounter, drop_classes, row_keys
from anonymizers.hierarchy import EncodedColumn, Hierarchy, encode_columns
from anonymizers.metrics import Metric
from anonymizers.privacy_models import (
    PrivacyModelConfig,
    SensitiveColumn,
    SensitiveCounts,
    allowed_suppression,
    group_sensitive,
    violations,
)

MAX_NODES = 2_000_000
CACHE_BUDGET = 3_000_000  # class rows kept for roll-ups, beside the bottom table
_DENSE_SLACK = 1 << 16


class NoSolutionError(ValueError):
    """No node satisfies the privacy model within the suppression limit."""


class LatticeTooLargeError(ValueError):
    """The product of the hierarchy heights is beyond what this search enumerates."""


@dataclass(frozen=True)
class SearchResult:
    """The optimal node and how it was found. ``levels`` are in ``qi`` order; ``suppressed`` counts
    records; ``suppressed_keys`` are the class keys (``classes.row_keys`` over ``qi``) of the records
    to suppress, which any chunk of the table can be filtered with; ``suppressed_rows`` are their
    positions when a whole table was searched (None when the search ran on class counts)."""

    qi: tuple[str, ...]
    levels: tuple[int, ...]
    metric: str
    value: float
    suppressed: int
    nodes_checked: int
    seconds: float
    lattice_size: int
    n_rows: int
    model: PrivacyModelConfig
    suppression_limit: float
    suppressed_rows: np.ndarray | None = field(repr=False)
    hierarchies: Mapping[str, Hierarchy] = field(repr=False)
    suppressed_keys: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.uint64))

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        return apply_transformation(df, self)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready summary (no data values)."""
        return {
            "qi": list(self.qi),
            "levels": [int(v) for v in self.levels],
            "metric": self.metric,
            "value": float(self.value),
            "suppressed": int(self.suppressed),
            "nodes_checked": int(self.nodes_checked),
            "seconds": float(self.seconds),
            "lattice_size": int(self.lattice_size),
            "n_rows": int(self.n_rows),
            "model": self.model.describe(),
            "suppression_limit": float(self.suppression_limit),
        }


@dataclass(frozen=True, eq=False)
class ClassTable:
    """Equivalence classes of one node: per-class level codes of every column, class sizes and, when
    the model needs it, the per-class sensitive histogram."""

    levels: tuple[int, ...]
    codes: list[np.ndarray]
    sizes: np.ndarray
    sens: SensitiveCounts | None


def _combine(codes: Sequence[np.ndarray], radices: Sequence[int]) -> tuple[np.ndarray, int]:
    """One int64 key per tuple of codes (mixed radix), densified before it could overflow."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    span = 1
    for c, r in zip(codes, radices, strict=True):
        if span * r >= 1 << 62:
            uniq, key = np.unique(key, return_inverse=True)
            span = len(uniq)
        key = key * r + c
        span *= r
    return key, span


def _group(key: np.ndarray, span: int) -> tuple[np.ndarray, int]:
    """Dense group id per key: a bincount pass when the key space is small, else a sort."""
    if span <= 4 * len(key) + _DENSE_SLACK:
        present = np.zeros(span, dtype=bool)
        present[key] = True
        ids = np.cumsum(present, dtype=np.int64) - 1
        return ids[key], int(ids[-1]) + 1 if span else 0
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), len(uniq)


def _weighted(col: EncodedColumn, weights: np.ndarray) -> EncodedColumn:
    """The column's per-level record counts when each encoded row stands for ``weights`` records."""
    counts = [np.rint(np.bincount(g[col.rows], weights=weights, minlength=len(lab))).astype(np.int64)
              for g, lab in zip(col.gen, col.labels, strict=True)]
    return dataclasses.replace(col, counts=counts)


class _Encoded:
    """The table encoded once, with its bottom-node classes and each row's bottom class.

    ``df`` holds either the records (``weights`` None) or distinct value tuples, each standing for
    ``weights`` records: the classes, their sizes and sensitive histograms, and the metric's value
    counts are then weighted sums, equal to the ones of the records themselves."""

    def __init__(self, df: pd.DataFrame, qi: Sequence[str], hierarchies: Mapping[str, Hierarchy],
                 model: PrivacyModelConfig, weights: np.ndarray | None = None) -> None:
        if not qi:
            raise ValueError("at least one quasi-identifier is needed")
        if len(set(qi)) != len(qi):
            raise ValueError("quasi-identifiers are listed twice")
        if model.uses_sensitive:
            if model.sensitive not in df.columns:
                raise ValueError(f"sensitive column {model.sensitive!r} is not in the table")
            if model.sensitive in qi:
                raise ValueError(f"sensitive column {model.sensitive!r} is also a quasi-identifier")
        if len(df) == 0:
            raise ValueError("the table has no rows")
        self.columns: list[EncodedColumn] = encode_columns(df, qi, hierarchies)
        if weights is not None:
            self.columns = [_weighted(col, weights) for col in self.columns]
        self.n = len(df) if weights is None else int(weights.sum())
        self.sens_col = (SensitiveColumn.build(df[model.sensitive], model, weights) if model.uses_sensitive
                         else None)
        codes = [col.codes(0) for col in self.columns]
        key, span = _combine(codes, [col.sizes(0) for col in self.columns])
        self.row_class, m = _group(key, span)
        bottom_codes = []
        for c in codes:
            out = np.empty(m, dtype=np.int32)
            out[self.row_class] = c
            bottom_codes.append(out)
        sizes = np.rint(np.bincount(self.row_class, weights=weights, minlength=m)).astype(np.int64)
        sens = None
        if self.sens_col is not None:
            sens = group_sensitive(self.row_class, self.sens_col.codes, weights, self.sens_col.n_values)
        self.bottom = ClassTable(tuple([0] * len(codes)), bottom_codes, sizes, sens)

    def rollup(self, src: ClassTable, levels: Sequence[int]) -> tuple[ClassTable, np.ndarray]:
        """Classes of ``levels`` from the classes of a more specific node; also maps old to new class."""
        parts = zip(self.columns, src.codes, src.levels, levels, strict=True)
        codes = [col.lift(c, a, b) for col, c, a, b in parts]
        key, span = _combine(codes, [col.sizes(lv) for col, lv in zip(self.columns, levels, strict=True)])
        inverse, m = _group(key, span)
        new_codes = []
        for c in codes:
            out = np.empty(m, dtype=np.int32)
            out[inverse] = c
            new_codes.append(out)
        sizes = np.rint(np.bincount(inverse, weights=src.sizes, minlength=m)).astype(np.int64)
        sens = None
        if src.sens is not None and self.sens_col is not None:
            sens = group_sensitive(inverse[src.sens.cls], src.sens.val, src.sens.cnt, self.sens_col.n_values)
        return ClassTable(tuple(int(v) for v in levels), new_codes, sizes, sens), inverse


class _Search:
    """State of one search: node statuses, bounds, the roll-up cache and the counters."""

    def __init__(self, enc: _Encoded, model: PrivacyModelConfig, suppression_limit: float,
                 metric: Metric) -> None:
        self.enc, self.model, self.metric = enc, model, metric
        self.suppression_limit = suppression_limit
        self.limit = allowed_suppression(enc.n, suppression_limit)
        self.monotone = model.merge_preserving or self.limit < 1
        self.heights = np.array([col.levels for col in enc.columns], dtype=np.int64)
        size = math.prod(int(h) for h in self.heights)
        if size > MAX_NODES:
            raise LatticeTooLargeError(f"the lattice has {size:,} nodes; at most {MAX_NODES:,} are supported")
        self.size = size
        self.nodes = np.stack(np.unravel_index(np.arange(size), tuple(self.heights)), axis=1).astype(np.int16)
        self.strides = np.array([int(np.prod(self.heights[j + 1:])) for j in range(len(self.heights))])
        self.ge = [[self.nodes[:, j] >= lv for lv in range(h)] for j, h in enumerate(self.heights)]
        self.le = [[self.nodes[:, j] <= lv for lv in range(h)] for j, h in enumerate(self.heights)]
        self.anon = np.zeros(size, dtype=np.int8)  # 1 anonymous, -1 not, 0 unknown
        self.nec = np.zeros(size, dtype=np.int8)  # same for the monotone necessary condition
        self.lb = metric.lower_bounds(self.nodes)
        self.bound = self.lb.copy()
        height_sum = self.nodes.sum(axis=1)
        self.rank = np.empty(size, dtype=np.int64)
        self.rank[np.lexsort((np.arange(size), height_sum))] = np.arange(size)
        self.values: dict[int, float] = {}
        self.computed = np.zeros(size, dtype=bool)
        self.cache: dict[int, ClassTable] = {}
        self.cache_rows = 0
        self.cache_nodes = np.zeros(64, dtype=np.int64)  # slots; -1 marks an evicted entry
        self.cache_levels = np.zeros((64, len(self.heights)), dtype=np.int16)
        self.cache_sizes = np.zeros(64, dtype=np.int64)
        self.cache_used = 0

    # -- lattice geometry -----------------------------------------------------------------------
    def upset(self, i: int) -> np.ndarray:
        return np.logical_and.reduce([self.ge[j][lv] for j, lv in enumerate(self.nodes[i])])

    def downset(self, i: int) -> np.ndarray:
        return np.logical_and.reduce([self.le[j][lv] for j, lv in enumerate(self.nodes[i])])

    def chain(self, i: int) -> list[int]:
        """Path from ``i`` to the top, each step to the successor with the lowest bound."""
        path = [i]
        levels = self.nodes[i].astype(np.int64)
        while True:
            room = np.flatnonzero(levels < self.heights - 1)
            if room.size == 0:
                return path
            succ = path[-1] + self.strides[room]
            pick = int(np.lexsort((self.rank[succ], self.lb[succ]))[0])
            path.append(int(succ[pick]))
            levels[room[pick]] += 1

    # -- class tables ---------------------------------------------------------------------------
    def table(self, i: int) -> ClassTable:
        """Classes of node ``i``, rolled up from the cached predecessor with the fewest classes."""
        if i in self.cache:
            return self.cache[i]
        src = self.enc.bottom
        used = self.cache_used
        if used:
            fits = np.all(self.cache_levels[:used] <= self.nodes[i], axis=1) & (self.cache_nodes[:used] >= 0)
            if fits.any():
                slots = np.flatnonzero(fits)
                src = self.cache[int(self.cache_nodes[slots[np.argmin(self.cache_sizes[slots])]])]
        table, _ = self.enc.rollup(src, self.nodes[i])
        self.computed[i] = True
        self._remember(i, table)
        return table

    def _remember(self, i: int, table: ClassTable) -> None:
        """Cache a table for later roll-ups (oldest first out when over budget)."""
        rows = len(table.sizes)
        if rows >= len(self.enc.bottom.sizes) or rows > CACHE_BUDGET:
            return
        while self.cache_rows + rows > CACHE_BUDGET:
            slot = int(np.flatnonzero(self.cache_nodes[: self.cache_used] >= 0)[0])
            old = self.cache.pop(int(self.cache_nodes[slot]))
            self.cache_rows -= len(old.sizes)
            self.cache_nodes[slot] = -1
        if self.cache_used == len(self.cache_nodes):
            grow = len(self.cache_nodes)
            self.cache_nodes = np.concatenate([self.cache_nodes, np.zeros(grow, dtype=np.int64)])
            self.cache_levels = np.concatenate([self.cache_levels, np.zeros_like(self.cache_levels)])
            self.cache_sizes = np.concatenate([self.cache_sizes, np.zeros(grow, dtype=np.int64)])
        slot = self.cache_used
        self.cache_nodes[slot], self.cache_levels[slot], self.cache_sizes[slot] = i, self.nodes[i], rows
        self.cache_used += 1
        self.cache[i] = table
        self.cache_rows += rows

    def check(self, i: int) -> None:
        """Compute node ``i``'s classes, record its status and value, and tag what follows."""
        table = self.table(i)
        bad, necessary_bad = violations(table.sizes, self.model, table.sens, self.enc.sens_col)
        anonymous = int(table.sizes[bad].sum()) <= self.limit
        necessary = anonymous if self.monotone else int(table.sizes[necessary_bad].sum()) <= self.limit
        if necessary:
            up = self.upset(i)
            self.nec[up] = 1
            if anonymous and self.monotone:
                self.anon[up] = 1
        else:
            down = self.downset(i)
            self.nec[down] = -1
            self.anon[down] = -1
        self.anon[i] = 1 if anonymous else -1
        if anonymous:
            self.values[i] = self.metric.value(tuple(int(v) for v in self.nodes[i]), table.codes,
                                               table.sizes, bad)
        raw = self.metric.raw_bound(table.sizes)
        if raw is not None:
            up = self.upset(i)
            self.bound[up] = np.maximum(self.bound[up], raw)

    def resolve(self, i: int) -> None:
        """Settle whether ``i`` is anonymous: binary search on an ascending path, then check it."""
        if self.anon[i] != 0:
            return
        if self.nec[i] == 0:
            path = np.array(self.chain(i))
            status = self.nec[path]
            known_bad, known_good = np.flatnonzero(status == -1), np.flatnonzero(status == 1)
            lo = int(known_bad.max()) + 1 if known_bad.size else 0
            hi = int(known_good.min()) - 1 if known_good.size else len(path) - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                self.check(int(path[mid]))
                if self.nec[path[mid]] == 1:
                    hi = mid - 1
                else:
                    lo = mid + 1
        if self.anon[i] == 0:
            self.check(i)

    def value(self, i: int) -> float:
        if i in self.values:
            return self.values[i]
        if self.metric.level_only and (self.limit < 1 or self.metric.ignores_suppression):
            return float(self.lb[i])  # nothing can be suppressed, or suppression does not count
        self.check(i)
        return self.values[i]

    def levels(self, i: int) -> tuple[int, ...]:
        return tuple(int(v) for v in self.nodes[i])

    def result(self, best: int, value: float, qi: Sequence[str], hierarchies: Mapping[str, Hierarchy],
               started: float, suppressed: int, rows: np.ndarray | None, keys: np.ndarray,
               checked: int | None = None) -> SearchResult:
        return SearchResult(
            qi=tuple(qi), levels=self.levels(best), metric=self.metric.name, value=float(value),
            suppressed=suppressed, nodes_checked=int(self.computed.sum()) if checked is None else checked,
            seconds=time.perf_counter() - started, lattice_size=self.size, n_rows=self.enc.n, model=self.model,
            suppression_limit=self.suppression_limit, suppressed_rows=rows, hierarchies=dict(hierarchies),
            suppressed_keys=keys,
        )

    def run(self) -> tuple[int, float]:
        best, best_value = -1, math.inf
        alive = np.ones(self.size, dtype=bool)
        while True:
            candidates = np.where(alive & (self.anon != -1), self.bound, np.inf)
            low = float(candidates.min())
            if not math.isfinite(low) or low > best_value + _slack(best_value):
                break
            ties = np.flatnonzero(candidates == low)
            i = int(ties[np.argmin(self.rank[ties])])
            alive[i] = False
            self.resolve(i)
            if self.anon[i] != 1:
                continue
            v = self.value(i)
            if v < best_value - _slack(best_value) or (
                v <= best_value + _slack(best_value) and self.rank[i] < self.rank[best]
            ):
                best, best_value = i, v
        if best < 0:
            raise NoSolutionError(
                f"no generalization satisfies {self.model.describe()} with at most "
                f"{math.floor(self.limit)} suppressed record(s)"
            )
        return best, best_value


def _slack(value: float) -> float:
    return 1e-9 * max(1.0, abs(value)) if math.isfinite(value) else 0.0


def _finish(enc: _Encoded, model: PrivacyModelConfig, levels: Sequence[int]) -> np.ndarray:
    """Which encoded rows (records, or value tuples) the chosen node suppresses."""
    table, inverse = enc.rollup(enc.bottom, levels)
    bad, _ = violations(table.sizes, model, table.sens, enc.sens_col)
    return bad[inverse[enc.row_class]]


def _keys(values: pd.DataFrame, qi: Sequence[str], doomed: np.ndarray) -> np.ndarray:
    """Class keys of the doomed rows of ``values``: what a chunk is filtered with."""
    return np.unique(row_keys(values.iloc[np.flatnonzero(doomed)], qi))


def search(
    table: pd.DataFrame | ClassCounter,
    qi: Sequence[str],
    hierarchies: Mapping[str, Hierarchy],
    model: PrivacyModelConfig | None = None,
    suppression_limit: float = 0.0,
    metric: str = "entropy",
) -> SearchResult:
    """Find the optimal full-domain generalization of ``table`` over ``qi`` (see the module docstring).

    ``table`` is the records, or their classes counted chunk by chunk, never the rows: a
    ``ClassCounter`` that keeps values (``count_classes(chunks, columns, keep_values=True)``) over the
    quasi-identifiers, plus the sensitive column when the model uses one (its per-class value
    counts). Both give the same optimum, value, suppressed records and ``suppressed_keys``; only the
    records give ``suppressed_rows`` (apply a counted result with ``apply_chunk``).

    Raises ``NoSolutionError`` when no node qualifies, ``HierarchyError`` when a value is missing from
    its hierarchy, ``ModelConfigError`` / ``MetricError`` for bad parameters, and ``ValueError`` for an
    empty table or unknown columns. All are ``ValueError`` subclasses with one-line messages.
    """
    started = time.perf_counter()
    if isinstance(table, ClassCounter):
        values, counts, _ = table.in_order()
        state, best, value, doomed = _optimum(values, counts, qi, hierarchies, model, suppression_limit, metric)
        return state.result(best, value, qi, hierarchies, started, int(counts[doomed].sum()), None,
                            _keys(values, qi, doomed))
    state, best, value, doomed = _optimum(table, None, qi, hierarchies, model, suppression_limit, metric)
    rows = np.flatnonzero(doomed)
    return state.result(best, value, qi, hierarchies, started, len(rows), rows, _keys(table, qi, doomed))


def _optimum(values: pd.DataFrame, weights: np.ndarray | None, qi: Sequence[str],
             hierarchies: Mapping[str, Hierarchy], model: PrivacyModelConfig | None, suppression_limit: float,
             metric: str) -> tuple[_Search, int, float, np.ndarray]:
    """The search itself: the optimal node, its value, and which rows of ``values`` it suppresses."""
    model = model or PrivacyModelConfig()
    enc = _Encoded(values, qi, hierarchies, model, weights)
    state = _Search(enc, model, suppression_limit, Metric(metric, enc.columns, enc.n))
    best, value = state.run()
    state.computed[best] = True
    return state, best, value, _finish(enc, model, state.levels(best))


def exhaustive_search(
    df: pd.DataFrame,
    qi: Sequence[str],
    hierarchies: Mapping[str, Hierarchy],
    model: PrivacyModelConfig | None = None,
    suppression_limit: float = 0.0,
    metric: str = "entropy",
) -> SearchResult:
    """Baseline without pruning or caching: every node's classes are rolled up from the bottom node and
    every anonymous node is evaluated. Same answer as ``search``; for benchmarks and cross-checks."""
    started = time.perf_counter()
    model = model or PrivacyModelConfig()
    enc = _Encoded(df, qi, hierarchies, model)
    state = _Search(enc, model, suppression_limit, Metric(metric, enc.columns, enc.n))
    best, best_value = -1, math.inf
    for i in range(state.size):
        levels = tuple(int(v) for v in state.nodes[i])
        table, _ = enc.rollup(enc.bottom, levels)
        bad, _ = violations(table.sizes, model, table.sens, enc.sens_col)
        if int(table.sizes[bad].sum()) > state.limit:
            continue
        v = state.metric.value(levels, table.codes, table.sizes, bad)
        if v < best_value - _slack(best_value) or (
            v <= best_value + _slack(best_value) and state.rank[i] < state.rank[best]
        ):
            best, best_value = i, v
    if best < 0:
        raise NoSolutionError(f"no generalization satisfies {model.describe()} within the suppression limit")
    doomed = _finish(enc, model, state.levels(best))
    rows = np.flatnonzero(doomed)
    return state.result(best, best_value, qi, hierarchies, started, len(rows), rows, _keys(df, qi, doomed),
                        checked=state.size)


def generalize(
    df: pd.DataFrame, qi: Sequence[str], hierarchies: Mapping[str, Hierarchy], levels: Sequence[int]
) -> pd.DataFrame:
    """Copy of ``df`` with each quasi-identifier replaced by its label at the given level."""
    if len(levels) != len(qi):
        raise ValueError(f"{len(levels)} levels given for {len(qi)} quasi-identifiers")
    out = df.copy()
    for column, level in zip(qi, levels, strict=True):
        if column not in hierarchies:
            raise ValueError(f"no hierarchy given for column {column!r}")
        out[column] = hierarchies[column].generalize(df[column], int(level), column)
    return out


def apply_transformation(df: pd.DataFrame, result: SearchResult) -> pd.DataFrame:
    """The release: ``df`` generalized to ``result.levels`` without the suppressed rows (index kept).

    ``df`` must be the table that was searched (same rows, same order)."""
    if len(df) != result.n_rows:
        raise ValueError(f"the table has {len(df)} rows but the search ran on {result.n_rows}")
    if result.suppressed_rows is None:
        return apply_chunk(df, result)
    keep = np.ones(len(df), dtype=bool)
    keep[result.suppressed_rows] = False
    return generalize(df, result.qi, result.hierarchies, result.levels).iloc[keep]


def apply_chunk(chunk: pd.DataFrame, result: SearchResult) -> pd.DataFrame:
    """One chunk of the release: its rows of suppressed classes dropped, the rest generalized.

    Any chunking of the searched table gives, concatenated, what ``apply_transformation`` gives."""
    kept = drop_classes(chunk, result.qi, result.suppressed_keys)
    return generalize(kept, result.qi, result.hierarchies, result.levels)
