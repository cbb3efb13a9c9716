"""From a GX result to an `ExpectationOutcome` a quality officer can read without knowing GX.

Each failure gets one sentence naming the column, how many rows and what was expected; rows are named by
position. Inputs are the planned check and GX's (already scrubbed) result: counts, types, entity names
and the steward's own limits, never a cell value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from catalog.record import ExpectationOutcome
from quality.model import Check
from quality.wording import bounds, col, names, number, percent, positions, rows


def outcome(
    check: Check, result: Mapping[str, Any] | None, *, total: int, columns: Sequence[str]
) -> ExpectationOutcome:
    """The outcome of one check; `total` is the table's row count, `columns` the published columns."""
    if result is None:
        return _make(check, False, None, total, f"{check.about}: not evaluated by GX")
    body: Mapping[str, Any] = result.get("result") or {}
    count = body.get("unexpected_count")
    if _raised(result):
        return _make(check, False, None, total, _exception_message(check, columns))
    if result.get("success"):
        return _make(check, True, count, total, check.about)
    writer = _WRITERS.get(check.expectation, _generic)
    return _make(check, False, _count(check, body, count), total, writer(check, body, total))


def _make(check: Check, success: bool, count: int | None, total: int, message: str) -> ExpectationOutcome:
    share = round(100 * count / total, 3) if count is not None and total else None
    return ExpectationOutcome(
        expectation=check.expectation, column=check.column, severity=check.severity, success=success,
        unexpected_count=count, unexpected_percent=share, message=message,
    )


def _raised(result: Mapping[str, Any]) -> bool:
    info = result.get("exception_info") or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, Mapping) and v.get("raised_exception") for v in info.values())


def _exception_message(check: Check, columns: Sequence[str]) -> str:
    kwargs = check.kwargs
    wanted = [kwargs["column"]] if "column" in kwargs else list(kwargs.get("column_list", []))
    missing = [c for c in wanted if c not in columns]
    if missing:
        noun = "is" if len(missing) == 1 else "are"
        return (f"{names(col(c) for c in missing)} {noun} not in the published table, "
                f"so this could not be checked: {check.about}")
    return ("could not be checked (GX raised an error; its text is withheld as it may quote data): "
            f"{check.about}")


def _count(check: Check, body: Mapping[str, Any], count: int | None) -> int | None:
    if count is not None:
        return int(count)
    entities = (body.get("details") or {}).get("entities")
    return max(entities.values()) if entities else None


def _prefix(check: Check) -> str:
    if check.column is None:
        return ""
    return f"{col(check.column)}{' (key)' if check.facts.get('key') else ''}: "


def _allowed(check: Check) -> str:
    mostly = check.kwargs.get("mostly")
    return f" (at most {percent(1 - mostly, 1)} allowed)" if mostly is not None else ""


def _rows_that(phrase: str) -> Callable[[Check, Mapping[str, Any], int], str]:
    def write(check: Check, body: Mapping[str, Any], total: int) -> str:
        count = int(body.get("unexpected_count") or 0)
        where = positions(body.get("partial_unexpected_index_list"))
        return f"{_prefix(check)}{rows(count, total)} {phrase}{where}{_allowed(check)}"

    return write


def _columns(check: Check, body: Mapping[str, Any], total: int) -> str:
    observed = list(body.get("observed_value") or [])
    expected = list(check.kwargs["column_set"])
    missing = [c for c in expected if c not in observed]
    new = [c for c in observed if c not in expected]
    parts = []
    if missing:
        parts.append(f"missing {names(missing)}")
    if new:
        parts.append(f"new {names(new)}")
    against = "the previous release" if check.facts.get("previous") else "the declared columns"
    hint = " (renamed?)" if check.facts.get("previous") and missing and new else ""
    return f"columns differ from {against}: {'; '.join(parts) or 'different order'}{hint}"


def _type(check: Check, body: Mapping[str, Any], total: int) -> str:
    observed = body.get("observed_value")
    expected = " or ".join(check.kwargs["type_list"])
    if check.facts.get("blocked"):
        blocked = check.facts["blocked"]
        return f"{_prefix(check)}holds {observed} values, not numbers, so {blocked} could not be checked"
    if check.facts.get("previous"):
        return f"{_prefix(check)}type changed from {expected} in the previous release to {observed}"
    return f"{_prefix(check)}published as {observed}, expected {expected}"


def _row_count(check: Check, body: Mapping[str, Any], total: int) -> str:
    observed = body.get("observed_value", total)
    low, high = check.kwargs.get("min_value"), check.kwargs.get("max_value")
    if check.origin == "default" and low == 1 and high is None:
        return f"row count {observed} is not above zero"
    if "previous_rows" in check.facts:
        return (f"row count {observed} is more than {check.facts['tolerance']:.0%} away from the previous "
                f"release's {check.facts['previous_rows']} rows (expected {bounds(low, high)})")
    return f"row count {observed} is not {bounds(low, high)}"


