"""For any chunking of a table, the aggregates the privacy stage and the guard stream over (class counts,
the search result, suppression, risk, the model check) equal the ones of the whole table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizers.classes import class_sizes, count_classes
from anonymizers.guard import leaks, uniqueness
from anonymizers.hierarchy import Hierarchy
from anonymizers.lattice import NoSolutionError, apply_chunk, apply_transformation, search
from anonymizers.privacy_models import PrivacyModelConfig, check_counts, check_model, model_columns
from anonymizers.risk import measure_risk, measure_risk_chunks
from tests.anonymizers.test_lattice import problems


def chunked(df: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    """``df`` cut at the given positions (any of them may be out of range or repeated)."""
    edges = sorted({0, len(df), *(c % (len(df) + 1) for c in cuts)})
    return [df.iloc[a:b] for a, b in zip(edges, edges[1:], strict=False)]


cuts = st.lists(st.integers(0, 40), max_size=6)
cells = st.sampled_from(["a", "b", "c", None, ""])
tables = st.lists(st.tuples(cells, cells, st.sampled_from(["0", "1", "2", None])), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(tables, cuts)
def test_class_counts_with_values_do_not_depend_on_the_chunking(rows, positions):
    df = pd.DataFrame(rows, columns=["a", "b", "s"], dtype="string")
    whole = count_classes([df], ["a", "b", "s"], keep_values=True)
    parts = count_classes(chunked(df, positions), ["a", "b", "s"], keep_values=True)
    assert parts.records == whole.records == len(df)
    assert np.array_equal(parts.keys, whole.keys) and np.array_equal(parts.counts, whole.counts)
    (wv, wc, wk), (pv, pc, pk) = whole.in_order(), parts.in_order()
    pd.testing.assert_frame_equal(pv, wv)
    assert np.array_equal(wc, pc) and np.array_equal(wk, pk)
    # first appearance order: the rows a whole-table drop_duplicates keeps, in their order
    firsts = df.astype("string").fillna("\x00").drop_duplicates().index
    assert np.array_equal(np.sort(whole.first), np.asarray(firsts))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), cuts)
def test_search_from_chunked_counts_equals_the_whole_table_search(problem, positions):
    df, qi, rows, model, limit, metric = problem
    hierarchies = {c: Hierarchy.from_rows(rows[c]) for c in qi}
    config = PrivacyModelConfig(**model)
    counter = count_classes(chunked(df, positions), model_columns(qi, config), keep_values=True)
    try:
        expected = search(df, qi, hierarchies, config, limit, metric)
    except NoSolutionError:
        with pytest.raises(NoSolutionError):
            search(counter, qi, hierarchies, config, limit, metric)
        return
    got = search(counter, qi, hierarchies, config, limit, metric)
    assert got.levels == expected.levels and got.n_rows == expected.n_rows == len(df)
    assert math.isclose(got.value, expected.value, rel_tol=1e-12, abs_tol=1e-12)
    assert got.suppressed == expected.suppressed == len(expected.suppressed_rows)
    assert np.array_equal(got.suppressed_keys, expected.suppressed_keys)
    assert got.suppressed_rows is None
    released = apply_transformation(df, expected)
    streamed = [apply_chunk(chunk, got) for chunk in chunked(df, positions)]
    pd.testing.assert_frame_equal(pd.concat(streamed), released)


models = st.sampled_from([
    {"k": 2}, {"k": 1, "l": 2.0}, {"k": 2, "l": 1.5, "l_variant": "entropy"},
    {"k": 1, "t": 0.3}, {"k": 1, "t": 0.2, "t_distance": "ordered"},
])


@settings(max_examples=100, deadline=None)
@given(tables, cuts, models, st.sampled_from([0.0, 0.2, 1.0]))
def test_model_check_from_chunked_counts_equals_the_whole_table_check(rows, positions, model, limit):
    df = pd.DataFrame(rows, columns=["a", "b", "s"], dtype="string")
    config = PrivacyModelConfig(sensitive="s" if len(model) > 1 else None, **model)
    expected = check_model(df, ["a", "b"], config, limit)
    counter = count_classes(chunked(df, positions), model_columns(["a", "b"], config), keep_values=True)
    got = check_counts(counter, ["a", "b"], config, limit)
    assert (got.anonymous, got.n_classes, got.suppressed) == (expected.anonymous, expected.n_classes,
                                                              len(expected.suppressed_rows))
    assert np.array_equal(got.suppressed_keys, expected.suppressed_keys)


@settings(max_examples=80, deadline=None)
@given(tables, cuts, st.lists(st.tuples(cells, cells), max_size=30), cuts)
def test_risk_from_chunks_equals_the_whole_table_risk(rows, positions, extra, population_cuts):
    df = pd.DataFrame(rows, columns=["a", "b", "s"], dtype="string")
    population = pd.concat([df[["a", "b"]], pd.DataFrame(extra, columns=["a", "b"], dtype="string")],
                           ignore_index=True)
    for people in (None, population):
        expected = measure_risk(df, ["a", "b"], people, threshold=0.3).to_dict()
        got = measure_risk_chunks(chunked(df, positions), ["a", "b"],
                                  None if people is None else chunked(people, population_cuts), 0.3).to_dict()
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=1e-12), name


def streamed(chunks: list[pd.DataFrame]):
    """A guard-style callable: the chunks, restricted to the columns asked for."""
    return lambda columns=None: iter([c if columns is None else c[list(columns)] for c in chunks])


@settings(max_examples=80, deadline=None)
@given(tables, cuts, st.integers(1, 200))
def test_uniqueness_attack_in_memory_bounded_passes_equals_the_whole_table_count(rows, positions, budget):
    df = pd.DataFrame(rows, columns=["a", "b", "s"], dtype="string")
    got = uniqueness.sample_uniqueness(streamed(chunked(df, positions)), ["a", "b", "s"], 2, budget=budget)
    combos = [["a"], ["b"], ["s"], ["a", "b"], ["a", "s"], ["b", "s"]]
    unique = np.zeros(len(df), dtype=bool)
    for combo in combos:
        unique |= class_sizes(df, combo) == 1
    assert got.records == len(df) and got.unique_records == int(unique.sum())
    smallest = next((c for c in combos if (class_sizes(df, c) == 1).any()), None)
    assert got.smallest_combination == (tuple(smallest) if smallest else None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["13812345678", "电话 138 1234 5678", "张伟", "x", "SI-370114199508135589-01",
                                 "无", None]), min_size=1, max_size=30), cuts)
def test_leak_count_does_not_depend_on_the_chunking(cells_out, positions):
    source = pd.DataFrame({"phone": ["13812345678", "13900001111"], "id": ["370114199508135589", None],
                           "name": ["张伟", "李娜"]}, dtype="string")
    known = leaks.collect([source], {"phone": "PHONE_NUMBER", "id": "CN_RESIDENT_ID", "name": "PERSON"})
    out = pd.DataFrame({"remark": cells_out}, dtype="string")
    whole, parts = leaks.LeakCount(), leaks.LeakCount()
    leaks.search_chunk(out, known, {"remark"}, {}, whole)
    for chunk in chunked(out, positions):
        leaks.search_chunk(chunk, known, {"remark"}, {}, parts)
    assert parts.cells == whole.cells
    expected = sum(1 for c in cells_out if c is not None and c not in ("x", "无"))
    assert whole.total() >= expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None, ""]), st.text(max_size=6),
                          st.one_of(st.none(), st.text(max_size=4))), min_size=0, max_size=60))
def test_class_keys_are_pandas_hashes_whichever_way_each_column_is_hashed(rows):
    """`row_keys` hashes a column of distinct values cell by cell and a repeating one by its distinct
    values; the keys are hash_pandas_object's of the same text either way, so a class is the same
    class in every chunk and every column mix."""
    from anonymizers.classes import _as_text, row_keys

    frame = pd.DataFrame(rows, columns=["few", "many", "some"], dtype="string")
    for columns in (["few"], ["many"], ["few", "many", "some"], ["some", "few"]):
        expected = pd.util.hash_pandas_object(_as_text(frame, columns), index=False, categorize=True)
        assert row_keys(frame, columns).tolist() == expected.to_numpy(dtype=np.uint64).tolist()


def test_class_keys_of_a_frame_with_repeated_column_names():
    from anonymizers.classes import _as_text, row_keys

    frame = pd.DataFrame([["x", "y"], ["x", "z"]], columns=["a", "a"])
    expected = pd.util.hash_pandas_object(_as_text(frame, ["a"]), index=False, categorize=True)
    assert row_keys(frame, ["a"]).tolist() == expected.to_numpy(dtype=np.uint64).tolist()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=25), max_size=8))
def test_keys_counted_chunk_by_chunk_are_the_distinct_keys_of_all_chunks(parts):
    """Each chunk merged into the sorted table by binary search: what one count of all the keys gives."""
    from anonymizers.classes import ClassCounter

    counter = ClassCounter([])
    for part in parts:
        counter.add_keys(np.array(part, dtype=np.uint64))
    everything = np.array([k for part in parts for k in part], dtype=np.uint64)
    keys, counts = np.unique(everything, return_counts=True)
    assert counter.records == len(everything)
    assert np.array_equal(counter.keys, keys) and np.array_equal(counter.counts, counts)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=25), max_size=8))
def test_the_unique_keys_of_chunks_are_the_keys_counted_once(parts):
    everything = [k for part in parts for k in part]
    keys, counts = np.unique(np.array(everything, dtype=np.uint64), return_counts=True)
    found = uniqueness._unique_keys([np.array(p, dtype=np.uint64) for p in parts])
    assert np.array_equal(found, keys[counts == 1])
