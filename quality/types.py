"""Published column types, inferred from a DataFrame the way a consumer of the release sees them.

The names are those of `catalog.record.PublishedColumn.type`, so a type recorded with one release can
be compared with the type inferred for the next one: a drift between releases breaks consumers who
load the files with a fixed schema, which is why the suite checks it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from pandas.api import types as ptypes

PublishedType = Literal["string", "integer", "number", "boolean", "date", "datetime"]
PUBLISHED_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean", "date", "datetime")
NUMERIC_TYPES: tuple[str, ...] = ("integer", "number")

_INFERRED = {
    "string": "string", "empty": "string", "bytes": "string",
    "integer": "integer", "floating": "number", "mixed-integer-float": "number", "decimal": "number",
    "boolean": "boolean", "date": "date", "datetime": "datetime", "datetime64": "datetime",
}


def published_type(series: pd.Series) -> PublishedType:
    """The type a column is published as: decided by its dtype, or by its values for object columns."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype) or ptypes.is_complex_dtype(dtype):
        return "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "date" if _all_midnight(series) else "datetime"
    if isinstance(dtype, pd.PeriodDtype):
        return "date"
    if ptypes.is_string_dtype(dtype) and not ptypes.is_object_dtype(dtype):
        return "string"
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "date" or (kind == "mixed" and _all_dates(series)):
        return "date"
    return _INFERRED.get(kind, "string")  # type: ignore[return-value]


def published_types(frame: pd.DataFrame) -> dict[str, PublishedType]:
    return {str(name): published_type(frame[name]) for name in frame.columns}


def _all_midnight(series: pd.Series) -> bool:
    values = series.dropna()
    return len(values) > 0 and bool((values == values.dt.normalize()).all())


def _all_dates(series: pd.Series) -> bool:
    values = series.dropna()
    return len(values) > 0 and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values)
