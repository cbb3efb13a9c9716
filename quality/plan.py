"""The checks for one release, planned from the call's arguments plus defaults inferred from the data.

Planning is pure and quick (no GX): it decides *what* is asked, with which severity and in which plain
words; `quality.run` turns the plan into a GX suite. Defaults catch the failures seen in real releases:
schema drift, an empty or shrunken extract, blank and duplicate rows, broken keys and late releases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd

from quality import freshness
from quality.model import SEVERITIES, Check, PreviousRelease
from quality.privacy import IDENTIFIER_ENTITIES
from quality.types import NUMERIC_TYPES, published_types
from quality.wording import bounds, col, names

SPEC_KINDS = (
    "not_null", "unique", "between", "in_set", "match_regex", "length_between",
    "row_count_between", "mean_between",
)
_NUMERIC_KINDS = ("between", "mean_between")


def plan_checks(
    frame: pd.DataFrame,
    *,
    key: Sequence[str] = (),
    expectations: Sequence[Mapping[str, Any]] = (),
    previous: PreviousRelease | None = None,
    update_frequency: str = "irregular",
    now: datetime,
    quasi_identifiers: Sequence[str] = (),
    k: int = 1,
    published_as_is: Sequence[str] = (),
    sensitive_entities: Sequence[str] = (),
    identifier_entities: Sequence[str] | None = None,
    min_share: float = 0.5,
    synthetic: Mapping[str, str] | None = None,
    row_count_tolerance: float = 0.5,
    freshness_grace: float = freshness.DEFAULT_GRACE,
    types: Mapping[str, str] | None = None,
) -> list[Check]:
    """The checks for the table `frame` (or, for a table given as chunks, its published `types`)."""
    types = dict(types) if types is not None else published_types(frame)
    columns = list(types)
    return _distinct([
        *schema_checks(types, previous),
        *volume_checks(previous, row_count_tolerance),
        *completeness_checks(columns),
        *key_checks(key),
        *duplicate_checks(columns),
        *freshness_checks(previous, update_frequency, now, freshness_grace),
        *(spec_check(item, types) for item in expectations),
        *privacy_checks(columns, published_as_is=published_as_is, sensitive_entities=sensitive_entities,
                        quasi_identifiers=quasi_identifiers, k=k, identifier_entities=identifier_entities,
                        min_share=min_share, synthetic=synthetic),
    ])


def _distinct(checks: list[Check]) -> list[Check]:
    """One check per expectation and arguments: GX keeps only the first of equal expectations, so a
    steward's `unique` on a key column would otherwise go unevaluated. The stricter severity wins."""
    kept: dict[str, Check] = {}
    for check in checks:
        identity = check.expectation + json.dumps(dict(check.kwargs), sort_keys=True, default=str)
        first = kept.get(identity)
        if first is None:
            kept[identity] = check
        elif check.severity == "critical" and first.severity != "critical":
            kept[identity] = replace(first, severity="critical")
    return list(kept.values())


def schema_checks(types: Mapping[str, str], previous: PreviousRelease | None) -> list[Check]:
    """Columns and types as published; against the previous release when there is one."""
    has_previous = bool(previous and previous.columns)
    expected = dict(previous.columns) if previous and previous.columns else dict(types)
    as_before = ", as in the previous release" if has_previous else ""
    checks = [
        Check(
            "expect_table_columns_to_match_set",
            {"column_set": list(expected), "exact_match": True},
            "critical",
            f"the published columns are {names(expected)}{as_before}",
            facts={"previous": has_previous},
        )
    ]
    for name, kind in expected.items():
        if name not in types:
            continue  # a missing column is reported once, by the column set check
        checks.append(
            Check(
                "expect_column_to_have_published_type",
                {"column": name, "type_list": [kind]},
                "critical",
                f"{col(name)} is published as {kind}{as_before}",
                column=name,
                facts={"previous": has_previous},
            )
        )
    return checks


def volume_checks(previous: PreviousRelease | None, tolerance: float) -> list[Check]:
    checks = [
        Check("expect_table_row_count_to_be_between", {"min_value": 1}, "critical", "the table has rows")
    ]
    if previous is not None and previous.row_count > 0:
        low = math.ceil(previous.row_count * (1 - tolerance)) if tolerance < 1 else 0
        high = math.floor(previous.row_count * (1 + tolerance))
        checks.append(
            Check(
                "expect_table_row_count_to_be_between",
                {"min_value": low, "max_value": high},
                "critical",
                f"the row count is within {tolerance:.0%} of the previous release's {previous.row_count} "
                f"rows ({bounds(low, high)})",
                facts={"previous_rows": previous.row_count, "tolerance": tolerance},
            )
        )
    return checks


