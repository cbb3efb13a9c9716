"""A chunk of a published table as JSON records, encoded column by column with Arrow's compute kernels.

The published `data.json` is one array of records, written as `json.dumps(records, ensure_ascii=False)`
writes it (`", "` between items, `": "` after a key). Going through Python objects for that costs a
Python object per cell, twice (pandas' `to_json`, `json.loads`, `json.dumps`): about 6 % of a million-row
release. Here each column becomes an Arrow array of its cells' JSON text (a string escaped by
vectorized replacements, an integer cast, a float through `repr` once per distinct value), the
cells of a row are joined element-wise, and the rows are taken from the array's data buffer as
they lie. The bytes are the ones `json.dumps` writes for the same records (a property test pins it);
only a column of Python objects that are neither text nor numbers goes through `json.dumps` cell by
cell. A number that is not finite is written as `null`, as pandas writes it: `NaN` is not JSON.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# What json.dumps escapes in a string (ensure_ascii=False): the backslash first, so that the
# backslashes the other replacements add are not doubled again.
_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\b", "\\b"),
            ("\f", "\\f")]
_OTHER_CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n\r\t\b\f"]
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _escaped(text: pa.Array) -> pa.Array:
    """String cells as JSON string literals (quotes included); nulls stay null."""
    if pc.any(pc.match_substring_regex(text, _NEEDS_ESCAPE)).as_py():
        for char, escape in _ESCAPES:
            text = pc.replace_substring(text, char, escape)
        for char in _OTHER_CONTROLS:
            text = pc.replace_substring(text, char, f"\\u{ord(char):04x}")
    return pc.binary_join_element_wise(_large('"'), text, _large('"'), _large(""))


def float_literals(values: pd.Series, infinite: bool = False) -> pa.Array:
    """Floats as `repr` writes them (as json.dumps and pandas' to_csv do), once per distinct value;
    missing and NaN: null, and so are infinities unless `infinite` (CSV writes `inf`, JSON cannot)."""
    array = pa.array(values.astype("Float64"), from_pandas=True, type=pa.float64())
    encoded = pc.dictionary_encode(array)
    keep = (lambda v: not math.isnan(v)) if infinite else math.isfinite
    literals = [repr(v) if v is not None and keep(v) else None for v in encoded.dictionary.to_pylist()]
    return pa.array(literals, type=pa.large_string()).take(encoded.indices)


def _python_values(values: pd.Series) -> pa.Array:
    """Any other column: each cell as json.dumps writes the value pandas' `to_json` gives for it."""
    cells = json.loads(values.to_json(orient="values", force_ascii=False))
    return pa.array([json.dumps(v, ensure_ascii=False) for v in cells], type=pa.large_string())


def _is_text(values: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return True
    return values.dtype == object and all(isinstance(v, str) for v in values.dropna().tolist())


def typed_cells(values: pd.Series, booleans: tuple[str, str], infinite: bool) -> tuple[pa.Array, bool] | None:
    """A column's cells as Arrow text by their type, null where missing, and whether they are text (a
    writer quotes or escapes those); None for a column of other Python objects. `booleans`: how true and
    false are written; `infinite`: whether infinities are written (`float_literals`). Shared by the
    data.json and data.csv writers, which differ only in those and in how text is quoted."""
    values = values.reset_index(drop=True)
    text = False
    if pd.api.types.is_bool_dtype(values.dtype):
        cells = pc.if_else(pa.array(values, from_pandas=True, type=pa.bool_()), *map(_large, booleans))
    elif pd.api.types.is_integer_dtype(values.dtype):
        cells = pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    elif pd.api.types.is_float_dtype(values.dtype):
        cells = float_literals(values, infinite)
    elif _is_text(values):
        cells, text = pa.array(values.astype("string"), from_pandas=True, type=pa.large_string()), True
    else:
        return None
    # A column pandas keeps in several Arrow chunks (after a concat) is one array: masks line up with it.
    return (cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells), text


def column_literals(values: pd.Series) -> pa.Array:
    """The JSON text of each cell of a column, `null` for a missing one (large strings: a chunk's text
    may pass 2 GB)."""
    typed = typed_cells(values, ("true", "false"), infinite=False)
    if typed is None:
        return pc.fill_null(_python_values(values.reset_index(drop=True)), _large("null"))
    cells, text = typed
    return pc.fill_null(_escaped(cells) if text else cells, _large("null"))


def json_records(frame: pd.DataFrame) -> bytes:
    """The records of `frame` as the items of a JSON array (no brackets), in UTF-8; empty for no rows."""
    if not len(frame):
        return b""
    if not len(frame.columns):
        return ", ".join(["{}"] * len(frame)).encode("utf-8")
    pieces: list[pa.Array | pa.Scalar] = []
    for position, name in enumerate(frame.columns):
        key = json.dumps(str(name), ensure_ascii=False) + ": "
        pieces.append(_large(("{" if position == 0 else ", ") + key))
        pieces.append(column_literals(frame.iloc[:, position]))
    pieces.append(_large("}, "))
    rows = pc.binary_join_element_wise(*pieces, _large(""))  # one pass: every cell, key and brace of a row
    return joined_bytes(rows)[:-2]  # the last row: no ", "


def joined_views(rows: pa.Array | pa.ChunkedArray) -> list[memoryview]:
    """All strings of a large-string array end to end, in UTF-8, as views of its data buffers as they
    lie: no Python string per row, and no copy (a file or a hash takes the views as they are)."""
    views = []
    for chunk in rows.chunks if isinstance(rows, pa.ChunkedArray) else [rows]:
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=len(chunk) + 1, offset=chunk.offset * 8)
        views.append(memoryview(chunk.buffers()[2])[offsets[0] : offsets[-1]])
    return views


def joined_bytes(rows: pa.Array | pa.ChunkedArray) -> bytes:
    """:func:`joined_views` as one bytes object."""
    return b"".join(joined_views(rows))
