"""Record identifiers: enrolment, case and account numbers, found by shape and distinctness, chunk by chunk."""

from __future__ import annotations

from unittest.mock import patch

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import records
from detectors.records import record_identifiers


def table(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "参保人编号": [f"SI{i:09d}" for i in range(rows)],
        "姓名": [f"王{'伟芳娜敏静丽强磊军洋'[i % 10]}{'一二三四五六七八九十'[i // 10 % 10]}" for i in range(rows)],
        "缴费基数": [str(4000 + (i * 37) % 900 * 10) for i in range(rows)],
        "序号": [str(i + 1) for i in range(rows)],
        "参保日期": [f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}" for i in range(rows)],
        "备注": ["按时足额缴费。"] * rows,
    }, dtype="string")


def chunks(frame: pd.DataFrame, size: int):
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def test_enrolment_numbers_and_running_numbers_are_record_identifiers_names_amounts_and_dates_are_not():
    found = {r.column for r in record_identifiers([table(300)])}
    assert found == {"参保人编号", "序号"}


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(min_value=20, max_value=400), size=st.integers(min_value=1, max_value=450),
       sample=st.sampled_from([30, 100, records.SHAPE_SAMPLE]))
def test_any_chunking_finds_what_the_whole_table_does(rows, size, sample):
    """Also when code shapes are tested on a sample: the sample is the column's first cells, whatever the chunks."""
    frame = table(rows)
    with patch.object(records, "SHAPE_SAMPLE", sample):
        assert record_identifiers(chunks(frame, size)) == record_identifiers([frame])


def test_a_column_of_names_is_no_longer_followed_after_its_first_chunk():
    """Its hashes would be most of the memory on a table of millions of rows."""
    frame = table(200)
    frame.loc[150:, "姓名"] = [f"X{i:08d}" for i in range(50)]  # codes only in a late chunk: still not an ID
    assert "姓名" not in {r.column for r in record_identifiers(chunks(frame, 50))}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=6))
def test_the_distinct_count_of_hash_parts_is_that_of_all_their_values(parts):
    """Counted by one sort in place (np.unique's extra copy was the end-of-pass peak at 10 M rows)."""
    import numpy as np

    arrays = [np.array(p, dtype=np.uint64) for p in parts]
    expected = len({v for p in parts for v in p})
    merged = records.sorted_distinct(arrays)
    assert merged.tolist() == sorted({v for p in parts for v in p})
    assert len(merged) == expected
    assert arrays == []  # the parts are dropped once merged


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.from_regex(r"[0-9]{1,17}", fullmatch=True), st.sampled_from(["12a", "１２", "-3", "1.5"])),
                min_size=1, max_size=40))
def test_a_running_number_is_counted_over_the_cells_of_at_most_fifteen_ascii_digits(cells):
    """How many cells are integers and their range: what reading every such cell as a number gives."""
    import re

    state = records._Counts()
    records._count_chunk(state, pd.Series(cells, dtype="string"))
    numbers = [int(c) for c in cells if re.fullmatch(r"[0-9]{1,15}", c, flags=re.ASCII)]
    assert state.integers == len(numbers)
    if numbers:
        assert (state.low, state.high) == (float(min(numbers)), float(max(numbers)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789AB-/．１", max_size=8), min_size=1, max_size=30))
def test_three_digits_are_found_by_one_search(cells):
    """A code needs at least three ASCII digits: the search says so wherever a count of them would."""
    text = pd.Series(cells, dtype="string")
    found = text.str.contains(records.THREE_DIGITS, regex=True).tolist()
    assert found == [sum(c in "0123456789" for c in cell) >= 3 for cell in cells]
