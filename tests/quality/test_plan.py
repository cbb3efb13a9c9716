"""The plan: which checks a release gets, with which severity, before GX is involved (no GX import)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from quality import PreviousRelease, published_type
from quality.freshness import allowed_gap
from quality.plan import plan_checks, spec_check
from quality.wording import percent, positions

NOW = datetime(2026, 3, 15, tzinfo=UTC)
FRAME = pd.DataFrame(
    {"编号": ["1", "2"], "手机号码": ["138****5678", "139****0001"], "缴费基数": [3000, 4000]}
)


def kinds(checks) -> list[str]:
    return [c.expectation for c in checks]


def test_defaults_cover_schema_volume_blank_rows_duplicates_and_identifiers() -> None:
    checks = plan_checks(FRAME, now=NOW)
    found = kinds(checks)
    assert found.count("expect_column_to_have_published_type") == 3
    assert "expect_table_columns_to_match_set" in found
    assert "expect_rows_to_not_be_empty" in found
    assert "expect_compound_columns_to_be_unique" in found  # no duplicate rows
    assert found.count("expect_column_to_hold_no_raw_identifier") == 3
    assert "expect_release_to_be_on_time" not in found  # no previous release, nothing to be late against
    duplicate = next(c for c in checks if c.facts.get("duplicates"))
    assert duplicate.severity == "warning"


def test_previous_release_sets_columns_row_range_and_freshness() -> None:
    previous = PreviousRelease(row_count=100, columns={"编号": "string", "手机号": "string"},
                               released_at=datetime(2026, 1, 1))
    checks = plan_checks(FRAME, now=NOW, previous=previous, update_frequency="monthly",
                         row_count_tolerance=0.2)
    columns = next(c for c in checks if c.expectation == "expect_table_columns_to_match_set")
    assert columns.kwargs["column_set"] == ["编号", "手机号"]
    ranges = [c.kwargs for c in checks if c.expectation == "expect_table_row_count_to_be_between"]
    assert {"min_value": 80, "max_value": 120} in ranges
    late = next(c for c in checks if c.expectation == "expect_release_to_be_on_time")
    assert late.severity == "warning" and late.kwargs["max_gap_days"] == 46.5


def test_published_as_is_columns_are_exempt_from_the_raw_identifier_check() -> None:
    checks = plan_checks(FRAME, now=NOW, published_as_is=["手机号码"], sensitive_entities=["CN_RESIDENT_ID"])
    raw = [c.column for c in checks if c.expectation == "expect_column_to_hold_no_raw_identifier"]
    as_is_kind = "expect_column_published_as_is_to_hold_no_sensitive_entity"
    as_is = [c for c in checks if c.expectation == as_is_kind]
    assert "手机号码" not in raw
    assert [c.column for c in as_is] == ["手机号码"]
    assert as_is[0].kwargs["sensitive_entities"] == ["CN_RESIDENT_ID"]


def test_k_anonymity_is_planned_only_for_k_above_one() -> None:
    assert "expect_compound_columns_to_be_k_anonymous" not in kinds(
        plan_checks(FRAME, now=NOW, quasi_identifiers=["编号", "缴费基数"], k=1))
    assert "expect_compound_columns_to_be_k_anonymous" in kinds(
        plan_checks(FRAME, now=NOW, quasi_identifiers=["编号", "缴费基数"], k=5))
    assert "expect_column_values_to_be_k_anonymous" in kinds(
        plan_checks(FRAME, now=NOW, quasi_identifiers=["编号"], k=5))


def test_steward_expectations_map_to_gx_with_their_severity() -> None:
    types = {"性别": "string", "缴费基数": "integer", "区划": "string"}
    between = spec_check({"expect": "between", "column": "缴费基数", "min": 0, "max": 100000, "mostly": None,
                          "severity": "critical"}, types)
    assert between.expectation == "expect_column_values_to_be_between"
    assert between.kwargs == {"column": "缴费基数", "min_value": 0, "max_value": 100000}
    in_set = spec_check(
        {"expect": "in_set", "column": "区划", "values": [370102, 370103], "severity": "warning"}, types
    )
    assert in_set.kwargs["value_set"] == ["370102", "370103"] and in_set.severity == "warning"
    rows = spec_check({"expect": "row_count_between", "min": 10.0}, types)
    assert rows.kwargs == {"min_value": 10, "max_value": None}


def test_a_range_on_a_text_column_becomes_a_type_check() -> None:
    check = spec_check({"expect": "mean_between", "column": "性别", "min": 0, "max": 1}, {"性别": "string"})
    assert check.expectation == "expect_column_to_have_published_type"
    assert check.kwargs["type_list"] == ["integer", "number"]


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ({"expect": "looks_fine", "column": "a"}, "unknown expectation 'looks_fine'"),
        ({"expect": "not_null"}, "needs a 'column'"),
        ({"expect": "between", "column": "a"}, "needs 'min' and/or 'max'"),
        ({"expect": "in_set", "column": "a", "values": []}, "needs 'values'"),
        ({"expect": "not_null", "column": "a", "severity": "fatal"}, "severity must be critical or warning"),
    ],
)
def test_malformed_steward_expectations_are_refused_in_one_line(item: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        spec_check(item, {"a": "string"})


def test_published_types_follow_the_publish_stage() -> None:
    assert published_type(pd.Series(["a", None], dtype="string")) == "string"
    assert published_type(pd.Series([1, None], dtype="Int64")) == "integer"
    assert published_type(pd.Series([1.5, None], dtype="Float64")) == "number"
    assert published_type(pd.Series(pd.to_datetime(["2026-01-01"])).dt.date) == "date"
    assert published_type(pd.Series(pd.to_datetime(["2026-01-01 08:30"]))) == "datetime"
    assert published_type(pd.Series([True, False])) == "boolean"


def test_freshness_gaps_by_frequency() -> None:
    assert allowed_gap("monthly") == timedelta(days=46.5)
    assert allowed_gap("irregular") is None and allowed_gap("never") is None
    with pytest.raises(ValueError, match="unknown update frequency"):
        allowed_gap("fortnightly")


def test_wording() -> None:
    assert percent(12, 100) == "12%" and percent(3, 200) == "1.5%" and percent(1, 2000) == "0.05%"
    assert percent(0, 5) == "0%" and percent(5, 5) == "100%"
    assert positions([0, 4, 9]) == " (rows 1, 5, 10)"
    assert positions(list(range(9))) == " (rows 1, 2, 3, 4, 5, …)"


def test_a_surrogate_column_may_hold_its_own_entity_but_nothing_else():
    from quality.plan import privacy_checks

    [check] = privacy_checks(["证件号"], synthetic={"证件号": "CN_RESIDENT_ID"})
    assert "CN_RESIDENT_ID" not in check.kwargs["entities"]
    assert "PHONE_NUMBER" in check.kwargs["entities"]
    [plain] = privacy_checks(["证件号"])
    assert "CN_RESIDENT_ID" in plain.kwargs["entities"]


def test_a_steward_expectation_equal_to_a_built_in_one_is_planned_once():
    import pandas as pd

    from quality.plan import plan_checks
    from tests.quality.conftest import NOW

    frame = pd.DataFrame({"编号": ["R1", "R2"]})
    checks = plan_checks(frame, key=["编号"], now=NOW,
                         expectations=[{"expect": "unique", "column": "编号", "severity": "warning"}])
    unique = [c for c in checks
              if c.expectation == "expect_column_values_to_be_unique" and c.kwargs.get("column") == "编号"]
    assert len(unique) == 1 and unique[0].severity == "critical"
