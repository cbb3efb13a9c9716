"""Differentially private aggregates (anonymizers.dp): the noise matches the budget OpenDP accounts for.

OpenDP draws its noise from the operating system's cryptographic generator and, by design, cannot be
seeded: a seeded DP sampler is a predictable one. So the statistical tests draw many independent
samples (one per cell of a large all-zero table, or many releases of a small one) and test the
empirical figures against OpenDP's scale with bounds at about five standard errors: a false failure
has a probability below one in a million.
"""

from __future__ import annotations

import math

import numpy as np
import opendp.prelude as dp
import pandas as pd
import pytest

from anonymizers.dp import (
    Budget,
    Dimension,
    ExactCells,
    Measure,
    Query,
    accumulate,
    approx_dp,
    noisy_vector,
    plan_grid_measures,
    release,
)

dp.enable_features("contrib")

DISTRICTS = ("历下区", "市中区", "钢城区")
YEARS = tuple(str(y) for y in range(2020, 2025))


def query(budget: Budget | None = None, measures=None, contributions: int = 1, **kwargs) -> Query:
    return Query(
        dimensions=(Dimension("区县", DISTRICTS, "区县"), Dimension("参保日期", YEARS, "参保年份", part="year")),
        measures=measures or (Measure("count", "人数"),), budget=budget or Budget(epsilon=1.0),
        contributions=contributions, **kwargs)


def people(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["区县", "参保日期", "缴费基数"]).astype(str)


def discrete_laplace_variance(scale: float) -> float:
    """Var of the discrete Laplace with P(k) ∝ exp(-|k| / scale): 2q / (1 - q)², q = exp(-1/scale)."""
    q = math.exp(-1.0 / scale)
    return 2 * q / (1 - q) ** 2


# ----- the noise matches the budget -------------------------------------------------------------


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 2.0])
def test_count_noise_variance_matches_the_scale_opendp_reports_for_epsilon(epsilon):
    q = query(Budget(epsilon=epsilon))
    (plan,) = plan_grid_measures(q, 15)
    assert plan.epsilon == pytest.approx(epsilon) and plan.scale == pytest.approx(1 / epsilon)
    draws = np.array(noisy_vector([0] * 40_000, plan, zcdp=False), dtype=float)
    expected = discrete_laplace_variance(plan.scale)
    # The sample variance of 40,000 Laplace draws has a relative standard error of about 1.6 %.
    assert draws.var() == pytest.approx(expected, rel=0.09)
    assert abs(draws.mean()) < 5 * math.sqrt(expected / len(draws))


def test_five_percent_of_cells_fall_outside_the_95_percent_accuracy_opendp_reports():
    (plan,) = plan_grid_measures(query(Budget(epsilon=0.5)), 15)
    assert plan.accuracy == pytest.approx(dp.discrete_laplacian_scale_to_accuracy(plan.scale, 0.05))
    draws = np.abs(np.array(noisy_vector([0] * 40_000, plan, zcdp=False)))
    outside = float((draws > plan.accuracy).mean())
    # OpenDP's accuracy is a bound: at most 5 % outside (5 standard errors of slack), and not far below.
    assert 0.03 < outside <= 0.05 + 5 * math.sqrt(0.05 * 0.95 / len(draws))


def test_zcdp_noise_is_the_discrete_gaussian_of_the_scale_for_rho():
    q = query(Budget(rho=0.125, delta=1e-6))
    (plan,) = plan_grid_measures(q, 15)
    assert plan.rho == pytest.approx(0.125) and plan.epsilon is None
    assert plan.scale == pytest.approx(2.0)  # ρ = Δ² / (2σ²) with Δ = 1, in OpenDP's own map
    draws = np.array(noisy_vector([0] * 40_000, plan, zcdp=True), dtype=float)
    assert draws.var() == pytest.approx(plan.scale ** 2, rel=0.09)
    assert float((np.abs(draws) > plan.accuracy).mean()) <= 0.05 + 5 * math.sqrt(0.05 * 0.95 / len(draws))


