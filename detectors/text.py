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
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

# Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E; U+3000 is the ideographic space.
FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULLWIDTH[0x3000] = 0x20
# Hyphens and dashes (U+2010..U+2015) inside numbers: 0531‐86123456.
FULLWIDTH.update({code: ord("-") for code in range(0x2010, 0x2016)})
FULLWIDTH_RE = "[\uff01-\uff5e\u3000\u2010-\u2015]"
# FULLWIDTH as a lookup table over the BMP (every folded character lies there), for fold_many.
_FOLD_TABLE = np.arange(0x10000, dtype=np.uint32)
_FOLD_TABLE[list(FULLWIDTH)] = list(FULLWIDTH.values())


def fold(text: str) -> str:
    """Full-width to half-width, dashes to '-'; same length, so span offsets stay valid on the original."""
    return text.translate(FULLWIDTH)


def fold_many(texts: list[str]) -> list[str]:
    """``[fold(t) for t in texts]``, on all the texts' code points at once.

    ``str.translate`` looks every character up in a dict (0.8 s per million remarks); here the texts
    are joined, read as UTF-32 code units (one per character, lone surrogates included), mapped
    through the same table with numpy, then cut back at the same lengths."""
    if not texts:
        return []
    units = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    in_bmp = units < 0x10000
    units[in_bmp] = _FOLD_TABLE[units[in_bmp]]
    folded = units.tobytes().decode("utf-32-le", "surrogatepass")
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))).tolist()
    return [folded[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


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


def _all_ascii(series: pd.Series) -> bool:
    """Whether every cell of a str Series is ASCII (missing cells count as ASCII)."""
    if not isinstance(series.array, ArrowStringArray):
        return False
    array = pa.array(series.array)
    return bool(pc.all(pc.string_is_ascii(array)).as_py() is not False)


def as_text(column: pd.Series) -> pd.Series:
    """The column as a ``str`` Series (stripped, full-width folded), NA where the cell is empty."""
    if isinstance(column.dtype, pd.StringDtype) or column.dtype == "str":
        series = column.astype("str")
    else:
        series = pd.Series([scalar_text(v) for v in column.tolist()], index=column.index, dtype="str")
    series = series.str.strip()
    if _all_ascii(series):  # nothing to fold, and Arrow's ASCII test costs a tenth of the regex
        return series.where(series.str.len() > 0)
    wide = series.str.contains(FULLWIDTH_RE, regex=True, na=False).to_numpy(dtype=bool)
    if wide.any():
        series = series.copy()
        series[wide] = pd.array(fold_many(series[wide].tolist()), dtype=series.dtype)
    return series.where(series.str.len() > 0)


WHITESPACE = " \t\n\r\f\v\xa0"
# Every character Python's \s matches in a str pattern (str.isspace; all in the BMP), as the characters
# themselves: inside a class, pyarrow's RE2 and Python's re read them alike, so a pattern that must mean
# exactly \s (a leak's separators, a formula's leading spaces) can still run vectorized.
PYTHON_SPACES = "".join(c for c in map(chr, range(0x10000)) if c.isspace())


def re2(pattern: str) -> str:
    r"""Rewrite a pattern so pandas can hand it to pyarrow's RE2 engine instead of Python's ``re``.

    pandas falls back to a per-cell Python loop (about 10x slower) when a pattern uses ``\d``,
    ``\s``, ``\S`` or ``\uXXXX`` escapes, because RE2 reads those differently on non-ASCII text.
    Writing them out as explicit ASCII classes keeps the meaning we want (ASCII digits after
    full-width folding) and keeps the vectorized path vectorized.
    """
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "d":
                out.append("0-9" if in_class else "[0-9]")
            elif nxt == "s":
                out.append(WHITESPACE if in_class else f"[{WHITESPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{WHITESPACE}]")
            elif nxt == "u" and i + 5 < len(pattern):
                out.append(chr(int(pattern[i + 2 : i + 6], 16)))
                i += 6
                continue
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            i += 1
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)
