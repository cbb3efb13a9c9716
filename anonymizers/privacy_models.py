"""Privacy models checked per equivalence class: k-anonymity, l-diversity, t-closeness.

Each model is a predicate on one equivalence class (records sharing all generalized quasi-identifier
values). Records in classes that fail any predicate are suppressed; a transformation is acceptable
("anonymous", ARX semantics) when the suppressed records are at most ``suppression_limit * n``.

Which monotonicity holds matters to the lattice search, so it is stated here:

* k-anonymity and distinct l-diversity are *merge-preserving*: if a class satisfies them, any class
  that contains it does too. So with any suppression limit an anonymous node has only anonymous
  generalizations.
* entropy l-diversity and t-closeness (equal or ordered distance) are only *convex*: the union of two
  satisfying classes satisfies them, but a satisfying class merged with a violating one may violate.
  Anonymity is therefore monotone only when no record may be suppressed.
* Every class that satisfies entropy l-diversity has at least ``ceil(l)`` distinct sensitive values,
  so that merge-preserving "necessary condition" still prunes non-anonymous nodes downwards.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from anonymizers.classes import ClassCounter, class_codes, count_classes, row_keys

TOLERANCE = 1e-12


class ModelConfigError(ValueError):
    """The privacy model is not well specified."""


@dataclass(frozen=True)
class PrivacyModelConfig:
    """Privacy models to enforce together.

    ``k``: minimum class size. ``l`` with ``l_variant`` "distinct" (at least l distinct sensitive values)
    or "entropy" (entropy of the sensitive values at least log l). ``t`` with ``t_distance`` "equal"
    (total variation distance, for categorical values) or "ordered" (earth mover's distance over the
    ordered values, for ordinal/numeric values) between a class's sensitive distribution and the whole
    table's. ``sensitive_order`` fixes the order for "ordered"; by default values are ordered
    numerically when all are numbers, else as text, with empty/null last.
    """

    k: int = 1
    l: float | None = None  # noqa: E741 - the model is called l-diversity
    l_variant: Literal["distinct", "entropy"] = "distinct"
    t: float | None = None
    t_distance: Literal["equal", "ordered"] = "equal"
    sensitive: str | None = None
    sensitive_order: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or self.k < 1:
            raise ModelConfigError("k must be an integer of at least 1")
        if self.l is not None and not self.l >= 1:
            raise ModelConfigError("l must be at least 1")
        if self.l_variant not in ("distinct", "entropy"):
            raise ModelConfigError("l_variant must be 'distinct' or 'entropy'")
        if self.t is not None and not 0 <= self.t <= 1:
            raise ModelConfigError("t must be between 0 and 1")
        if self.t_distance not in ("equal", "ordered"):
            raise ModelConfigError("t_distance must be 'equal' or 'ordered'")
        if (self.l is not None or self.t is not None) and not self.sensitive:
            raise ModelConfigError("l-diversity and t-closeness need a sensitive column")

    @property
    def uses_sensitive(self) -> bool:
        return self.l is not None or self.t is not None

    @property
    def merge_preserving(self) -> bool:
        """True when anonymity stays monotone whatever the suppression limit (see module docstring)."""
        entropy_l = self.l is not None and self.l_variant == "entropy"
        return not entropy_l and self.t is None

    @property
    def min_class_size(self) -> int:
        return max(self.k, math.ceil(self.l) if self.l is not None else 1)

    @property
    def min_distinct(self) -> int:
        return math.ceil(self.l) if self.l is not None else 0

    def describe(self) -> str:
        parts = [f"{self.k}-anonymity"]
        if self.l is not None:
            parts.append(f"{self.l_variant} {self.l:g}-diversity on {self.sensitive!r}")
        if self.t is not None:
            parts.append(f"{self.t:g}-closeness ({self.t_distance} distance) on {self.sensitive!r}")
        return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class SensitiveColumn:
    """The sensitive column as codes ordered by value (nulls are a value of their own), and its
    distribution over the whole table (t-closeness compares every class against it)."""

    codes: np.ndarray
    n_values: int
    overall: np.ndarray

    @classmethod
    def build(cls, values: pd.Series, model: PrivacyModelConfig,
              weights: np.ndarray | None = None) -> SensitiveColumn:
        """Codes of ``values``; with ``weights``, each value stands for that many records (the values of
        class tuples counted chunk by chunk, in order of first appearance)."""
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        uniques = list(uniques)
        order = _value_order(uniques, model)
        rank = np.empty(len(uniques), dtype=np.int32)
        rank[order] = np.arange(len(uniques), dtype=np.int32)
        codes = rank[codes] if len(uniques) else codes.astype(np.int32)
        counts = np.bincount(codes, weights=weights, minlength=len(uniques)).astype(float)
        overall = counts / max(counts.sum(), 1.0)
        return cls(codes=codes.astype(np.int32), n_values=len(uniques), overall=overall)


def _value_order(uniques: list[object], model: PrivacyModelConfig) -> np.ndarray:
    def is_null(v: object) -> bool:
        return v is None or (not isinstance(v, str) and bool(pd.isna(v)))

    if model.sensitive_order is not None:
        position = {v: i for i, v in enumerate(model.sensitive_order)}
        keys = [position.get("" if is_null(v) else str(v), -1) for v in uniques]
        if min(keys, default=0) < 0:
            raise ModelConfigError(
                f"sensitive column {model.sensitive!r}: sensitive_order does not list every value"
            )
        return np.argsort(np.array(keys), kind="stable")
    numbers = pd.to_numeric(pd.Series([None if is_null(v) else v for v in uniques], dtype=object),
                            errors="coerce")
    nulls = [is_null(v) for v in uniques]
    if all(n or not pd.isna(x) for n, x in zip(nulls, numbers, strict=True)):
        keys = [(1, 0.0) if n else (0, float(x)) for n, x in zip(nulls, numbers, strict=True)]
    else:
        keys = [(1, "") if n else (0, str(v)) for n, v in zip(nulls, uniques, strict=True)]
    return np.array(sorted(range(len(uniques)), key=keys.__getitem__), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SensitiveCounts:
    """Sparse per-class histogram: ``cls[i]`` holds ``cnt[i]`` records with sensitive code ``val[i]``,
    sorted by class then value (the ordered distance relies on that order)."""

    cls: np.ndarray
    val: np.ndarray
    cnt: np.ndarray


def group_sensitive(class_of: np.ndarray, values: np.ndarray, weights: np.ndarray | None,
                    n_values: int) -> SensitiveCounts:
    """Aggregate (class, value) pairs, optionally weighted, into a sorted ``SensitiveCounts``."""
    key = class_of.astype(np.int64) * max(n_values, 1) + values
    uniq, inverse = np.unique(key, return_inverse=True)
    cnt = np.bincount(inverse, weights=weights, minlength=len(uniq))
    cnt = np.rint(cnt).astype(np.int64) if weights is not None else cnt.astype(np.int64)
    width = max(n_values, 1)
    return SensitiveCounts(cls=uniq // width, val=(uniq % width).astype(np.int32), cnt=cnt)


def violations(
    sizes: np.ndarray,
    model: PrivacyModelConfig,
    sens: SensitiveCounts | None = None,
    column: SensitiveColumn | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per class: (fails the full model, fails the merge-preserving necessary condition).

    The second mask implies the first; the search prunes downwards with it even when the full model
    is not monotone under suppression.
    """
    necessary = sizes < model.min_class_size
    if not model.uses_sensitive:
        return necessary, necessary
    if sens is None or column is None:
        raise ModelConfigError("l-diversity and t-closeness need the sensitive column")
    m = len(sizes)
    distinct = np.bincount(sens.cls, minlength=m)
    if model.l is not None:
        necessary = necessary | (distinct < model.min_distinct)
    full = necessary.copy()
    p = sens.cnt / sizes[sens.cls]
    if model.l is not None and model.l_variant == "entropy":
        entropy = np.bincount(sens.cls, weights=-p * np.log(p), minlength=m)
        full |= entropy < math.log(model.l) - TOLERANCE
    if model.t is not None:
        if model.t_distance == "equal":
            distance = equal_distance(sens, p, column.overall, m)
        else:
            distance = ordered_distance(sens, p, column.overall, m)
        full |= distance > model.t + TOLERANCE
    return full, necessary


