"""Publish-side helper: decide the published column types (the catalog writes the files).

Types are decided after desensitization, on what will actually be published: a column becomes
numeric only when every value is a plain number without leading zeros, so codes keep their zeros.
"""

from __future__ import annotations

import re

import pandas as pd

from catalog.record import ColumnPlan, PublishedColumn

_INTEGER = re.compile(r"^-?(?:0|[1-9]\d{0,14})$")
_NUMBER = re.compile(r"^-?(?:0|[1-9]\d{0,14})\.\d{1,10}$")
_DATE = re.compile(r"^(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$")


def _kind(values: pd.Series) -> str:
    present = values.dropna()
    if present.empty:
        return "string"
    if present.str.fullmatch(_INTEGER).all():
        return "integer"
    if present.str.fullmatch(f"{_INTEGER.pattern}|{_NUMBER.pattern}").all():
        return "number"
    if present.str.fullmatch(_DATE).all():
        return "date"
    return "string"


def typed_table(frame: pd.DataFrame, plan: list[ColumnPlan]) -> tuple[pd.DataFrame, list[PublishedColumn]]:
    by_column = {p.column: p for p in plan}
    out = frame.copy()
    columns = []
    for name in frame.columns:
        text = frame[name].astype("string")
        kind = _kind(text)
        if kind == "integer":
            out[name] = pd.to_numeric(text).astype("Int64")
        elif kind == "number":
            out[name] = pd.to_numeric(text).astype("Float64")
        elif kind == "date":
            out[name] = pd.to_datetime(text, format="%Y-%m-%d").dt.date
        else:
            out[name] = text
        item = by_column.get(name)
        columns.append(PublishedColumn(name=name, type=kind, action=item.action if item else "keep",
                                       entity=item.entity if item else None))
    return out.reset_index(drop=True), columns
