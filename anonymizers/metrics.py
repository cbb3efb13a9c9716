"""Utility metrics for full-domain generalization with record suppression (ARX definitions).

* ``entropy`` - non-uniform entropy: for each quasi-identifier and record, ``-log2(count(original value)
  / count(generalized value))`` with counts over the original table, summed. Suppressed records count
  as fully generalized (their generalized value covers all n records). ARX's published Adult figure
  (k=5, 0 % suppression: 407,289.54 at [1,2,1,1,3,2,2,1,1]) is this metric.
* ``monotonic_entropy`` - the same, ignoring suppression (every record at its generalized value).
  This is ARX's ``createEntropyMetric(true)``, whose optimum depends on levels only; it reproduces
  ARX's published figures with 4 % suppression too.
* ``loss`` - ARX's "Loss": per attribute, each record costs the share of the hierarchy's domain its
  generalized value covers (a suppressed record costs 1); the sum is normalised to [0, 1] with
  ``(x - n/|domain|) / (n - n/|domain|)`` and attributes are combined by the geometric mean
  ``prod(1 + x_j) ** (1/q) - 1`` (ARX's ``MetricMDNMLoss`` default). The per-attribute values match
  ARX's published figures (``loss_per_attribute``); ARX's older "rank" aggregate, which compares the
  sorted per-attribute vectors, is not offered because it has no scalar value to bound.
* ``discernibility`` - sum of squared class sizes; every suppressed record costs n.
* ``precision`` - mean over attributes of level/max level; suppressed records count as level max.

Lower is better for all. Each metric also gives a lower bound that depends on the levels only (the
value with nothing suppressed, since suppression never costs less than generalization); the search
uses it to skip nodes that cannot beat the best one found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from anonymizers.hierarchy import EncodedColumn, Hierarchy, encode_columns

METRICS = ("entropy", "monotonic_entropy", "loss", "discernibility", "precision")


class MetricError(ValueError):
    """Unknown metric name."""


def _xlog2x(counts: np.ndarray) -> float:
    c = counts[counts > 0].astype(float)
    return float(np.sum(c * np.log2(c)))


class Metric:
    """A metric prepared for one encoded table: per-column, per-level tables computed once."""

    def __init__(self, name: str, columns: Sequence[EncodedColumn], n: int) -> None:
        if name not in METRICS:
            raise MetricError(f"unknown metric {name!r}; choose one of {', '.join(METRICS)}")
        self.name = name
        self.columns = list(columns)
        self.n = n
        self.level_only = name != "discernibility"
        self.ignores_suppression = name == "monotonic_entropy"
        self._per_level = [self._level_table(col) for col in self.columns]

    def _level_table(self, col: EncodedColumn) -> np.ndarray:
        """Per level, the metric's contribution of this column when nothing is suppressed."""
        if self.name in ("entropy", "monotonic_entropy"):
            base = _xlog2x(col.counts[0])
            return np.array([_xlog2x(c) - base for c in col.counts])
        if self.name == "loss":
            domain = col.hierarchy.domain_size
            pairs = zip(col.counts, col.leaves, strict=True)
            return np.array([float(np.sum(c * leaf)) / domain for c, leaf in pairs])
        if self.name == "precision":
            top = max(col.levels - 1, 1)
            return np.arange(col.levels) / top
        return np.zeros(col.levels)

    # -- lower bounds ---------------------------------------------------------------------------
    def lower_bounds(self, nodes: np.ndarray) -> np.ndarray:
        """Value of every node (rows of levels) with nothing suppressed: a valid lower bound."""
        if self.name == "discernibility":
            return np.full(len(nodes), float(self.n))  # every class of size c costs c*c >= c
        parts = np.stack([table[nodes[:, j]] for j, table in enumerate(self._per_level)], axis=1)
        return self._combine(parts)

    def _combine(self, parts: np.ndarray) -> np.ndarray:
        if self.name in ("entropy", "monotonic_entropy"):
            return parts.sum(axis=1)
        if self.name == "precision":
            return parts.mean(axis=1)
        return _geometric(self._normalise(parts))

    def _normalise(self, sums: np.ndarray) -> np.ndarray:
        """Loss per attribute from the per-record share sums (ARX's normalisation, clipped at 0)."""
        n = float(self.n)
        out = np.zeros_like(sums, dtype=float)
        for j, col in enumerate(self.columns):
            low = n / col.hierarchy.domain_size
            if n - low > 0:
                out[:, j] = np.clip((sums[:, j] - low) / (n - low), 0.0, None)
        return out

    # -- exact value ----------------------------------------------------------------------------
    def value(self, levels: Sequence[int], codes: Sequence[np.ndarray], sizes: np.ndarray,
              suppressed: np.ndarray) -> float:
        """Value of a node from its classes: ``codes[j]`` per-class level codes of column j,
        ``sizes`` class sizes, ``suppressed`` a boolean mask of suppressed classes."""
        if self.name == "discernibility":
            kept = sizes[~suppressed].astype(float)
            return float(np.sum(kept * kept) + float(sizes[suppressed].sum()) * self.n)
        base = np.array([[table[lv] for table, lv in zip(self._per_level, levels, strict=True)]])
        if self.ignores_suppression or not suppressed.any():
            return float(self._combine(base)[0])
        s_sizes = sizes[suppressed].astype(float)
        s_total = float(s_sizes.sum())
        extra = np.zeros_like(base)
        for j, (col, lv) in enumerate(zip(self.columns, levels, strict=True)):
            g = codes[j][suppressed]
            if self.name == "entropy":  # log2(n / count(generalized value)) more per suppressed record
                extra[0, j] = float(np.sum(s_sizes * (np.log2(self.n) - np.log2(col.counts[lv][g]))))
            elif self.name == "loss":
                share = col.leaves[lv][g] / col.hierarchy.domain_size
                extra[0, j] = float(np.sum(s_sizes * (1.0 - share)))
            else:  # precision: suppressed records are at the top level
                top = max(col.levels - 1, 1)
                extra[0, j] = s_total * (1.0 - lv / top) / self.n
        return float(self._combine(base + extra)[0])

    def raw_bound(self, sizes: np.ndarray) -> float | None:
        """A bound valid for this node and all its generalizations (merging classes only raises the sum
        of squares, and a suppressed record costs n >= its class size). None if not applicable."""
        if self.name != "discernibility":
            return None
        s = sizes.astype(float)
        return float(np.sum(s * s))