def completeness_checks(columns: Sequence[str]) -> list[Check]:
    if not columns:
        return []
    # GX's multicolumn domain needs two columns; a one-column table asks the same per cell.
    if len(columns) >= 2:
        blank_rows = Check("expect_rows_to_not_be_empty", {"column_list": list(columns)}, "critical",
                           "no row is entirely empty")
    else:
        blank_rows = Check("expect_column_values_to_not_be_blank", {"column": columns[0]}, "critical",
                           "no row is entirely empty")
    checks = [blank_rows]
    checks += [
        Check(
            "expect_column_proportion_of_non_null_values_to_be_between",
            {"column": name, "min_value": 0, "strict_min": True},
            "warning",
            f"{col(name)} has at least one value",
            column=name,
        )
        for name in columns
    ]
    return checks


def key_checks(key: Sequence[str]) -> list[Check]:
    key = list(dict.fromkeys(key))
    checks = [
        Check(
            "expect_column_values_to_not_be_null", {"column": name}, "critical",
            f"{col(name)} (key) has a value in every row", column=name, facts={"key": True},
        )
        for name in key
    ]
    if len(key) == 1:
        checks.append(
            Check(
                "expect_column_values_to_be_unique", {"column": key[0]}, "critical",
                f"{col(key[0])} (key) identifies each row: no value repeats", column=key[0],
                facts={"key": True},
            )
        )
    elif len(key) > 1:
        checks.append(
            Check(
                "expect_compound_columns_to_be_unique",
                {"column_list": key, "ignore_row_if": "any_value_is_missing"},
                "critical",
                f"the key ({names(key)}) identifies each row: no combination repeats",
                facts={"key": True},
            )
        )
    return checks


def duplicate_checks(columns: Sequence[str]) -> list[Check]:
    """Exact duplicate rows. A warning: generalization for k-anonymity can make rows identical."""
    about = "no row is an exact duplicate of another"
    if len(columns) >= 2:
        kwargs = {"column_list": list(columns), "ignore_row_if": "all_values_are_missing"}
        return [Check("expect_compound_columns_to_be_unique", kwargs, "warning", about,
                      facts={"duplicates": True})]
    if len(columns) == 1:
        return [Check("expect_column_values_to_be_unique", {"column": columns[0]}, "warning", about,
                      facts={"duplicates": True})]
    return []


def freshness_checks(
    previous: PreviousRelease | None, update_frequency: str, now: datetime, grace: float
) -> list[Check]:
    gap = freshness.allowed_gap(update_frequency, grace)
    if previous is None or previous.released_at is None or gap is None:
        return []
    released = freshness.as_utc(previous.released_at)
    kwargs = {
        "previous_released_at": released.isoformat(),
        "released_at": freshness.as_utc(now).isoformat(),
        "max_gap_days": freshness.days(gap),
        "update_frequency": update_frequency,
    }
    about = (f"released within {freshness.days(gap):g} days of the previous release "
             f"({released:%Y-%m-%d}), as a {update_frequency} dataset should be")
    return [Check("expect_release_to_be_on_time", kwargs, "warning", about)]


def privacy_checks(
    columns: Sequence[str],
    *,
    published_as_is: Sequence[str] = (),
    sensitive_entities: Sequence[str] = (),
    quasi_identifiers: Sequence[str] = (),
    k: int = 1,
    identifier_entities: Sequence[str] | None = None,
    min_share: float = 0.5,
    synthetic: Mapping[str, str] | None = None,
) -> list[Check]:
    """Residual identifiers in every column, sensitive columns published as is, and k-anonymity.

    A column the spec transforms (or does not mention) may hold no raw identifier at all, not even one
    cell; a column published as is on purpose is judged as a whole (is it detected as a sensitive
    entity?), since the steward has looked at it and a stray look-alike should not block it.
    """
    exempt = set(published_as_is)
    sensitive = sorted(set(sensitive_entities))
    identifiers = sorted(set(IDENTIFIER_ENTITIES if identifier_entities is None else identifier_entities)
                         | set(sensitive))
    checks = []
    for name in columns:
        if name not in exempt:
            # A surrogate column holds valid look-alikes of its own entity by design.
            expected = (synthetic or {}).get(name)
            entities = [e for e in identifiers if e != expected]
            checks.append(Check(
                "expect_column_to_hold_no_raw_identifier", {"column": name, "entities": entities},
                "critical", f"{col(name)} holds no raw personal identifier", column=name, origin="privacy",
            ))
        elif sensitive:
            checks.append(Check(
                "expect_column_published_as_is_to_hold_no_sensitive_entity",
                {"column": name, "sensitive_entities": sensitive, "min_share": float(min_share)},
                "critical",
                f"{col(name)} is published as is, so it must not be one of {names(sensitive)}",
                column=name, origin="privacy",
            ))
    qis = list(dict.fromkeys(quasi_identifiers))
    if qis and k > 1:
        about = f"every combination of the quasi-identifiers ({names(qis)}) is shared by at least {k} rows"
        if len(qis) >= 2:
            kind, kwargs = "expect_compound_columns_to_be_k_anonymous", {"column_list": qis, "k": int(k)}
        else:
            kind, kwargs = "expect_column_values_to_be_k_anonymous", {"column": qis[0], "k": int(k)}
        checks.append(Check(kind, kwargs, "critical", about, origin="privacy", facts={"k": int(k)}))
    return checks


