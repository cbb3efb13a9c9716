"""Re-identification risk of a table from the sizes of its equivalence classes on the quasi-identifiers.

Three attacker models (El Emam & Dankar 2008, as reported by ARX):

* prosecutor - knows the target is in the table: a record in a class of size f is re-identified with
  probability 1/f. Average = classes / n, highest = 1 / smallest class.
* journalist - does not know whether the target is in the table, and matches against a population
  table: a class of f sample records has F >= f population records, risk 1/F. Without a population
  table the sample is taken as its own population (F = f), the conservative choice, so the figures
  equal the prosecutor's.
* marketer - tries to re-identify as many records as possible: expected share re-identified,
  ``sum(f / F) / n`` (classes / n without a population table).

"At risk" records are those whose risk 1/f (1/F for the journalist) exceeds ``threshold``. Null
values in a quasi-identifier count as a value of their own. An empty table raises ``EmptyTableError``
(a risk of an empty release is not a number anyone should act on).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from anonymizers.classes import ClassCounter


class EmptyTableError(ValueError):
    """The table has no rows, so no risk can be computed."""


@dataclass(frozen=True)
class RiskReport:
    """Risk figures of one table; ``to_dict`` gives plain ints and floats."""

    records: int
    classes: int
    min_class_size: int
    threshold: float
    prosecutor_average: float
    prosecutor_highest: float
    prosecutor_records_at_risk: float
    journalist_average: float
    journalist_highest: float
    journalist_records_at_risk: float
    marketer_average: float
    sample_uniques: int
    sample_uniques_share: float
    population_given: bool

    def to_dict(self) -> dict[str, int | float | bool]:
        return {k: (v if isinstance(v, bool) else (int(v) if isinstance(v, int | np.integer) else float(v)))
                for k, v in asdict(self).items()}


def measure_risk(
    df: pd.DataFrame,
    qi: Sequence[str],
    population: pd.DataFrame | None = None,
    threshold: float = 0.2,
) -> RiskReport:
    """Prosecutor, journalist and marketer risk of ``df`` on the quasi-identifiers ``qi``."""
    return measure_risk_chunks([df], qi, None if population is None else [population], threshold)


def measure_risk_chunks(
    chunks: Iterable[pd.DataFrame],
    qi: Sequence[str],
    population: Iterable[pd.DataFrame] | None = None,
    threshold: float = 0.2,
) -> RiskReport:
    """``measure_risk`` of a table given as chunks (and of a population table, also as chunks): one pass
    each, counting classes; memory grows with the number of classes, not rows."""
    qi = list(qi)
    if not qi:
        raise ValueError("at least one quasi-identifier is needed")
    sample = _counted(chunks, qi, "table")
    counted = None if population is None else _counted(population, qi, "population table")
    return risk_of_counts(sample, threshold, counted)


def _counted(chunks: Iterable[pd.DataFrame], qi: list[str], name: str) -> ClassCounter:
    counter = ClassCounter(qi)
    for chunk in chunks:
        missing = [c for c in qi if c not in chunk.columns]
        if missing:
            raise ValueError(f"column(s) not in the {name}: {', '.join(map(repr, missing))}")
        counter.add(chunk)
    return counter


def risk_of_counts(sample: ClassCounter, threshold: float = 0.2,
                   population: ClassCounter | None = None) -> RiskReport:
    """The risk figures from class sizes alone: each figure is a sum over classes weighted by their size
    (a record's risk depends only on its class), so counts summed chunk by chunk give the whole table's."""
    n = sample.records
    if n == 0:
        raise EmptyTableError("cannot measure risk: the table has no rows")
    sizes = sample.counts
    f = sizes.astype(float)  # sample class sizes
    # population class sizes, never below the sample's own (the sample is part of the population)
    big_f = f if population is None else np.maximum(population.sizes_of(sample.keys).astype(float), f)
    journalist = float(np.sum(sizes / big_f) / n)
    return RiskReport(
        records=n,
        classes=len(sizes),
        min_class_size=int(sizes.min()),
        threshold=float(threshold),
        prosecutor_average=len(sizes) / n,
        prosecutor_highest=1.0 / float(sizes.min()),
        prosecutor_records_at_risk=float(sizes[1.0 / f > threshold].sum() / n),
        journalist_average=journalist,
        journalist_highest=float(1.0 / big_f.min()),
        journalist_records_at_risk=float(sizes[1.0 / big_f > threshold].sum() / n),
        marketer_average=journalist,
        sample_uniques=int(np.sum(sizes == 1)),
        sample_uniques_share=float(np.sum(sizes == 1) / n),
        population_given=population is not None,
    )
