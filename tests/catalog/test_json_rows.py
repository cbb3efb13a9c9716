"""data.json is written column by column with Arrow, and its bytes are the ones json.dumps writes."""

from __future__ import annotations

import json
import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from catalog.json_rows import json_records

awkward = st.sampled_from(['"', "\\", "\\n", "\n\r\t\b\f", "\x00\x1f", "名字"])
texts = st.one_of(st.none(), st.text(max_size=12), awkward)
integers = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
booleans = st.one_of(st.none(), st.booleans())


def dumped(records: list[dict]) -> bytes:
    """What the writer must equal: json.dumps of the records, not-finite numbers as null."""
    clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in records]
    return json.dumps(clean, ensure_ascii=False)[1:-1].encode("utf-8")


@given(st.lists(st.tuples(texts, integers, floats, booleans), max_size=30))
def test_records_are_the_bytes_json_dumps_writes(rows):
    frame = pd.DataFrame({
        "备注": pd.array([r[0] for r in rows], dtype="string"),
        "count": pd.array([r[1] for r in rows], dtype="Int64"),
        "amount": pd.array([r[2] for r in rows], dtype="Float64") if rows else pd.array([], dtype="Float64"),
        'odd "key"\n': pd.array([r[3] for r in rows], dtype="boolean"),
    })
    records = [{"备注": t, "count": i, "amount": f, 'odd "key"\n': b} for t, i, f, b in rows]
    assert json_records(frame) == dumped(records)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30))
def test_numpy_floats_keep_every_digit_and_not_finite_ones_become_null(values):
    frame = pd.DataFrame({"x": pd.Series(values, dtype="float64")})
    assert json_records(frame) == dumped([{"x": v} for v in values])


def test_zero_and_negative_zero_stay_apart():
    """Floats are encoded once per distinct value: -0.0 must not take 0.0's text."""
    assert json_records(pd.DataFrame({"x": [0.0, -0.0]})) == b'{"x": 0.0}, {"x": -0.0}'


def test_a_column_of_other_python_objects_is_dumped_cell_by_cell():
    frame = pd.DataFrame({"obj": [{"b": 1, "a": [1, "x"]}, None, 3]})
    assert json.loads(b"[" + json_records(frame) + b"]") == [{"obj": {"b": 1, "a": [1, "x"]}}, {"obj": None},
                                                              {"obj": 3}]


def test_no_rows_write_nothing_and_no_columns_write_empty_objects():
    assert json_records(pd.DataFrame({"a": pd.array([], dtype="string")})) == b""
    assert json_records(pd.DataFrame(index=range(2))) == b"{}, {}"