def _unique(check: Check, body: Mapping[str, Any], total: int) -> str:
    count = int(body.get("unexpected_count") or 0)
    where = positions(body.get("partial_unexpected_index_list"))
    if check.facts.get("duplicates"):
        return f"{rows(count, total)} are exact duplicates of another row{where}"
    if check.column is None:
        key = names(check.kwargs["column_list"])
        return f"key ({key}): {rows(count, total)} share their key with another row{where}"
    return f"{_prefix(check)}{rows(count, total)} repeat a value found in another row{where}{_allowed(check)}"


def _between(check: Check, body: Mapping[str, Any], total: int) -> str:
    bound = bounds(check.kwargs.get("min_value"), check.kwargs.get("max_value"))
    return _rows_that(f"hold a number that is not {bound}")(check, body, total)


def _lengths(check: Check, body: Mapping[str, Any], total: int) -> str:
    bound = bounds(check.kwargs.get("min_value"), check.kwargs.get("max_value"), "characters")
    return _rows_that(f"are not {bound} long")(check, body, total)


def _in_set(check: Check, body: Mapping[str, Any], total: int) -> str:
    return _rows_that(f"hold a value outside the {len(check.kwargs['value_set'])} allowed values")(
        check, body, total
    )


def _regex(check: Check, body: Mapping[str, Any], total: int) -> str:
    return _rows_that(f"do not match the pattern {check.kwargs['regex']}")(check, body, total)


def _mean(check: Check, body: Mapping[str, Any], total: int) -> str:
    bound = bounds(check.kwargs.get("min_value"), check.kwargs.get("max_value"))
    return f"{_prefix(check)}the mean {number(body.get('observed_value'))} is not {bound}"


def _empty_column(check: Check, body: Mapping[str, Any], total: int) -> str:
    return f"{_prefix(check)}every row is empty"


def _on_time(check: Check, body: Mapping[str, Any], total: int) -> str:
    kwargs = check.kwargs
    return (f"released {number(body.get('observed_value'))} days after the previous release "
            f"({kwargs['previous_released_at'][:10]}), later than the {number(kwargs['max_gap_days'])} days "
            f"a {kwargs['update_frequency']} dataset allows")


def _entities(body: Mapping[str, Any], total: int) -> str:
    found: Mapping[str, int] = (body.get("details") or {}).get("entities") or {}
    return "; ".join(f"{percent(n, total)} of rows hold a raw {entity}" for entity, n in found.items())


def _raw(check: Check, body: Mapping[str, Any], total: int) -> str:
    return f"{_prefix(check)}{_entities(body, total)}"


def _sensitive(check: Check, body: Mapping[str, Any], total: int) -> str:
    found = (body.get("details") or {}).get("entities") or {}
    what = names(found)
    return (f"{_prefix(check)}published as is, but detected as {what} ({_entities(body, total)}), "
            "which the policy never allows published raw")


def _k_anonymous(check: Check, body: Mapping[str, Any], total: int) -> str:
    count = int(body.get("unexpected_count") or 0)
    qis = names(check.kwargs.get("column_list") or [check.kwargs["column"]])
    where = positions(body.get("partial_unexpected_index_list"))
    return (f"{rows(count, total)} fall in groups of fewer than {check.kwargs['k']} rows sharing the same "
            f"{qis} (quasi-identifiers), so they can be singled out{where}")


def _generic(check: Check, body: Mapping[str, Any], total: int) -> str:
    count = body.get("unexpected_count")
    if count is not None:
        return f"{_prefix(check)}{rows(int(count), total)} fail: {check.about}"
    return f"not met: {check.about}"


_WRITERS: dict[str, Callable[[Check, Mapping[str, Any], int], str]] = {
    "expect_table_columns_to_match_set": _columns,
    "expect_column_to_have_published_type": _type,
    "expect_table_row_count_to_be_between": _row_count,
    "expect_rows_to_not_be_empty": _rows_that("are entirely empty"),
    "expect_column_values_to_not_be_blank": _rows_that("are entirely empty"),
    "expect_column_proportion_of_non_null_values_to_be_between": _empty_column,
    "expect_column_values_to_not_be_null": _rows_that("have no value"),
    "expect_column_values_to_be_unique": _unique,
    "expect_compound_columns_to_be_unique": _unique,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_value_lengths_to_be_between": _lengths,
    "expect_column_mean_to_be_between": _mean,
    "expect_release_to_be_on_time": _on_time,
    "expect_column_to_hold_no_raw_identifier": _raw,
    "expect_column_published_as_is_to_hold_no_sensitive_entity": _sensitive,
    "expect_compound_columns_to_be_k_anonymous": _k_anonymous,
    "expect_column_values_to_be_k_anonymous": _k_anonymous,
}