def equal_distance(sens: SensitiveCounts, p: np.ndarray, overall: np.ndarray, m: int) -> np.ndarray:
    """Total variation distance 1/2 * sum |p_v - q_v| per class (values absent from a class add q_v)."""
    q = overall[sens.val]
    present = np.bincount(sens.cls, weights=np.abs(p - q), minlength=m)
    covered = np.bincount(sens.cls, weights=q, minlength=m)
    return 0.5 * (present + np.clip(1.0 - covered, 0.0, None))


def ordered_distance(sens: SensitiveCounts, p: np.ndarray, overall: np.ndarray, m: int) -> np.ndarray:
    """Earth mover's distance over ordered values: sum_i |P(i) - Q(i)| / (n_values - 1), i < n_values - 1,
    with P, Q the cumulative class and table distributions.

    P is a step function that only changes at values present in the class, so each run of constant P
    is summed in closed form with prefix sums of Q (Q is non-decreasing, a binary search splits the run
    where Q crosses P). Exact and linear in the number of (class, value) pairs.
    """
    n_values = len(overall)
    if n_values <= 1:
        return np.zeros(m)
    q_cum = np.cumsum(overall)[:-1]  # Q(i) for i = 0 .. n_values - 2
    prefix = np.concatenate(([0.0], np.cumsum(q_cum)))
    cls, val = sens.cls, sens.val.astype(np.int64)
    starts = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]])
    run_id = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(cls)]))
    cum_p = np.cumsum(p)
    cum_p = cum_p - np.r_[0.0, cum_p][starts][run_id]  # P just after each present value, per class
    last_of_class = np.r_[cls[1:] != cls[:-1], True]
    hi = np.where(last_of_class, n_values - 1, np.r_[val[1:], 0])
    lo = np.minimum(val, n_values - 1)
    hi = np.maximum(hi, lo)
    split = np.clip(np.searchsorted(q_cum, cum_p, side="left"), lo, hi)
    run = (cum_p * (split - lo) - (prefix[split] - prefix[lo])
           + (prefix[hi] - prefix[split]) - cum_p * (hi - split))
    before_first = prefix[np.minimum(val[starts], n_values - 1)]  # P = 0 before the first value
    total = np.bincount(cls, weights=run, minlength=m)
    total[cls[starts]] += before_first
    return total / (n_values - 1)


