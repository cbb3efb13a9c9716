"""Kaifang's custom GX expectations: published types, blank rows, freshness and the privacy checks.

GX finds an expectation by its snake-case type when it loads a stored suite, and only knows the classes
that have been imported, so import this module (it imports GX) before loading a Kaifang suite
anywhere. Results carry counts, types and entity names only: the metrics never return a cell value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    BatchExpectation,
    ColumnAggregateExpectation,
    ColumnMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics import ColumnAggregateMetricProvider, column_aggregate_value
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

from quality import privacy
from quality.types import published_type
from quality.wording import names, percent

_MULTICOLUMN_DOMAIN = (
    "batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if",
)


# ---------------------------------------------------------------------------------------------- metrics


class ColumnPublishedType(ColumnAggregateMetricProvider):
    """The `catalog.record.PublishedColumn.type` name a column would be published as."""

    metric_name = "column.kaifang_published_type"

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> str:
        return published_type(column)


class ColumnRawEntities(ColumnAggregateMetricProvider):
    """Cells per entity type that `detectors` finds raw in a column: all evidence, and the present ones."""

    metric_name = "column.kaifang_raw_entities"
    value_keys = ("min_share",)

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, min_share: float | None = None, **kwargs: Any) -> dict:
        return privacy.column_entities(column, min_share if min_share is not None else 0.5)


class ColumnValuesNotBlank(ColumnMapMetricProvider):
    """A cell is unexpected when missing or blank (one-column tables, where a row is one cell)."""

    condition_metric_name = "column_values.kaifang_not_blank"
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return ~privacy.empty_cells(column.to_frame()).iloc[:, 0]


class ColumnValuesKAnonymous(ColumnMapMetricProvider):
    """A cell is unexpected when fewer than k rows share its value (a single quasi-identifier)."""

    condition_metric_name = "column_values.kaifang_k_anonymous"
    condition_value_keys = ("k",)
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, k: int, **kwargs: Any) -> pd.Series:
        return privacy.class_sizes(column.to_frame(), [column.name]) >= int(k)


class RowsNotEmpty(MulticolumnMapMetricProvider):
    """A row is unexpected when every one of its cells is missing or blank."""

    condition_metric_name = "multicolumn_values.kaifang_not_empty"
    condition_domain_keys = _MULTICOLUMN_DOMAIN

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        return ~privacy.empty_cells(column_list).all(axis=1)


class CompoundColumnsKAnonymous(MulticolumnMapMetricProvider):
    """A row is unexpected when fewer than k rows share its quasi-identifier values."""

    condition_metric_name = "compound_columns.kaifang_k_anonymous"
    condition_domain_keys = _MULTICOLUMN_DOMAIN
    condition_value_keys = ("k",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, k: int, **kwargs: Any) -> pd.Series:
        return privacy.class_sizes(column_list, list(column_list.columns)) >= int(k)


# ---------------------------------------------------------------------------------------------- rendering


def _sentence(template: str, params: dict[str, Any]) -> list[RenderedStringTemplateContent]:
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": {}},
        )
    ]


def _kwargs(configuration: Any) -> dict[str, Any]:
    return dict(getattr(configuration, "kwargs", None) or {})


# ---------------------------------------------------------------------------------------------- expectations


class ExpectColumnToHavePublishedType(ColumnAggregateExpectation):
    """The column is published as one of `type_list` (string, integer, number, boolean, date, datetime).

    Catches a type drift between releases, which breaks consumers loading the files with a fixed schema.
    """

    type_list: list[str]

    metric_dependencies: ClassVar[tuple[str, ...]] = ("column.kaifang_published_type",)
    success_keys: ClassVar[tuple[str, ...]] = ("type_list",)
    args_keys: ClassVar[tuple[str, ...]] = ("column", "type_list")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        observed = metrics["column.kaifang_published_type"]
        return {"success": observed in self.type_list, "result": {"observed_value": observed}}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        return _sentence("$column is published as $types.",
                         {"column": params.get("column"), "types": " or ".join(params.get("type_list", []))})


class ExpectRowsToNotBeEmpty(MulticolumnMapExpectation):
    """No row has every cell empty: blank rows from spreadsheet exports inflate counts and mislead."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric: ClassVar[str] = "multicolumn_values.kaifang_not_empty"
    args_keys: ClassVar[tuple[str, ...]] = ("column_list",)

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        return _sentence("No row may be entirely empty.", {})


class ExpectCompoundColumnsToBeKAnonymous(MulticolumnMapExpectation):
    """Every combination of the quasi-identifier values is shared by at least k rows (k-anonymity).

    A row whose combination is rarer can be singled out by anyone who knows those attributes of a person.
    """

    k: int = pydantic.Field(ge=1)
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric: ClassVar[str] = "compound_columns.kaifang_k_anonymous"
    success_keys: ClassVar[tuple[str, ...]] = ("k", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column_list", "k")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        return _sentence("Every combination of $columns is shared by at least $k rows (k-anonymity).",
                         {"columns": names(params.get("column_list", [])), "k": params.get("k")})


