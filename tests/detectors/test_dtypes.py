"""Every column dtype pandas hands the profiler, with every kind of missing value, chunked or not.

pyarrow-backed columns arrive as several chunks after ``pd.concat`` (and from readers that
build tables chunk by chunk); the profiler must give the same answer as for one chunk.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import profile_chunks, profile_frame

STRING_DTYPES = ["string[python]", "string[pyarrow]", "str", "object"]
MISSING = [None, np.nan, pd.NA]
ID = "11010519491231002X"  # GB 11643's own example
CELLS = ["男", "女", ID, "13812345678", "138****5678", "张伟", "联系人王芳，电话13812345678，请补交材料。",
         "１３８１２３４５６７８", "历下区", "  ", ""]


def _column(values: list, dtype: str) -> pd.Series:
    if dtype == "object":
        return pd.Series(values, dtype=object)
    return pd.Series(pd.array(values, dtype=dtype))


def _expected_non_empty(values: list) -> int:
    return sum(1 for v in values if isinstance(v, str) and v.strip())


@pytest.mark.parametrize("dtype", ["string", *STRING_DTYPES])
def test_concatenated_string_columns_do_not_crash(dtype):
    a = pd.DataFrame({"x": _column(["男", "女"], dtype)})
    both = pd.concat([a, a])
    profile = profile_frame(both)
    assert profile.column("x").non_empty == 4
    assert profile.column("x").quasi_identifier


@pytest.mark.parametrize("dtype", STRING_DTYPES)
def test_chunked_columns_give_the_same_profile(dtype):
    # Masked cells, Han and ASCII cells and prose: every path that hands the column to pyarrow.
    part = [ID, "138****5678", "13812345678", None, "联系人王芳，电话13812345678，请补交材料。", "张伟", "男"]
    parts = [pd.DataFrame({"c": _column(part, dtype), "身份证号": _column([ID] * len(part), dtype)})] * 3
    chunked = pd.concat(parts, ignore_index=True)
    if dtype in ("string[pyarrow]", "str"):
        assert pa.array(chunked["c"].array).num_chunks == 3  # the case under test really is chunked
    whole = pd.DataFrame({"c": _column(part * 3, dtype), "身份证号": _column([ID] * len(part) * 3, dtype)})
    assert profile_frame(chunked) == profile_frame(whole) == profile_chunks(parts)
    column = profile_frame(chunked).column("c")
    assert column.masked == 3 and column.non_empty == 18
    assert {e.type for e in column.evidence} >= {"CN_RESIDENT_ID", "PHONE_NUMBER"}


text_cells = st.one_of(st.sampled_from(MISSING), st.sampled_from(CELLS), st.text(max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(text_cells, max_size=12), st.lists(text_cells, max_size=12), st.sampled_from(STRING_DTYPES))
def test_string_dtypes_with_any_missing_value(first, second, dtype):
    frames = [pd.DataFrame({"x": _column(part, dtype)}) for part in (first, second)]
    both = pd.concat(frames, ignore_index=True)
    profile = profile_frame(both)
    column = profile.column("x")
    values = first + second
    assert profile.rows == len(values)
    assert column.non_empty == _expected_non_empty([v.strip() if isinstance(v, str) else v for v in values])
    assert 0 <= column.masked <= column.non_empty
    assert profile == profile_chunks(frames)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


numbers = st.one_of(
    st.sampled_from(MISSING),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([13812345678, 0, -1]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(numbers, max_size=15), st.sampled_from(["Int64", "Float64", "float64", "object"]))
def test_numeric_dtypes_with_any_missing_value(values, dtype):
    if dtype == "float64":
        series = pd.Series([np.nan if v is None or v is pd.NA else v for v in values], dtype="float64")
    elif dtype == "object":
        series = pd.Series(values, dtype=object)
    else:
        series = pd.Series(pd.array(values, dtype=dtype))
    frame = pd.DataFrame({"n": series})
    both = pd.concat([frame, frame], ignore_index=True)
    column = profile_frame(both).column("n")
    present = [v for v in values if not _missing(v)]
    assert column.non_empty == 2 * len(present)
    if present and all(v == 13812345678 for v in present):
        assert column.primary == "PHONE_NUMBER"


def test_all_missing_columns_of_every_dtype():
    columns = {f"{dtype}": _column([None, np.nan, pd.NA], dtype) for dtype in STRING_DTYPES}
    columns["Int64"] = pd.Series(pd.array([None, pd.NA, None], dtype="Int64"))
    columns["float64"] = pd.Series([np.nan] * 3)
    frame = pd.DataFrame(columns)
    profile = profile_frame(pd.concat([frame, frame]))
    assert all(c.non_empty == 0 and c.evidence == () for c in profile.columns)
