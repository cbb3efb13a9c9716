"""The search against an independent brute force, the Adult reproduction, and the release itself."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizers.hierarchy import Hierarchy, load_hierarchies
from anonymizers.lattice import (
    NoSolutionError,
    apply_transformation,
    exhaustive_search,
    generalize,
    search,
)
from anonymizers.privacy_models import PrivacyModelConfig

ADULT = Path(__file__).resolve().parents[1] / "data" / "arx_adult"
ADULT_QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
            "occupation", "salary-class"]


@pytest.fixture(scope="module")
def adult() -> tuple[pd.DataFrame, dict[str, Hierarchy]]:
    df = pd.read_csv(ADULT / "adult.csv", sep=";")
    return df, load_hierarchies(ADULT, ADULT_QI)


# -- ARX's published figures ------------------------------------------------------------------------
def test_adult_k5_no_suppression_reproduces_arx(adult):
    df, hierarchies = adult
    result = search(df, ADULT_QI, hierarchies, PrivacyModelConfig(k=5), 0.0, "entropy")
    assert result.levels == (1, 2, 1, 1, 3, 2, 2, 1, 1)
    assert round(result.value, 2) == 407289.54  # non-uniform entropy, ARX: 407289.5388925293
    assert result.suppressed == 0
    assert result.lattice_size == 12960
    assert 0 < result.nodes_checked < 12960 / 10


@pytest.mark.parametrize(
    ("k", "limit", "metric", "levels", "value"),
    [
        (100, 0.0, "entropy", (0, 4, 1, 1, 3, 2, 2, 1, 1), 453196.89),
        (5, 0.04, "monotonic_entropy", (1, 0, 1, 1, 3, 2, 2, 0, 1), 255559.85),
        (100, 0.04, "monotonic_entropy", (1, 1, 1, 1, 3, 2, 2, 1, 1), 379417.35),
    ],
)
def test_adult_other_arx_cases(adult, k, limit, metric, levels, value):
    df, hierarchies = adult
    result = search(df, ADULT_QI, hierarchies, PrivacyModelConfig(k=k), limit, metric)
    assert result.levels == levels
    assert round(result.value, 2) == value
    assert result.suppressed <= limit * len(df)


def test_adult_release_is_k_anonymous_by_plain_groupby(adult):
    df, hierarchies = adult
    result = search(df, ADULT_QI, hierarchies, PrivacyModelConfig(k=5), 0.04, "entropy")
    released = apply_transformation(df, result)
    assert len(released) == len(df) - result.suppressed
    assert result.suppressed <= 0.04 * len(df)
    assert released.groupby(ADULT_QI).size().min() >= 5
    # the suppressed rows are exactly those in classes below k at the chosen levels
    sizes = generalize(df, ADULT_QI, hierarchies, result.levels).groupby(ADULT_QI)["sex"].transform("size")
    assert set(np.flatnonzero((sizes < 5).to_numpy())) == set(result.suppressed_rows.tolist())


@pytest.mark.parametrize(
    "model",
    [
        PrivacyModelConfig(k=4),
        PrivacyModelConfig(k=2, t=0.15, sensitive="occupation"),
        PrivacyModelConfig(l=3, l_variant="entropy", sensitive="occupation"),
        PrivacyModelConfig(k=3, t=0.1, t_distance="ordered", sensitive="salary-class"),
    ],
)
def test_adult_subset_search_equals_exhaustive(adult, model):
    df, hierarchies = adult
    qi = ["age", "education", "workclass", "native-country"]
    small = df.iloc[::7].reset_index(drop=True)
    for metric in ("entropy", "loss", "discernibility", "precision"):
        fast = search(small, qi, hierarchies, model, 0.03, metric)
        slow = exhaustive_search(small, qi, hierarchies, model, 0.03, metric)
        assert fast.levels == slow.levels
        assert math.isclose(fast.value, slow.value, rel_tol=1e-9)
        assert fast.nodes_checked <= slow.nodes_checked


# -- brute force on random tiny tables ----------------------------------------------------------------
# An independent reference, written from the definitions with plain pandas and Python; it shares no
# code with the modules under test.
def ref_generalize(df: pd.DataFrame, qi: list[str], rows: dict[str, list[list[str]]], levels) -> pd.DataFrame:
    out = df.copy()
    for column, level in zip(qi, levels, strict=True):
        mapping = {row[0]: row[level] for row in rows[column]}
        out[column] = [mapping[str(v)] for v in df[column]]
    return out


def ref_violates(group: pd.DataFrame, model: dict, overall: pd.Series, order: list) -> bool:
    if len(group) < model.get("k", 1):
        return True
    sensitive = model.get("sensitive")
    if sensitive is None:
        return False
    counts = group[sensitive].value_counts()
    p = counts / counts.sum()
    if model.get("l") is not None:
        if model.get("l_variant", "distinct") == "distinct":
            if len(counts) < model["l"]:
                return True
        elif -sum(x * math.log(x) for x in p) < math.log(model["l"]) - 1e-12:
            return True
    if model.get("t") is not None:
        if model.get("t_distance", "equal") == "equal":
            d = 0.5 * sum(abs(p.get(v, 0.0) - overall[v]) for v in overall.index)
        else:
            m = len(order)
            cum_p = cum_q = 0.0
            total = 0.0
            for v in order[:-1]:
                cum_p += p.get(v, 0.0)
                cum_q += overall[v]
                total += abs(cum_p - cum_q)
            d = total / (m - 1) if m > 1 else 0.0
        if d > model["t"] + 1e-12:
            return True
    return False


def ref_evaluate(df, qi, rows, levels, model, limit):
    """(anonymous, suppressed row mask) of one node, by plain groupby."""
    g = ref_generalize(df, qi, rows, levels)
    sensitive = model.get("sensitive")
    overall = df[sensitive].value_counts(normalize=True) if sensitive else None
    order = sorted(overall.index) if sensitive else []
    suppressed = pd.Series(False, index=df.index)
    for _, group in g.groupby(qi):
        if ref_violates(group, model, overall, order):
            suppressed[group.index] = True
    return int(suppressed.sum()) <= limit * len(df) + 1e-9, suppressed


def ref_metric(df, qi, rows, levels, suppressed, metric):
    n = len(df)
    if metric == "discernibility":
        g = ref_generalize(df, qi, rows, levels)[~suppressed]
        sizes = g.groupby(qi).size() if len(g) else pd.Series(dtype=int)
        return float((sizes**2).sum() + suppressed.sum() * n)
    per_column = []
    for column, level in zip(qi, levels, strict=True):
        mapping = {row[0]: row[level] for row in rows[column]}
        original = df[column].astype(str)
        gen = original.map(mapping)
        c0, cg = original.map(original.value_counts()), gen.map(gen.value_counts())
        if metric in ("entropy", "monotonic_entropy"):
            cost = [-math.log2(a / (n if (s and metric == "entropy") else b))
                    for a, b, s in zip(c0, cg, suppressed, strict=True)]
            per_column.append(sum(cost))
        elif metric == "loss":
            domain = len(rows[column])
            leaves = pd.Series([row[level] for row in rows[column]]).value_counts()
            x = sum(1.0 if s else leaves[v] / domain for v, s in zip(gen, suppressed, strict=True))
            low = n / domain
            per_column.append(max(0.0, (x - low) / (n - low)) if n - low > 0 else 0.0)
        else:
            top = max(len(rows[column][0]) - 1, 1)
            per_column.append(sum(1.0 if s else level / top for s in suppressed) / n)
    if metric in ("entropy", "monotonic_entropy"):
        return float(sum(per_column))
    if metric == "precision":
        return float(sum(per_column) / len(per_column))
    return float(math.prod(1 + x for x in per_column) ** (1 / len(per_column)) - 1)


def ref_brute_force(df, qi, rows, model, limit, metric):
    """All anonymous nodes with their values: {levels: value}."""
    out = {}
    for levels in itertools.product(*[range(len(rows[c][0])) for c in qi]):
        anonymous, suppressed = ref_evaluate(df, qi, rows, levels, model, limit)
        if anonymous:
            out[levels] = ref_metric(df, qi, rows, levels, suppressed, metric)
    return out


@st.composite
def problems(draw):
    n_qi = draw(st.integers(1, 3))
    qi = [f"q{j}" for j in range(n_qi)]
    rows: dict[str, list[list[str]]] = {}
    for column in qi:
        domain = draw(st.integers(1, 5))
        labels = [f"{column}v{i}" for i in range(domain)]
        table = [[label] for label in labels]
        current = list(range(domain))
        for level in range(draw(st.integers(0, 3))):
            groups = max(1, len(set(current)) - draw(st.integers(0, 2)))
            parent = {c: draw(st.integers(0, groups - 1)) for c in sorted(set(current))}
            current = [parent[c] for c in current]
            for row, c in zip(table, current, strict=True):
                row.append(f"{column}L{level + 1}g{c}")
        rows[column] = table
    n = draw(st.integers(1, 30))
    data = {c: [draw(st.sampled_from([r[0] for r in rows[c]])) for _ in range(n)] for c in qi}
    data["s"] = [draw(st.integers(0, 3)) for _ in range(n)]
    model = {"k": draw(st.integers(1, 4))}
    kind = draw(st.sampled_from(["k", "l-distinct", "l-entropy", "t-equal", "t-ordered"]))
    if kind.startswith("l-"):
        model.update(sensitive="s", l=draw(st.sampled_from([1.5, 2.0, 3.0])), l_variant=kind[2:])
    elif kind.startswith("t-"):
        model.update(sensitive="s", t=draw(st.sampled_from([0.1, 0.3, 0.6])), t_distance=kind[2:])
    limit = draw(st.sampled_from([0.0, 0.1, 0.25, 1.0]))
    metric = draw(st.sampled_from(["entropy", "monotonic_entropy", "loss", "discernibility", "precision"]))
    return pd.DataFrame(data), qi, rows, model, limit, metric


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_search_matches_brute_force(problem):
    df, qi, rows, model, limit, metric = problem
    hierarchies = {c: Hierarchy.from_rows(rows[c]) for c in qi}
    config = PrivacyModelConfig(**model)
    expected = ref_brute_force(df, qi, rows, model, limit, metric)
    if not expected:
        with pytest.raises(NoSolutionError):
            search(df, qi, hierarchies, config, limit, metric)
        return
    result = search(df, qi, hierarchies, config, limit, metric)
    best = min(expected.values())
    assert math.isclose(result.value, best, rel_tol=1e-9, abs_tol=1e-9)
    assert result.levels in expected
    assert math.isclose(expected[result.levels], best, rel_tol=1e-9, abs_tol=1e-9)
    # the release: suppression within the limit, every remaining class satisfies the model
    anonymous, suppressed = ref_evaluate(df, qi, rows, result.levels, model, limit)
    assert anonymous
    assert result.suppressed == int(suppressed.sum()) <= limit * len(df) + 1e-9
    released = apply_transformation(df, result)
    assert list(released.index) == list(df.index[~suppressed.to_numpy()])
    if len(released):
        assert released.groupby(qi).size().min() >= model["k"]


# -- API behaviour ------------------------------------------------------------------------------------
def test_no_solution_when_table_smaller_than_k():
    df = pd.DataFrame({"a": ["x", "y"]})
    hierarchies = {"a": Hierarchy.from_rows([["x", "*"], ["y", "*"]])}
    with pytest.raises(NoSolutionError):
        search(df, ["a"], hierarchies, PrivacyModelConfig(k=3))
    assert search(df, ["a"], hierarchies, PrivacyModelConfig(k=3), suppression_limit=1.0).suppressed == 2


def test_result_to_dict_and_apply_checks_rows():
    df = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [1, 2, 3, 4]})
    hierarchies = {"a": Hierarchy.from_rows([["x", "*"], ["y", "*"]])}
    result = search(df, ["a"], hierarchies, PrivacyModelConfig(k=2))
    assert result.levels == (0,)
    summary = result.to_dict()
    assert summary["levels"] == [0] and summary["nodes_checked"] >= 1 and summary["lattice_size"] == 2
    with pytest.raises(ValueError, match="rows"):
        apply_transformation(df.iloc[:2], result)
    pd.testing.assert_frame_equal(result.apply(df), df.astype({"a": object}))


def test_sensitive_column_must_not_be_a_quasi_identifier():
    df = pd.DataFrame({"a": ["x", "y"]})
    hierarchies = {"a": Hierarchy.from_rows([["x", "*"], ["y", "*"]])}
    with pytest.raises(ValueError, match="also a quasi-identifier"):
        search(df, ["a"], hierarchies, PrivacyModelConfig(l=2, sensitive="a"))