def spec_check(item: Mapping[str, Any] | Any, types: Mapping[str, str]) -> Check:
    """One steward expectation from the spec (see quality/README.md for the format)."""
    spec = _as_mapping(item)
    kind = spec.get("expect")
    if kind not in SPEC_KINDS:
        raise ValueError(f"unknown expectation '{kind}'; expected one of {', '.join(SPEC_KINDS)}")
    severity = spec.get("severity") or "critical"
    if severity not in SEVERITIES:
        raise ValueError(f"expectation '{kind}': severity must be critical or warning, not '{severity}'")
    column = spec.get("column")
    if kind != "row_count_between" and not column:
        raise ValueError(f"expectation '{kind}' needs a 'column'")
    low, high, mostly = spec.get("min"), spec.get("max"), spec.get("mostly")
    map_extra = {"mostly": float(mostly)} if mostly is not None else {}
    share = f" in at least {mostly:.0%} of rows" if mostly is not None else ""
    facts = {"kind": kind}

    if kind in {"between", "length_between", "row_count_between", "mean_between"}:
        _need_bounds(kind, low, high)
    if kind in _NUMERIC_KINDS and column in types and types[column] not in NUMERIC_TYPES:
        # GX would raise on text; ask the question that actually fails, in words the steward understands.
        what = f"{'its mean' if kind == 'mean_between' else 'its values'} being {bounds(low, high)}"
        return Check(
            "expect_column_to_have_published_type", {"column": column, "type_list": list(NUMERIC_TYPES)},
            severity, f"{col(column)} holds numbers, as needed to check {what}", column=column, origin="spec",
            facts={**facts, "blocked": what},
        )
    if kind == "not_null":
        return Check("expect_column_values_to_not_be_null", {"column": column, **map_extra}, severity,
                     f"{col(column)} has a value{share or ' in every row'}", column, "spec", facts)
    if kind == "unique":
        return Check("expect_column_values_to_be_unique", {"column": column, **map_extra}, severity,
                     f"{col(column)} has no repeated value{share}", column, "spec", facts)
    if kind == "between":
        kwargs = {"column": column, "min_value": low, "max_value": high, **map_extra}
        return Check("expect_column_values_to_be_between", kwargs, severity,
                     f"{col(column)} values are {bounds(low, high)}{share}", column, "spec", facts)
    if kind == "in_set":
        values = list(spec.get("values") or [])
        if not values:
            raise ValueError("expectation 'in_set' needs 'values'")
        if column in types and types[column] == "string":
            values = [str(v) for v in values]  # YAML reads codes like 370102 as numbers
        kwargs = {"column": column, "value_set": values, **map_extra}
        return Check("expect_column_values_to_be_in_set", kwargs, severity,
                     f"{col(column)} values are among the {len(values)} allowed values{share}",
                     column, "spec", {**facts, "allowed": len(values)})
    if kind == "match_regex":
        regex = spec.get("regex")
        if not regex:
            raise ValueError("expectation 'match_regex' needs 'regex'")
        kwargs = {"column": column, "regex": regex, **map_extra}
        return Check("expect_column_values_to_match_regex", kwargs, severity,
                     f"{col(column)} values match the pattern {regex}{share}", column, "spec", facts)
    if kind == "length_between":
        low_i, high_i = _int(low), _int(high)
        kwargs = {"column": column, "min_value": low_i, "max_value": high_i, **map_extra}
        return Check("expect_column_value_lengths_to_be_between", kwargs, severity,
                     f"{col(column)} values are {bounds(low_i, high_i, 'characters')} long{share}",
                     column, "spec", facts)
    if kind == "row_count_between":
        kwargs = {"min_value": _int(low), "max_value": _int(high)}
        return Check("expect_table_row_count_to_be_between", kwargs, severity,
                     f"the row count is {bounds(_int(low), _int(high))}", None, "spec", facts)
    kwargs = {"column": column, "min_value": low, "max_value": high}
    return Check("expect_column_mean_to_be_between", kwargs, severity,
                 f"{col(column)} has a mean {bounds(low, high)}", column, "spec", facts)


def _as_mapping(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    if hasattr(item, "model_dump"):  # pipelines.spec.Expectation, without importing pipelines
        return item.model_dump()
    raise TypeError(f"an expectation must be a mapping, not {type(item).__name__}")


def _need_bounds(kind: str, low: Any, high: Any) -> None:
    if low is None and high is None:
        raise ValueError(f"expectation '{kind}' needs 'min' and/or 'max'")


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
