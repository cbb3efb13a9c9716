"""data.csv is written column by column with Arrow, and its bytes are the ones pandas' to_csv writes."""

from __future__ import annotations

import datetime

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from catalog.csv_rows import LINE_END, csv_rows

awkward = st.sampled_from(['"', ",", "\r", "\n", "\r\n", '""', " ", "", "名字,", "a\"b", "\t", "\u3000"])
texts = st.one_of(st.none(), st.text(max_size=10), awkward)
integers = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
booleans = st.one_of(st.none(), st.booleans())
names = st.one_of(st.text(max_size=6), awkward)


def pandas_csv(frame: pd.DataFrame, header: bool) -> bytes:
    return frame.to_csv(index=False, header=header, lineterminator=LINE_END).encode("utf-8")


@given(st.lists(st.tuples(texts, integers, floats, booleans, texts), max_size=25), st.lists(names, min_size=5,
       max_size=5), st.booleans())
def test_rows_are_the_bytes_pandas_writes(rows, header, with_header):
    frame = pd.DataFrame({
        0: pd.array([r[0] for r in rows], dtype="string"),
        1: pd.array([r[1] for r in rows], dtype="Int64"),
        2: pd.array([r[2] for r in rows], dtype="Float64") if rows else pd.array([], dtype="Float64"),
        3: pd.array([r[3] for r in rows], dtype="boolean"),
        4: pd.Series([r[4] for r in rows], dtype=object),  # dates as ISO text or None, as publish gives them
    })
    frame.columns = header
    assert csv_rows(frame, with_header) == pandas_csv(frame, with_header)


@given(st.lists(texts, max_size=25), names, st.booleans())
def test_a_row_of_one_empty_cell_is_quoted_as_the_csv_module_does(values, name, with_header):
    frame = pd.DataFrame({name: pd.array(values, dtype="string")})
    assert csv_rows(frame, with_header) == pandas_csv(frame, with_header)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=25))
def test_numpy_floats_are_written_as_pandas_writes_them(values):
    frame = pd.DataFrame({"x": pd.Series(values, dtype="float64"), "y": 1})
    assert csv_rows(frame, True) == pandas_csv(frame, True)


def test_a_column_of_other_python_objects_is_left_to_pandas():
    frame = pd.DataFrame({"day": [datetime.date(2024, 1, 2), None], "n": [1, 2]})
    assert csv_rows(frame, True) == pandas_csv(frame, True)


def test_no_rows_write_the_header_alone():
    frame = pd.DataFrame({"a": pd.array([], dtype="string"), "b,c": pd.array([], dtype="Int64")})
    assert csv_rows(frame, True) == pandas_csv(frame, True) == b'a,"b,c"\r\n'
    assert csv_rows(frame, False) == b""


def test_a_column_pandas_keeps_in_several_arrow_chunks_is_written_alike():
    """After a concat, pandas holds a text column in several Arrow chunks; quoting must still line up."""
    head = pd.DataFrame({"a": pd.array(["x", "y"], dtype="string[pyarrow]"), "b": 1})
    tail = pd.DataFrame({"a": pd.array(["x,y", None], dtype="string[pyarrow]"), "b": 2})
    frame = pd.concat([head, tail], ignore_index=True)
    assert csv_rows(frame, True) == pandas_csv(frame, True)
    alone = pd.concat([head[["a"]], tail[["a"]]], ignore_index=True)
    assert csv_rows(alone, True) == pandas_csv(alone, True)


def test_names_that_are_not_text_and_narrow_floats_are_left_to_pandas():
    frame = pd.DataFrame({"x": pd.Series([0.1], dtype="float16"), "y": 1})
    assert csv_rows(frame, True) == pandas_csv(frame, True)
    unnamed = pd.DataFrame([["a", "b"]], columns=[None, 7])
    assert csv_rows(unnamed, True) == pandas_csv(unnamed, True)
