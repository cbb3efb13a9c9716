"""Properties of the guard's building blocks: chunked class counts, mask candidates, leak normalisation."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from anonymizers.classes import ClassCounter, class_sizes
from anonymizers.guard import leaks, masks, uniqueness

values = st.one_of(st.none(), st.sampled_from(["男", "女", "历下区", "1990", "", " "]), st.integers(0, 3).map(str))
rows = st.lists(st.tuples(values, values), min_size=0, max_size=60)


@given(rows, st.integers(1, 7))
def test_class_sizes_summed_over_chunks_equal_the_whole_table_count(data, chunk):
    frame = pd.DataFrame(data, columns=["a", "b"], dtype="object")
    counter = ClassCounter(["a", "b"])
    for start in range(0, len(frame), chunk):
        counter.add(frame.iloc[start:start + chunk])
    whole = Counter((("\0" if a is None else a), ("\0" if b is None else b)) for a, b in data)
    assert sorted(counter.counts.tolist()) == sorted(whole.values())
    assert counter.records == len(frame)
    if len(frame):
        from anonymizers.classes import row_keys

        assert counter.sizes_of(row_keys(frame, ["a", "b"])).tolist() == class_sizes(frame, ["a", "b"]).tolist()


@given(rows, st.integers(1, 7))
def test_a_rows_key_does_not_depend_on_the_rows_beside_it(data, chunk):
    """Keys hash each chunk's distinct values: a value must hash alike whatever else its chunk holds."""
    from anonymizers.classes import row_keys

    frame = pd.DataFrame(data, columns=["a", "b"], dtype="object")
    whole = row_keys(frame, ["a", "b"]).tolist()
    pieces = [row_keys(frame.iloc[start:start + chunk], ["a", "b"]).tolist() for start in range(0, len(frame), chunk)]
    assert [key for piece in pieces for key in piece] == whole
    one_by_one = [row_keys(frame.iloc[[i]], ["a", "b"]).tolist()[0] for i in range(len(frame))]
    assert one_by_one == whole


@given(rows)
def test_missing_cells_of_every_kind_are_one_value(data):
    frame = pd.DataFrame(data, columns=["a", "b"], dtype="object")
    nan_frame = frame.where(frame.notna(), float("nan"))
    assert class_sizes(frame, ["a", "b"]).tolist() == class_sizes(nan_frame, ["a", "b"]).tolist()




@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sets(st.integers(0, 17), max_size=18))
def test_hiding_more_of_a_resident_id_never_leaves_fewer_candidates(digits, hidden):
    shown = digits + "X"
    masked = "".join("*" if i in hidden else c for i, c in enumerate(shown))
    more = "".join("*" if i in hidden or i == min(set(range(18)) - hidden, default=0) else c
                   for i, c in enumerate(shown))
    assert masks.resident_id(more) >= masks.resident_id(masked) or masks.resident_id(masked) == 0


@given(st.text(alphabet="0123456789", min_size=11, max_size=11).map(lambda t: "1" + t[1:]),
       st.integers(0, 11), st.integers(0, 11))
def test_phone_candidates_are_ten_per_hidden_digit_after_the_prefix(number, first, last):
    first, last = min(first, 11), min(last, 11 - min(first, 11))
    shown = number[:first] + "*" * (11 - first - last) + number[11 - last:] if last else number[:first] + "*" * (
        11 - first)
    count = masks.phone(shown)
    if first >= 3:
        assert count in (0.0, float(10 ** shown[3:].count("*")))


@given(st.text(alphabet="0123456789 -－１２３４５６７８９０", min_size=6, max_size=24))
def test_leak_normalisation_ignores_separators_and_width(text):
    folded = unicodedata.normalize("NFKC", text)
    plain = "".join(c for c in folded if c.isdigit())
    assert leaks.normalise(pd.Series([text], dtype="string")).iloc[0] == plain


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.sampled_from("01")), min_size=1,
                max_size=40))
def test_uniqueness_flags_exactly_the_records_unique_on_some_small_combination(data):
    frame = pd.DataFrame(data, columns=["p", "q", "r"])
    found = uniqueness.sample_uniqueness(lambda columns=None: iter([frame]), ["p", "q", "r"], 2)
    expected = 0
    combos = [["p"], ["q"], ["r"], ["p", "q"], ["p", "r"], ["q", "r"]]
    sizes = [class_sizes(frame, c) for c in combos]
    for i in range(len(frame)):
        expected += any(s[i] == 1 for s in sizes)
    assert found.unique_records == expected


def test_zayatz_equals_sample_uniques_when_the_table_is_the_population():
    assert uniqueness.zayatz({1: 10, 5: 20}, 1.0).population_uniques == 10
    small = uniqueness.zayatz({1: 10, 5: 20}, 0.01)
    assert 0 < small.population_uniques < 10


NUMBERISH = st.text(alphabet="0129.-+eEinfatyINFAxP元,% ", max_size=10)


@given(st.lists(NUMBERISH, max_size=30))
def test_cells_read_as_numbers_are_those_pandas_reads_once_units_are_set_aside(cells):
    """The shape test before to_numeric only saves time: the same cells become the same numbers."""
    from anonymizers.guard.checks import NUMBER_NOISE, PLACEHOLDERS, _as_numbers

    text = pd.Series(cells, dtype="string")
    cleaned = text.str.replace(NUMBER_NOISE, "", regex=True).where(~text.str.strip().isin(PLACEHOLDERS))
    expected = pd.to_numeric(cleaned, errors="coerce")
    got = _as_numbers(text)
    assert got.isna().tolist() == expected.isna().tolist()
    assert got.dropna().astype(float).tolist() == expected.dropna().astype(float).tolist()


PROSE = st.one_of(st.none(), st.text(alphabet="13890X电话，ab@%+ 、", max_size=40))


@given(st.lists(PROSE, max_size=20), st.sampled_from([leaks.TOKEN, leaks.DIGIT_RUN]))
def test_tokens_found_in_prose_are_those_python_re_finds(cells, pattern):
    text = pd.Series(cells, dtype="string")
    expected = text.str.findall(pattern).explode().dropna()
    got = leaks._findall(text, pattern)
    def pairs(found: pd.Series) -> list:
        return sorted(zip(found.index, found.tolist(), strict=True))

    assert pairs(got) == pairs(expected)
