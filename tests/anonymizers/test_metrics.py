"""Utility metrics on hand-computed tables and ARX's published Adult figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anonymizers.hierarchy import Hierarchy, load_hierarchies
from anonymizers.lattice import generalize
from anonymizers.metrics import MetricError, loss_per_attribute, measure_utility
from anonymizers.privacy_models import PrivacyModelConfig, check_model

ADULT = Path(__file__).resolve().parents[1] / "data" / "arx_adult"

HIERARCHY = Hierarchy.from_rows([["x", "g1", "*"], ["y", "g1", "*"], ["z", "g2", "*"]])
TABLE = pd.DataFrame({"a": ["x", "x", "y", "z"]})


def test_hand_computed_values_without_suppression():
    got = measure_utility(TABLE, ["a"], {"a": HIERARCHY}, [1])
    # level 1: g1 covers 3 records (x, x, y), g2 one (z)
    assert got["entropy"] == pytest.approx(2 * math.log2(3 / 2) + math.log2(3))
    assert got["monotonic_entropy"] == got["entropy"]
    # Loss: shares g1 = 2/3, g2 = 1/3 of the 3-value domain; (7/3 - 4/3) / (4 - 4/3)
    assert got["loss"] == pytest.approx(3 / 8)
    assert got["discernibility"] == 3 * 3 + 1
    assert got["precision"] == 0.5


def test_hand_computed_values_with_a_suppressed_record():
    got = measure_utility(TABLE, ["a"], {"a": HIERARCHY}, [1], suppressed_rows=np.array([3]))
    assert got["entropy"] == pytest.approx(2 * math.log2(3 / 2) + math.log2(3) + math.log2(4))
    assert got["monotonic_entropy"] == pytest.approx(2 * math.log2(3 / 2) + math.log2(3))
    assert got["loss"] == pytest.approx((3 * 2 / 3 + 1 - 4 / 3) / (4 - 4 / 3))
    assert got["discernibility"] == 9 + 4
    assert got["precision"] == pytest.approx((3 * 0.5 + 1) / 4)


def test_bottom_node_costs_nothing_and_top_node_costs_everything():
    bottom = measure_utility(TABLE, ["a"], {"a": HIERARCHY}, [0])
    top = measure_utility(TABLE, ["a"], {"a": HIERARCHY}, [2])
    assert bottom["entropy"] == 0 and bottom["loss"] == 0 and bottom["precision"] == 0
    assert bottom["discernibility"] == 1 + 1 + 4
    assert top["loss"] == pytest.approx(1.0) and top["precision"] == 1.0 and top["discernibility"] == 16


def test_unknown_metric():
    with pytest.raises(MetricError, match="unknown metric"):
        measure_utility(TABLE, ["a"], {"a": HIERARCHY}, [1], metrics=["nope"])


def test_adult_entropy_at_arx_optimum():
    df = pd.read_csv(ADULT / "adult.csv", sep=";")
    qi = list(df.columns)
    levels = [1, 2, 1, 1, 3, 2, 2, 1, 1]
    got = measure_utility(df, qi, load_hierarchies(ADULT, qi), levels, metrics=["entropy"])
    assert round(got["entropy"], 2) == 407289.54


def test_adult_loss_per_attribute_reproduces_arx():
    # ARX TestUtilityMetricsLoss: k=5, 100 % suppression, 8 QIs (occupation excluded), node
    # [0,3,0,0,1,0,0,0]: per-attribute Loss 0.297248193 (education), 0.29678055 (age), 0.1297659306 x 6
    df = pd.read_csv(ADULT / "adult.csv", sep=";")
    qi = [c for c in df.columns if c != "occupation"]
    hierarchies = load_hierarchies(ADULT, qi)
    levels = [0, 3, 0, 0, 1, 0, 0, 0]
    check = check_model(generalize(df, qi, hierarchies, levels), qi, PrivacyModelConfig(k=5), 1.0)
    losses = loss_per_attribute(df, qi, hierarchies, levels, check.suppressed_rows)
    assert round(losses["education"], 9) == 0.297248193
    assert round(losses["age"], 8) == 0.29678055
    assert {round(losses[c], 10) for c in qi if c not in ("age", "education")} == {0.1297659306}