def test_the_budget_is_split_over_count_and_sums_and_adds_up_to_the_release():
    measures = (Measure("count", "人数"), Measure("mean", "平均缴费基数", "缴费基数", 1000, 50000))
    table = release(ExactCells(), query(Budget(epsilon=1.0), measures))
    count, total = table.plans
    assert (count.epsilon, total.epsilon) == pytest.approx((0.5, 0.5)) and table.epsilon == pytest.approx(1.0)
    # One person moves the clamped sum by at most 50,000 (OpenDP's make_sum stability map).
    assert total.sensitivity == 50_000 and total.scale == pytest.approx(100_000)


def test_more_rows_per_person_means_more_noise_for_the_same_budget():
    one, three = (plan_grid_measures(query(contributions=c), 15)[0] for c in (1, 3))
    assert one.epsilon == pytest.approx(three.epsilon) and three.scale == pytest.approx(3 * one.scale)


def test_a_zcdp_release_is_counted_in_the_ledger_by_opendps_conversion():
    table = release(ExactCells(), query(Budget(rho=0.5, delta=1e-6)))
    epsilon, delta = approx_dp(table, Budget(rho=0.5, delta=1e-6))
    gaussian = dp.m.make_gaussian(dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=1.0)
    assert (epsilon, delta) == pytest.approx(dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), 1e-6).map(1.0))


# ----- every cell is noised, every listed key is published ---------------------------------------


def test_no_cell_is_published_without_noise():
    data = people([("历下区", "2021-05-01", 5000)] * 40 + [("市中区", "2023-02-01", 9000)] * 3)
    measures = (Measure("count", "人数"), Measure("sum", "缴费总额", "缴费基数", 0, 10000))
    q = query(Budget(epsilon=2.0), measures)
    exact = accumulate([data], q)
    runs = [release(exact, q).frame for _ in range(60)]
    grid = q.grid or []
    truth = {"人数": [exact.counts.get(k, 0) for k in grid],
             "缴费总额": [exact.sums["缴费基数"].get(k, 0) for k in grid]}
    for column in ("人数", "缴费总额"):
        values = np.stack([frame[column].to_numpy(dtype=float) for frame in runs])
        # A cell published as is would be the same in every run: every cell varies, zeros included.
        assert (values.std(axis=0) > 0).all(), column
        # ... and the noise is centred on the truth (unbiased), cell by cell.
        error = np.abs(values.mean(axis=0) - np.array(truth[column]))
        assert (error < 6 * values.std(axis=0) / math.sqrt(len(runs)) + 1e-9).all(), column


def test_keys_absent_from_the_data_but_in_the_code_list_are_published():
    data = people([("历下区", "2021-05-01", 5000), ("市中区", "2022-01-09", 7000)])
    table = release(accumulate([data], query()), query())
    published = set(zip(table.frame["区县"], table.frame["参保年份"], strict=True))
    assert published == {(d, y) for d in DISTRICTS for y in YEARS}  # 钢城区 has nobody, and is there
    assert table.cells == table.grid_cells == 15 and set(table.noised_cells.values()) == {15}


def test_adding_one_person_changes_no_published_key():
    base = [("历下区", "2021-05-01", 5000)] * 10
    alone = people(base + [("钢城区", "2024-03-03", 8000)])  # the only person of 钢城区
    without, with_one = (release(accumulate([d], query()), query()).frame for d in (people(base), alone))
    assert without[["区县", "参保年份"]].equals(with_one[["区县", "参保年份"]])


def test_values_outside_the_key_lists_are_left_out_not_published():
    data = people([("历下区", "2021-05-01", 5000), ("北京市", "2021-05-01", 5000), ("市中区", "1999-01-01", 1)])
    exact = accumulate([data], query())
    assert exact.counts == {("历下区", "2021"): 1} and exact.rows_dropped == 2
    assert "北京市" not in set(release(exact, query()).frame["区县"])


# ----- exact cells: chunk by chunk equals OpenDP on the whole column ------------------------------


def test_chunked_counts_equal_opendps_count_by_categories_on_the_whole_column():
    rng = np.random.default_rng(7)
    rows = [(DISTRICTS[i % 3], f"{YEARS[i % 5]}-0{1 + i % 9}-01", int(x)) for i, x in
            enumerate(rng.integers(0, 20000, 3000))]
    data = people(rows)
    q = query()
    chunks = [data.iloc[i:i + 700] for i in range(0, len(data), 700)]
    exact = accumulate(chunks, q)
    grid = q.grid
    assert grid is not None
    keys = [f"{d}|{y[:4]}" for d, y, _ in rows]
    counter = dp.t.make_count_by_categories(dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance(),
                                            categories=[f"{d}|{y}" for d, y in grid], null_category=False,
                                            MO=dp.L1Distance["i64"], TOA="i64")
    assert [exact.counts.get(k, 0) for k in grid] == counter(keys)


