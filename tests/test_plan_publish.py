"""Classify and publish helpers: who decides each column's action, and what type it is published as."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detectors import profile_frame
from pipelines.plan import PlanError, build_plan
from pipelines.publish import typed_table
from pipelines.spec import load_policy, load_spec

ROOT = Path(__file__).resolve().parent.parent
POLICY, _ = load_policy(ROOT / "configs" / "policy.yaml")
SOCIAL = load_spec(ROOT / "configs" / "datasets" / "social-insurance.yaml")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(ROOT / "configs" / "samples" / "social_insurance.csv", dtype="string", nrows=300)


def test_the_spec_wins_then_the_policy_then_keep(sample):
    frame = sample.assign(联系电话=sample["手机号码"])
    plan = {p.column: p for p in build_plan(SOCIAL.spec, POLICY, profile_frame(frame), list(frame.columns))}
    assert (plan["身份证号"].action, plan["身份证号"].source) == ("pseudonymize", "spec")
    assert (plan["联系电话"].action, plan["联系电话"].source, plan["联系电话"].entity) == ("mask", "policy",
                                                                                     "PHONE_NUMBER")
    assert (plan["缴费基数"].action, plan["缴费基数"].source) == ("keep", "default")
    assert plan["备注"].action == "scrub"
    assert plan["区县"].quasi_identifier and not plan["缴费基数"].quasi_identifier


def test_a_spec_naming_a_missing_column_says_which_key(sample):
    frame = sample.drop(columns=["住址"])
    with pytest.raises(PlanError, match=r"names column '住址' \(columns\.住址\) which the source does not have"):
        build_plan(SOCIAL.spec, POLICY, profile_frame(frame), list(frame.columns))


def test_published_types_keep_codes_as_text():
    frame = pd.DataFrame({
        "数量": ["1", "25", None], "金额": ["1.5", "2", "3.25"], "编码": ["007", "010", "100"],
        "日期": ["2024-01-31", "2024-02-01", None], "证件": ["11010519491231002X", "x", "y"],
    }, dtype="string")
    typed, columns = typed_table(frame, [])
    assert {c.name: c.type for c in columns} == {"数量": "integer", "金额": "number", "编码": "string",
                                                  "日期": "date", "证件": "string"}
    assert typed["数量"].tolist()[:2] == [1, 25] and typed["编码"].tolist() == ["007", "010", "100"]


def test_spans_in_prose_follow_the_target_class():
    from datetime import date

    from pipelines.plan import span_actions

    conditional = span_actions(POLICY, b"k" * 32, date(2026, 1, 1), "conditional")
    unconditional = span_actions(POLICY, b"k" * 32, date(2026, 1, 1), "unconditional")
    assert conditional["CN_RESIDENT_ID"][0] == "pseudonymize"
    assert unconditional["CN_RESIDENT_ID"][0] == "redact"  # pseudonyms are not enough to open unconditionally
    assert unconditional["PHONE_NUMBER"][0] == "mask"
