"""Turning arbitrary cells into comparable text.

The pipeline reads every column as strings, but the profiler must survive anything a
DataFrame can hold (numbers, NaN, None, bytes, mixed objects), so every entry point goes
through :func:`as_text`, which returns a pandas ``str`` Series with NA for empty cells.
Full-width forms (``１３８``, ``＋８６``, ``（０５３１）``) are common in agency exports and are
folded to ASCII once, here, for the column path and the free-text path alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

# Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E; U+3000 is the ideographic space.
FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULLWIDTH[0x3000] = 0x20
FULLWIDTH_RE = "[\uff01-\uff5e\u3000]"


def fold(text: str) -> str:
    """Full-width to half-width; same length, so span offsets stay valid on the original text."""
    return text.translate(FULLWIDTH)


def scalar_text(value: Any) -> str | None:
    """One cell as text, or None when the cell is empty. Never raises."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
    elif isinstance(value, bool | np.bool_):
        text = str(bool(value))
    elif isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        text = str(int(number)) if number.is_integer() and abs(number) < 1e18 else repr(number)
    else:
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        try:
            text = str(value)
        except Exception:  # a hostile __str__ must not break profiling
            return None
    text = text.strip()
    return text or None


def as_text(column: pd.Series) -> pd.Series:
    """The column as a ``str`` Series (stripped, full-width folded), NA where the cell is empty."""
    if isinstance(column.dtype, pd.StringDtype) or column.dtype == "str":
        series = column.astype("str")
    else:
        series = pd.Series([scalar_text(v) for v in column.tolist()], index=column.index, dtype="str")
    series = series.str.strip()
    wide = series.str.contains(FULLWIDTH_RE, regex=True, na=False)
    if wide.any():
        series = series.copy()
        series[wide] = series[wide].str.translate(FULLWIDTH)
    return series.where(series.str.len() > 0)
