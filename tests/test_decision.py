"""The reclassification decision: each check, its figure, and when a dataset may open further."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.record import ColumnFinding, ColumnPlan, RiskFigures
from pipelines.decision import decide
from pipelines.spec import OpenClass, load_policy, load_spec

ROOT = Path(__file__).resolve().parent.parent
POLICY, POLICY_SHA = load_policy(ROOT / "configs" / "policy.yaml")
SOCIAL = load_spec(ROOT / "configs" / "datasets" / "social-insurance.yaml").spec

TREATED = [
    ColumnPlan(column="姓名", entity="PERSON", action="mask", source="spec"),
    ColumnPlan(column="身份证号", entity="CN_RESIDENT_ID", action="pseudonymize", source="spec"),
    ColumnPlan(column="区县", action="keep", quasi_identifier=True),
]


def risk(smallest: int) -> RiskFigures:
    return RiskFigures(quasi_identifiers=["性别", "出生日期", "区县"], records=1000, classes=100,
                       min_class_size=smallest, prosecutor_average=0.1, prosecutor_highest=1 / smallest,
                       records_at_risk_share=0.0, sample_uniques=0)


def checks(decision) -> dict[str, bool]:
    return {c.name: c.passed for c in decision.checks}


def test_all_checks_pass_reclassifies_to_the_target():
    decision = decide(SOCIAL, POLICY, POLICY_SHA, TREATED, [], risk(5), suppressed=20, rows_in=1000)
    assert decision.published_class == "conditional" and decision.reclassified
    assert all(checks(decision).values())
    assert decision.policy_version == POLICY.version


def test_a_raw_identifier_left_in_the_output_refuses_with_its_figure():
    residual = [ColumnFinding(column="备注", entity="PHONE_NUMBER", share=0.02, score=0.9)]
    decision = decide(SOCIAL, POLICY, POLICY_SHA, TREATED, residual, risk(5), suppressed=0, rows_in=1000)
    assert decision.published_class == "not_open" and not decision.reclassified
    assert checks(decision)["rescan"] is False
    assert "备注: 2.0% raw PHONE_NUMBER" in decision.reason


def test_pseudonyms_are_not_enough_for_unconditional_opening():
    declaration = SOCIAL.open_class.model_copy(update={"target": OpenClass.UNCONDITIONAL})
    spec = SOCIAL.model_copy(update={"open_class": declaration})
    decision = decide(spec, POLICY, POLICY_SHA, TREATED, [], risk(10), suppressed=0, rows_in=1000)
    assert checks(decision)["direct_identifiers"] is False
    assert "身份证号 (CN_RESIDENT_ID) is 'pseudonymize'" in decision.reason


@pytest.mark.parametrize(("smallest", "suppressed", "failing"), [(2, 0, "reidentification_risk"),
                                                                  (5, 80, "suppression")])
def test_risk_and_suppression_limits(smallest, suppressed, failing):
    decision = decide(SOCIAL, POLICY, POLICY_SHA, TREATED, [], risk(smallest), suppressed, 1000)
    assert checks(decision)[failing] is False
    assert decision.published_class == "not_open"


def test_grounds_other_than_privacy_or_secrets_cannot_be_cured():
    declaration = SOCIAL.open_class.model_copy(update={"basis": ["security"]})
    spec = SOCIAL.model_copy(update={"open_class": declaration})
    decision = decide(spec, POLICY, POLICY_SHA, TREATED, [], risk(5), suppressed=0, rows_in=1000)
    assert checks(decision)["basis_curable"] is False


def test_l_diversity_failure_is_a_check_of_its_own():
    privacy = SOCIAL.privacy.model_copy(update={"l": 2, "sensitive": "参保险种"})
    spec = SOCIAL.model_copy(update={"privacy": privacy})
    decision = decide(spec, POLICY, POLICY_SHA, TREATED, [], risk(5), 0, 1000, model_check=(False, 12))
    assert checks(decision)["privacy_model"] is False
    assert "12 records in violating classes" in decision.reason


def test_declared_not_open_without_target_is_a_catalog_entry_only():
    declaration = SOCIAL.open_class.model_copy(update={"target": None})
    spec = SOCIAL.model_copy(update={"open_class": declaration})
    decision = decide(spec, POLICY, POLICY_SHA, TREATED, [], None, 0, 1000)
    assert decision.published_class == "not_open" and decision.checks == []


def test_a_detected_identifier_relabelled_by_the_spec_still_counts():
    relabelled = [*TREATED, ColumnPlan(column="电话", entity="CN_USCC", detected="PHONE_NUMBER", action="keep",
                                       source="spec")]
    decision = decide(SOCIAL, POLICY, POLICY_SHA, relabelled, [], risk(5), 0, 1000)
    assert checks(decision)["direct_identifiers"] is False
    assert "电话 (PHONE_NUMBER) is 'keep'" in decision.reason