class _CountsEveryRow(ColumnMapExpectation):
    """A column-map expectation whose missing cells count as rows like any other.

    GX's column-map success is computed over non-missing cells and is vacuously true when all are
    missing; a blank row or a rare empty quasi-identifier is exactly what these checks look for.
    """

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        result = super()._validate(metrics, runtime_configuration, execution_engine)
        total = int(metrics.get("table.row_count") or 0)
        unexpected = int(metrics.get(f"{self.map_metric}.unexpected_count") or 0)
        result["success"] = total == 0 or (total - unexpected) / total >= float(self.mostly)
        return result


class ExpectColumnValuesToNotBeBlank(_CountsEveryRow):
    """Every cell has a non-blank value; the one-column form of expect_rows_to_not_be_empty."""

    map_metric: ClassVar[str] = "column_values.kaifang_not_blank"

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        return _sentence("$column has a non-blank value in every row.",
                         {"column": _kwargs(configuration).get("column")})


class ExpectColumnValuesToBeKAnonymous(_CountsEveryRow):
    """Every value of a single quasi-identifier is shared by at least k rows."""

    k: int = pydantic.Field(ge=1)
    map_metric: ClassVar[str] = "column_values.kaifang_k_anonymous"
    success_keys: ClassVar[tuple[str, ...]] = ("k", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "k")

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        return _sentence("Every value of $column is shared by at least $k rows (k-anonymity).",
                         {"column": params.get("column"), "k": params.get("k")})


class _RawEntityExpectation(ColumnAggregateExpectation):
    """Shared by the two identifier checks: both read the entity counts `detectors` finds in a column."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("column.kaifang_raw_entities", "table.row_count")

    def _found(self, metrics: dict, kind: str, entities: list[str]) -> dict:
        counts: dict[str, int] = (metrics["column.kaifang_raw_entities"] or {}).get(kind, {})
        rows = int(metrics["table.row_count"] or 0)
        found = {e: n for e, n in counts.items() if e in entities}
        observed = ", ".join(f"{e} in {n} rows ({percent(n, rows)})" for e, n in found.items()) or "none"
        return {
            "success": not found,
            "result": {"observed_value": observed, "details": {"entities": found, "rows": rows}},
        }


class ExpectColumnToHoldNoRawIdentifier(_RawEntityExpectation):
    """No cell holds a raw (unmasked, validated) identifier of the listed entity types."""

    entities: list[str]
    success_keys: ClassVar[tuple[str, ...]] = ("entities",)
    args_keys: ClassVar[tuple[str, ...]] = ("column", "entities")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        return self._found(metrics, "evidence", list(self.entities))

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        return _sentence("$column holds no raw identifier of these types: $entities.",
                         {"column": params.get("column"), "entities": names(params.get("entities", []))})


class ExpectColumnPublishedAsIsToHoldNoSensitiveEntity(_RawEntityExpectation):
    """A column the spec publishes unchanged is not detected as an entity the policy never allows raw."""

    sensitive_entities: list[str]
    min_share: float = 0.5
    success_keys: ClassVar[tuple[str, ...]] = ("sensitive_entities", "min_share")
    args_keys: ClassVar[tuple[str, ...]] = ("column", "sensitive_entities")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        return self._found(metrics, "present", list(self.sensitive_entities))

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        entities = names(params.get("sensitive_entities", []))
        return _sentence("$column is published as is and is detected as none of: $entities.",
                         {"column": params.get("column"), "entities": entities})


class ExpectReleaseToBeOnTime(BatchExpectation):
    """The release comes no later after the previous one than its declared update frequency allows."""

    previous_released_at: str
    released_at: str
    max_gap_days: float
    update_frequency: str

    metric_dependencies: ClassVar[tuple[str, ...]] = ("table.row_count",)
    success_keys: ClassVar[tuple[str, ...]] = (
        "previous_released_at", "released_at", "max_gap_days", "update_frequency",
    )
    args_keys: ClassVar[tuple[str, ...]] = ("previous_released_at", "released_at", "max_gap_days")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        gap = datetime.fromisoformat(self.released_at) - datetime.fromisoformat(self.previous_released_at)
        gap_days = round(gap.total_seconds() / 86400, 2)
        return {"success": gap_days <= self.max_gap_days, "result": {"observed_value": gap_days}}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None,
                               runtime_configuration: dict | None = None, **kwargs: Any) -> list:
        params = _kwargs(configuration)
        return _sentence(
            "A $frequency dataset is released at most $days days after the previous release ($previous).",
            {"frequency": params.get("update_frequency"), "days": params.get("max_gap_days"),
             "previous": str(params.get("previous_released_at", ""))[:10]},
        )


CUSTOM_EXPECTATIONS = (
    ExpectColumnToHavePublishedType,
    ExpectRowsToNotBeEmpty,
    ExpectColumnValuesToNotBeBlank,
    ExpectCompoundColumnsToBeKAnonymous,
    ExpectColumnValuesToBeKAnonymous,
    ExpectColumnToHoldNoRawIdentifier,
    ExpectColumnPublishedAsIsToHoldNoSensitiveEntity,
    ExpectReleaseToBeOnTime,
)