@dataclass(frozen=True)
class ModelCheck:
    """Outcome of checking a (generalized) table against a model. ``suppressed_keys`` are the class
    keys (``classes.row_keys`` over the quasi-identifiers) of the violating classes, which any chunk
    can be filtered with; ``suppressed_rows`` their positions when a whole table was checked."""

    anonymous: bool
    n_classes: int
    suppressed_rows: np.ndarray | None
    limit_records: float
    suppressed_records: int = 0
    suppressed_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    @property
    def suppressed(self) -> int:
        return self.suppressed_records


def allowed_suppression(n: int, suppression_limit: float) -> float:
    if not 0 <= suppression_limit <= 1:
        raise ModelConfigError("suppression_limit must be a fraction between 0 and 1")
    return suppression_limit * n + 1e-9


def model_columns(qi: Sequence[str], model: PrivacyModelConfig) -> list[str]:
    """The columns a model check counts classes over: the quasi-identifiers, and the sensitive column
    when the model judges its values."""
    return list(dict.fromkeys([*qi, *([model.sensitive] if model.uses_sensitive else [])]))


def check_counts(counter: ClassCounter, qi: Sequence[str], model: PrivacyModelConfig,
                 suppression_limit: float = 0.0) -> ModelCheck:
    """``check_model`` from classes counted chunk by chunk: ``counter`` keeps values over
    ``model_columns(qi, model)`` (``count_classes(chunks, columns, keep_values=True)``)."""
    missing = [c for c in model_columns(qi, model) if c not in counter.columns]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(map(repr, missing))}")
    values, counts, _ = counter.in_order()
    n = int(counts.sum())
    class_of = class_codes(values, qi)  # tuples of one class share their quasi-identifier values
    m = int(class_of.max()) + 1 if len(class_of) else 0
    sizes = np.rint(np.bincount(class_of, weights=counts, minlength=m)).astype(np.int64)
    sens = column = None
    if model.uses_sensitive:
        column = SensitiveColumn.build(values[model.sensitive], model, counts)
        sens = group_sensitive(class_of, column.codes, counts, column.n_values)
    bad, _ = violations(sizes, model, sens, column)
    doomed = bad[class_of] if len(class_of) else np.zeros(0, dtype=bool)
    suppressed = int(counts[doomed].sum())
    keys = np.unique(row_keys(values.iloc[np.flatnonzero(doomed)], qi))
    limit = allowed_suppression(n, suppression_limit)
    return ModelCheck(anonymous=suppressed <= limit, n_classes=m, suppressed_rows=None, limit_records=limit,
                      suppressed_records=suppressed, suppressed_keys=keys)


def check_model(
    df: pd.DataFrame, qi: Sequence[str], model: PrivacyModelConfig, suppression_limit: float = 0.0
) -> ModelCheck:
    """Check a table as it stands (values already generalized): which rows would be suppressed, and
    is the table acceptable? Null values count as a value of their own. The same computation as
    ``check_counts`` on the table as one chunk, plus the positions of the suppressed rows."""
    missing = [c for c in model_columns(qi, model) if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(map(repr, missing))}")
    counted = check_counts(count_classes([df], model_columns(qi, model), keep_values=True), qi, model,
                           suppression_limit)
    doomed = np.isin(row_keys(df, qi), counted.suppressed_keys) if counted.suppressed else np.zeros(len(df), bool)
    return dataclasses.replace(counted, suppressed_rows=np.flatnonzero(doomed))
