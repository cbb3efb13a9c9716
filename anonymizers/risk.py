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

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from anonymizers.classes import class_codes


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


def _class_ids(df: pd.DataFrame, qi: Sequence[str]) -> np.ndarray:
    return class_codes(df, qi)


def _population_sizes(sample: pd.DataFrame, population: pd.DataFrame, qi: Sequence[str]) -> np.ndarray:
    """For each row of ``sample``, how many population rows share its QI values (nulls match nulls)."""
    both = pd.concat([sample[list(qi)], population[list(qi)]], ignore_index=True)
    ids = _class_ids(both, qi)
    counts = np.bincount(ids[len(sample):], minlength=int(ids.max()) + 1)
    return counts[ids[: len(sample)]]


def measure_risk(
    df: pd.DataFrame,
    qi: Sequence[str],
    population: pd.DataFrame | None = None,
    threshold: float = 0.2,
) -> RiskReport:
    """Prosecutor, journalist and marketer risk of ``df`` on the quasi-identifiers ``qi``."""
    qi = list(qi)
    if not qi:
        raise ValueError("at least one quasi-identifier is needed")
    for name, table in (("table", df), ("population table", population)):
        if table is not None:
            missing = [c for c in qi if c not in table.columns]
            if missing:
                raise ValueError(f"column(s) not in the {name}: {', '.join(map(repr, missing))}")
    n = len(df)
    if n == 0:
        raise EmptyTableError("cannot measure risk: the table has no rows")
    ids = _class_ids(df, qi)
    sizes = np.bincount(ids)
    f = sizes[ids].astype(float)  # sample class size of each record
    # population class sizes, never below the sample's own (the sample is part of the population)
    big_f = f if population is None else np.maximum(_population_sizes(df, population, qi).astype(float), f)
    return RiskReport(
        records=n,
        classes=len(sizes),
        min_class_size=int(sizes.min()),
        threshold=float(threshold),
        prosecutor_average=len(sizes) / n,
        prosecutor_highest=1.0 / float(sizes.min()),
        prosecutor_records_at_risk=float(np.mean(1.0 / f > threshold)),
        journalist_average=float(np.mean(1.0 / big_f)),
        journalist_highest=float(1.0 / big_f.min()),
        journalist_records_at_risk=float(np.mean(1.0 / big_f > threshold)),
        marketer_average=float(np.mean(1.0 / big_f)),
        sample_uniques=int(np.sum(sizes == 1)),
        sample_uniques_share=float(np.sum(sizes == 1) / n),
        population_given=population is not None,
    )