def test_chunked_clamped_sums_equal_opendps_sum_per_cell():
    data = people([("历下区", "2021-01-01", v) for v in (500, 7000, 90000)] + [("历下区", "2021-02-01", "x")])
    q = query(measures=(Measure("sum", "总额", "缴费基数", 1000, 50000),))
    exact = accumulate([data.iloc[:2], data.iloc[2:]], q)
    summer = dp.t.make_sum(dp.vector_domain(dp.atom_domain(bounds=(1000, 50000), T="i64")), dp.symmetric_distance())
    # Unreadable cells count as the lower bound; the others are clamped to the bounds.
    assert exact.sums["缴费基数"][("历下区", "2021")] == summer([1000, 7000, 50000, 1000])


def test_a_person_column_holds_everyone_to_the_contribution_bound():
    data = people([("历下区", "2021-01-01", 5000)] * 5 + [("市中区", "2022-01-01", 5000)])
    data["身份证号"] = ["A", "A", "A", "B", "B", "C"]
    exact = accumulate([data.iloc[:3], data.iloc[3:]], query(contributions=1, person="身份证号"))
    assert exact.counts == {("历下区", "2021"): 2, ("市中区", "2022"): 1} and exact.rows_dropped == 3


def test_months_are_read_from_dates_in_common_spellings():
    q = Query(dimensions=(Dimension("d", ("2021-01", "2021-11"), "月份", part="month"),),
              measures=(Measure("count", "n"),), budget=Budget(epsilon=1.0))
    data = pd.DataFrame({"d": ["2021-01-31", "2021/11/02", "2021年11月3日", "202111", "bad", None]})
    assert accumulate([data], q).counts == {("2021-01",): 1, ("2021-11",): 3}


# ----- means: post-processing with an interval from OpenDP's accuracies ---------------------------


def test_means_stay_within_the_clamp_and_their_interval_covers_the_truth():
    data = people([("历下区", "2021-01-01", 6000)] * 400 + [("市中区", "2022-01-01", 12000)] * 400)
    measures = (Measure("count", "人数"), Measure("mean", "均值", "缴费基数", 3000, 30000))
    q = query(Budget(epsilon=1.0), measures)
    exact = accumulate([data], q)
    covered = []
    for _ in range(40):
        frame = release(exact, q).frame.set_index(["区县", "参保年份"])
        cell = frame.loc[("历下区", "2021")]
        covered.append(abs(cell["均值"] - 6000) <= cell["均值_95%误差"])
        present = frame["均值"].dropna()
        assert ((present >= 3000) & (present <= 30000)).all()
    assert sum(covered) >= 34  # ≥ 95 % expected; 34 of 40 leaves room for chance


def test_key_selection_publishes_only_keys_over_opendps_threshold():
    data = people([("历下区", "2021-01-01", 5000)] * 200 + [("市中区", "2022-01-01", 5000)] * 2)
    q = Query(dimensions=(Dimension("区县", None, "区县"),), measures=(Measure("count", "人数"),),
              budget=Budget(epsilon=1.0, delta=1e-6), threshold=50)
    table = release(accumulate([data], q), q)
    assert list(table.frame["区县"]) == ["历下区"] and table.keys_from == "key_selection"
    assert table.delta is not None and 0 < table.delta <= 1e-6 and table.epsilon == pytest.approx(1.0)


def test_a_key_selection_threshold_too_low_for_delta_is_refused_in_one_line():
    from anonymizers.dp import DPError

    q = Query(dimensions=(Dimension("区县", None, "区县"),), measures=(Measure("count", "人数"),),
              budget=Budget(epsilon=1.0, delta=1e-12), threshold=2)
    with pytest.raises(DPError, match=r"^key_selection.threshold 2 costs δ .* above the budget's delta 1e-12: "
                                      r"raise the threshold$"):
        release(ExactCells(counts={("历下区",): 5}), q)
