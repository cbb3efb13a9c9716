"""Risk figures on hand-computed tiny tables."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizers.risk import EmptyTableError, measure_risk

# classes on (a, b): (x, 1) once, (x, 2) twice, (y, 1) three times
SAMPLE = pd.DataFrame({"a": ["x", "x", "x", "y", "y", "y"], "b": [1, 2, 2, 1, 1, 1]})


def test_prosecutor_and_marketer_without_population():
    report = measure_risk(SAMPLE, ["a", "b"], threshold=0.4)
    assert report.records == 6 and report.classes == 3 and report.min_class_size == 1
    assert report.prosecutor_average == pytest.approx(0.5)
    assert report.prosecutor_highest == 1.0
    assert report.prosecutor_records_at_risk == pytest.approx(3 / 6)  # sizes 1 and 2: 1/f > 0.4
    assert report.marketer_average == pytest.approx(0.5)
    assert report.sample_uniques == 1 and report.sample_uniques_share == pytest.approx(1 / 6)
    assert report.journalist_highest == report.prosecutor_highest and not report.population_given
    assert measure_risk(SAMPLE, ["a", "b"]).prosecutor_records_at_risk == 1.0  # threshold 0.2: all


def test_journalist_against_a_population():
    population = pd.DataFrame({
        "a": ["x"] * 2 + ["x"] * 4 + ["y"] * 3 + ["z"] * 5,
        "b": [1] * 2 + [2] * 4 + [1] * 3 + [9] * 5,
    })
    report = measure_risk(SAMPLE, ["a", "b"], population=population, threshold=0.4)
    assert report.population_given
    assert report.journalist_highest == pytest.approx(1 / 2)
    assert report.journalist_average == pytest.approx((1 / 2 + 2 / 4 + 3 / 3) / 6)
    assert report.journalist_records_at_risk == pytest.approx(1 / 6)
    assert report.marketer_average == pytest.approx((1 / 2 + 2 / 4 + 3 / 3) / 6)
    assert report.prosecutor_highest == 1.0  # the sample alone is unchanged


def test_nulls_are_their_own_value_and_to_dict_is_plain():
    df = pd.DataFrame({"a": [None, None, "x", float("nan")]})
    report = measure_risk(df, ["a"])
    assert report.classes == 2 and report.min_class_size == 1
    plain = report.to_dict()
    assert plain["classes"] == 2 and type(plain["classes"]) is int
    assert type(plain["prosecutor_average"]) is float and plain["population_given"] is False


def test_empty_table_and_missing_columns_are_errors():
    with pytest.raises(EmptyTableError, match="no rows"):
        measure_risk(SAMPLE.iloc[:0], ["a"])
    with pytest.raises(ValueError, match="'zz'"):
        measure_risk(SAMPLE, ["zz"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.integers(0, 2)), min_size=1, max_size=25),
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(0, 3)), max_size=40),
)
def test_risk_matches_plain_groupby_and_orders_the_attackers(sample_rows, extra_rows):
    sample = pd.DataFrame(sample_rows, columns=["a", "b"])
    population = pd.concat([sample, pd.DataFrame(extra_rows, columns=["a", "b"])], ignore_index=True)
    report = measure_risk(sample, ["a", "b"], population=population)
    sizes = sample.fillna({"a": "<null>"}).groupby(["a", "b"]).size()
    assert report.classes == len(sizes) and report.min_class_size == sizes.min()
    assert report.prosecutor_average == pytest.approx(len(sizes) / len(sample))
    assert report.sample_uniques == (sizes == 1).sum()
    assert report.prosecutor_highest >= report.journalist_highest
    assert report.prosecutor_average >= report.marketer_average - 1e-12
