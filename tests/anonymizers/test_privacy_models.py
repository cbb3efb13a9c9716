"""Privacy models on hand-computed classes, and the monotonicity facts the search relies on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from anonymizers.privacy_models import (
    ModelConfigError,
    PrivacyModelConfig,
    SensitiveColumn,
    check_model,
    equal_distance,
    group_sensitive,
    ordered_distance,
)


def distances(values: list, classes: list[int], model: PrivacyModelConfig) -> np.ndarray:
    column = SensitiveColumn.build(pd.Series(values), model)
    class_of = np.array(classes)
    sens = group_sensitive(class_of, column.codes, None, column.n_values)
    sizes = np.bincount(class_of)
    p = sens.cnt / sizes[sens.cls]
    fn = ordered_distance if model.t_distance == "ordered" else equal_distance
    return fn(sens, p, column.overall, len(sizes))


def test_ordered_distance_reproduces_t_closeness_paper_example():
    # Li, Li & Venkatasubramanian (2007): salaries 3k..11k, class {3k,4k,5k} -> 0.375, {6k,8k,11k} -> 0.167
    salaries = [3000, 4000, 5000, 6000, 8000, 11000, 7000, 9000, 10000]
    model = PrivacyModelConfig(t=0.5, t_distance="ordered", sensitive="salary")
    d = distances(salaries, [0, 0, 0, 1, 1, 1, 2, 2, 2], model)
    assert d[0] == pytest.approx(0.375)
    assert d[1] == pytest.approx(1 / 6)
    # {7k, 9k, 10k}: |P - Q| over the first 8 values is 1,2,3,4,2,3,1,1 ninths
    assert d[2] == pytest.approx(17 / 72)


def test_ordered_distance_orders_numbers_numerically_not_as_text():
    model = PrivacyModelConfig(t=0.5, t_distance="ordered", sensitive="v")
    # 9 < 10 < 100; as text "10" < "100" < "9" would make {9, 10} far apart instead of adjacent
    d = distances(["9", "10", "100"], [0, 0, 1], model)
    assert d[1] == pytest.approx((1 / 3 + 2 / 3) / 2)


def test_equal_distance_is_total_variation():
    model = PrivacyModelConfig(t=0.5, sensitive="v")
    d = distances(["a", "a", "b", "b", "c", "c"], [0, 0, 1, 1, 1, 2], model)
    assert d[0] == pytest.approx(2 / 3)  # |1-1/3| + 1/3 + 1/3, halved
    assert d[1] == pytest.approx(0.5 * (1 / 3 + 1 / 3 + 0))  # {b, b, c}


def frame(qi_values: list[str], sensitive: list) -> pd.DataFrame:
    return pd.DataFrame({"q": qi_values, "s": sensitive})


def test_k_anonymity_suppresses_small_classes_within_the_limit():
    df = frame(["a", "a", "a", "b", "b", "c"], [1] * 6)
    strict = check_model(df, ["q"], PrivacyModelConfig(k=2), 0.0)
    assert not strict.anonymous and strict.suppressed_rows.tolist() == [5] and strict.n_classes == 3
    assert check_model(df, ["q"], PrivacyModelConfig(k=2), 1 / 6).anonymous
    assert check_model(df, ["q"], PrivacyModelConfig(k=3), 0.4).suppressed == 3


def test_distinct_and_entropy_l_diversity():
    df = frame(["a"] * 4 + ["b"] * 4, ["x", "x", "y", "y", "x", "x", "x", "y"])
    distinct = check_model(df, ["q"], PrivacyModelConfig(l=2, sensitive="s"))
    assert distinct.anonymous
    entropy = check_model(df, ["q"], PrivacyModelConfig(l=2, l_variant="entropy", sensitive="s"), 0.5)
    assert entropy.suppressed_rows.tolist() == [4, 5, 6, 7]  # H(3/4, 1/4) < log 2 = H(1/2, 1/2)
    assert check_model(df, ["q"], PrivacyModelConfig(l=3, sensitive="s"), 1.0).suppressed == 8


def test_null_values_are_a_value_of_their_own():
    df = pd.DataFrame({"q": [None, None, "a", "a"], "s": [None, "x", "x", "x"]})
    result = check_model(df, ["q"], PrivacyModelConfig(k=2, l=2, sensitive="s"), 1.0)
    assert result.n_classes == 2 and result.suppressed_rows.tolist() == [2, 3]


def test_t_closeness_check_on_a_table():
    df = frame(["a", "a", "b", "b", "b", "b"], ["y", "y", "x", "x", "x", "y"])
    # overall x 1/2: class a (no x) is 1/2 away, class b (x 3/4) 1/4 away
    model = PrivacyModelConfig(t=0.3, sensitive="s")
    assert check_model(df, ["q"], model, 1.0).suppressed_rows.tolist() == [0, 1]
    assert not check_model(df, ["q"], model, 0.3).anonymous
    assert check_model(df, ["q"], PrivacyModelConfig(t=0.5, sensitive="s")).anonymous


def test_monotonicity_facts():
    assert PrivacyModelConfig(k=5).merge_preserving
    assert PrivacyModelConfig(k=2, l=3, sensitive="s").merge_preserving
    assert not PrivacyModelConfig(l=3, l_variant="entropy", sensitive="s").merge_preserving
    assert not PrivacyModelConfig(t=0.2, sensitive="s").merge_preserving
    model = PrivacyModelConfig(k=2, l=2.5, l_variant="entropy", sensitive="s")
    assert model.min_class_size == 3 and model.min_distinct == 3


def test_entropy_of_merged_classes_can_fall_below_l_so_suppression_breaks_monotonicity():
    # class A alone satisfies entropy 2-diversity; merged with a violating class B it does not
    a = ["x", "y"]
    b = ["x", "x", "x", "x"]
    merged = pd.Series(a + b).value_counts(normalize=True)
    assert -sum(p * math.log(p) for p in merged) < math.log(2)


@pytest.mark.parametrize(
    "kwargs",
    [{"k": 0}, {"l": 0.5, "sensitive": "s"}, {"l": 2}, {"t": 1.5, "sensitive": "s"}, {"t_distance": "x"}],
)
def test_bad_configuration_is_rejected(kwargs):
    with pytest.raises(ModelConfigError):
        PrivacyModelConfig(**kwargs)


def test_suppression_limit_must_be_a_fraction():
    with pytest.raises(ModelConfigError):
        check_model(frame(["a"], [1]), ["q"], PrivacyModelConfig(), 2.0)
