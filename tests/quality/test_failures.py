"""Real release failures, each caught by the gate with a message a quality officer understands."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from quality import PreviousRelease, validate_release
from tests.quality.conftest import NOW, failures, the_failure

COLUMNS = {"编号": "string", "性别": "string", "区县": "string", "缴费基数": "integer", "手机号码": "string"}


def enrolment(rows: int = 20) -> pd.DataFrame:
    """A desensitized enrolment table: masked phones, no identifiers, integer contribution base."""
    return pd.DataFrame({
        "编号": pd.array([f"A{i:05d}" for i in range(rows)], dtype="string"),
        "性别": pd.array(["男", "女"] * (rows // 2) + ["男"] * (rows % 2), dtype="string"),
        "区县": pd.array(["历下区"] * rows, dtype="string"),
        "缴费基数": pd.array([3000 + 10 * i for i in range(rows)], dtype="Int64"),
        "手机号码": pd.array([f"138****{i:04d}" for i in range(rows)], dtype="string"),
    })


def previous(rows: int = 20, released_at: datetime | None = None) -> PreviousRelease:
    return PreviousRelease(row_count=rows, columns=COLUMNS,
                           released_at=released_at or datetime(2026, 2, 15, tzinfo=UTC))


def gate(frame: pd.DataFrame, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("key", ["编号"])
    return validate_release(frame, dataset_id="jinan-enrolment", **kwargs)


def test_a_clean_release_passes_every_check() -> None:
    summary = gate(enrolment(), previous=previous(), update_frequency="monthly",
                   sensitive_entities=["CN_RESIDENT_ID"], quasi_identifiers=["性别", "区县"], k=5)
    assert failures(summary) == []
    assert summary.passed and summary.evaluated == len(summary.outcomes) > 20


def test_header_only_file() -> None:
    summary = gate(enrolment().iloc[:0])
    assert not summary.passed
    assert summary.failed_critical == ["row count 0 is not above zero"]


def test_a_fifth_of_rows_empty() -> None:
    frame = enrolment()
    frame.loc[[3, 7, 11, 15], :] = pd.NA
    frame.loc[15, "区县"] = "   "  # a row of blanks is still an empty row
    summary = gate(frame)
    assert not summary.passed
    message = the_failure(summary, "expect_rows_to_not_be_empty")
    assert message == "4 of 20 rows (20%) are entirely empty (rows 4, 8, 12, 16)"


def test_duplicate_rows_warn_but_do_not_block() -> None:
    frame = enrolment(8).iloc[[0, 1, 2, 3, 4, 5, 6, 7, 2, 5]].reset_index(drop=True)
    summary = gate(frame.drop(columns="编号"), key=[])
    assert summary.passed
    assert summary.failed_warning == [
        "4 of 10 rows (40%) are exact duplicates of another row (rows 3, 6, 9, 10)"
    ]


def test_duplicate_keys_block() -> None:
    frame = enrolment(10)
    frame.loc[9, "编号"] = frame.loc[0, "编号"]
    message = the_failure(gate(frame), "expect_column_values_to_be_unique")
    assert message == "列 编号 (key): 2 of 10 rows (20%) repeat a value found in another row (rows 1, 10)"


def test_a_release_later_than_its_declared_frequency() -> None:
    summary = gate(enrolment(), previous=previous(released_at=datetime(2026, 1, 1, 9, 0)),
                   update_frequency="monthly")
    assert summary.passed  # late data is still better published than withheld
    assert summary.failed_warning == [
        "released 73 days after the previous release (2026-01-01), "
        "later than the 46.5 days a monthly dataset allows"
    ]
    on_time = gate(enrolment(), previous=previous(released_at=datetime(2026, 2, 20)),
                   update_frequency="monthly")
    assert on_time.failed_warning == []


def test_a_phone_column_masked_in_some_rows_and_raw_in_others() -> None:
    frame = enrolment(10)
    frame.loc[[1, 4, 8], "手机号码"] = ["13812345678", "13912345601", "15012345678"]
    summary = gate(frame)
    assert not summary.passed
    assert summary.failed_critical == ["列 手机号码: 30% of rows hold a raw PHONE_NUMBER"]
    outcome = next(o for o in summary.outcomes if not o.success)
    assert (outcome.column, outcome.unexpected_count, outcome.unexpected_percent) == ("手机号码", 3, 30.0)


def test_a_renamed_column() -> None:
    frame = enrolment().rename(columns={"手机号码": "联系电话"})
    summary = gate(frame, previous=previous())
    assert not summary.passed
    assert the_failure(summary, "expect_table_columns_to_match_set") == (
        "columns differ from the previous release: missing 手机号码; new 联系电话 (renamed?)"
    )


def test_a_type_drift_between_releases() -> None:
    frame = enrolment()
    frame["缴费基数"] = frame["缴费基数"].astype("string") + "元"
    summary = gate(frame, previous=previous())
    assert not summary.passed
    assert the_failure(summary, "expect_column_to_have_published_type") == (
        "列 缴费基数: type changed from integer in the previous release to string"
    )


def test_a_shrunken_extract() -> None:
    summary = gate(enrolment(), previous=previous(rows=100))
    assert summary.failed_critical == [
        "row count 20 is more than 50% away from the previous release's 100 rows "
        "(expected between 50 and 150)"
    ]


def test_quasi_identifiers_below_k() -> None:
    frame = enrolment(12)
    frame.loc[[0, 5], "区县"] = ["市中区", "槐荫区"]
    summary = gate(frame, quasi_identifiers=["性别", "区县"], k=3)
    assert summary.failed_critical == [
        "2 of 12 rows (17%) fall in groups of fewer than 3 rows sharing the same 性别, 区县 "
        "(quasi-identifiers), so they can be singled out (rows 1, 6)"
    ]


def test_a_sensitive_column_published_as_is() -> None:
    frame = enrolment(4)
    frame["身份证号"] = ["11010519491231002X", "110105194912310029"] * 2
    summary = gate(frame, published_as_is=["身份证号"], sensitive_entities=["CN_RESIDENT_ID", "CN_BANK_CARD"])
    assert not summary.passed
    message = the_failure(summary, "expect_column_published_as_is_to_hold_no_sensitive_entity")
    assert message.startswith("列 身份证号: published as is, but detected as CN_RESIDENT_ID")
    assert "which the policy never allows published raw" in message


def test_a_column_published_as_is_on_purpose_is_exempt_from_the_raw_identifier_check() -> None:
    frame = enrolment(4)
    frame["咨询电话"] = "053188888888"  # the office switchboard, kept with a reason in the spec
    summary = gate(frame, published_as_is=["咨询电话"], sensitive_entities=["CN_RESIDENT_ID"])
    assert summary.passed, failures(summary)


def test_steward_expectations_fail_in_plain_words() -> None:
    frame = enrolment(10)
    frame.loc[[2, 6], "缴费基数"] = [120000, -5]
    summary = gate(frame, expectations=[
        {"expect": "between", "column": "缴费基数", "min": 0, "max": 100000, "mostly": None,
         "severity": "critical"},
        {"expect": "in_set", "column": "性别", "values": ["男"], "severity": "warning"},
        {"expect": "match_regex", "column": "编号", "regex": r"^B\d{5}$", "mostly": 0.9},
        {"expect": "length_between", "column": "编号", "min": 6, "max": 6},
        {"expect": "mean_between", "column": "性别", "min": 0, "max": 1, "severity": "warning"},
        {"expect": "not_null", "column": "登记日期"},
    ])
    assert summary.failed_critical == [
        "列 缴费基数: 2 of 10 rows (20%) hold a number that is not between 0 and 100000 (rows 3, 7)",
        "列 编号: 10 of 10 rows (100%) do not match the pattern ^B\\d{5}$ (rows 1, 2, 3, 4, 5, …)"
        " (at most 10% allowed)",
        "列 登记日期 is not in the published table, so this could not be checked: "
        "列 登记日期 has a value in every row",
    ]
    assert summary.failed_warning == [
        "列 性别: 5 of 10 rows (50%) hold a value outside the 1 allowed values (rows 2, 4, 6, 8, 10)",
        "列 性别: holds string values, not numbers, so its mean being between 0 and 1 could not be checked",
    ]


@pytest.mark.parametrize("bad", [["编号", "编号"]])
def test_repeated_column_names_are_refused(bad: list[str]) -> None:
    frame = pd.DataFrame([["a", "b"]], columns=bad)
    with pytest.raises(ValueError, match="repeated column names: 编号"):
        validate_release(frame, dataset_id="x")


def test_a_table_assembled_from_chunks() -> None:
    frame = pd.concat([enrolment(8), enrolment(8)], ignore_index=True)
    frame["编号"] = [f"B{i:05d}" for i in range(16)]
    summary = gate(frame)
    assert summary.passed, failures(summary)