def _geometric(values: np.ndarray) -> np.ndarray:
    q = values.shape[1]
    if q == 0:
        return np.zeros(len(values))
    return np.exp(np.log1p(values).sum(axis=1) / q) - 1.0


def _node_classes(
    df: pd.DataFrame, qi: Sequence[str], hierarchies: Mapping[str, Hierarchy], levels: Sequence[int],
    suppressed_rows: np.ndarray | None,
) -> tuple[list[EncodedColumn], list[np.ndarray], np.ndarray, np.ndarray]:
    """Encoded columns, per-class codes, class sizes and suppressed-class mask of one node."""
    columns = encode_columns(df, qi, hierarchies)
    if len(levels) != len(columns):
        raise ValueError(f"{len(levels)} levels given for {len(columns)} quasi-identifiers")
    mask = np.zeros(len(df), dtype=bool)
    if suppressed_rows is not None:
        mask[np.asarray(suppressed_rows, dtype=np.int64)] = True
    pairs = enumerate(zip(columns, levels, strict=True))
    frame = pd.DataFrame({f"c{j}": col.codes(int(lv)) for j, (col, lv) in pairs})
    frame["s"] = mask  # suppressed records form their own classes, so the mask stays per class
    grouped = frame.groupby(list(frame.columns), sort=False).size().reset_index(name="n")
    codes = [grouped[f"c{j}"].to_numpy() for j in range(len(columns))]
    return columns, codes, grouped["n"].to_numpy(), grouped["s"].to_numpy(dtype=bool)


def measure_utility(
    df: pd.DataFrame,
    qi: Sequence[str],
    hierarchies: Mapping[str, Hierarchy],
    levels: Sequence[int],
    suppressed_rows: np.ndarray | None = None,
    metrics: Sequence[str] = METRICS,
) -> dict[str, float]:
    """All requested metrics for generalizing the original ``df`` to ``levels`` (in ``qi`` order) and
    suppressing the records at positions ``suppressed_rows``."""
    columns, codes, sizes, suppressed = _node_classes(df, qi, hierarchies, levels, suppressed_rows)
    levels = [int(v) for v in levels]
    return {name: Metric(name, columns, len(df)).value(levels, codes, sizes, suppressed) for name in metrics}


def loss_per_attribute(
    df: pd.DataFrame,
    qi: Sequence[str],
    hierarchies: Mapping[str, Hierarchy],
    levels: Sequence[int],
    suppressed_rows: np.ndarray | None = None,
) -> dict[str, float]:
    """ARX's normalised Loss of each quasi-identifier (before the geometric mean combines them)."""
    columns, codes, sizes, suppressed = _node_classes(df, qi, hierarchies, levels, suppressed_rows)
    metric = Metric("loss", columns, len(df))
    sums = np.zeros((1, len(columns)))
    for j, (col, lv) in enumerate(zip(columns, levels, strict=True)):
        share = np.where(suppressed, 1.0, col.leaves[int(lv)][codes[j]] / col.hierarchy.domain_size)
        sums[0, j] = float(np.sum(share * sizes))
    return {c: float(v) for c, v in zip(qi, metric._normalise(sums)[0], strict=True)}
