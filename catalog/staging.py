"""Writing a staged folder the way the catalog reads it, so the formats are defined in one place.

The pipeline may write the files itself (the layout is in `catalog.store`), but this helper makes
sure of the details Frictionless checks: UTF-8, ISO dates (2024-01-31) and datetimes
(2024-01-31T08:00:00), JSON as an array of row objects, Parquet with native types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from catalog.record import PublishedColumn

FILE_NAMES = {"csv": "data.csv", "parquet": "data.parquet", "json": "data.json"}


def _as_text(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> pd.DataFrame:
    """Dates and datetimes as ISO text, the lexical form Table Schema expects in CSV and JSON."""
    out = frame.copy()
    for column in columns:
        if column.name not in out.columns or column.type not in ("date", "datetime"):
            continue
        values = pd.to_datetime(out[column.name], errors="coerce")
        pattern = "%Y-%m-%d" if column.type == "date" else "%Y-%m-%dT%H:%M:%S"
        out[column.name] = values.dt.strftime(pattern).where(values.notna(), None)
    return out


def _native(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column.name in out.columns and column.type == "date":
            out[column.name] = pd.to_datetime(out[column.name], errors="coerce").dt.date
        elif column.name in out.columns and column.type == "datetime":
            out[column.name] = pd.to_datetime(out[column.name], errors="coerce")
    return out


def write_staged(
    frame: pd.DataFrame,
    folder: Path,
    columns: list[PublishedColumn],
    formats: Iterable[str] = ("csv", "parquet", "json"),
) -> list[Path]:
    """Write `data.<format>` files for one published table into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    text = _as_text(frame, columns)
    for fmt in dict.fromkeys(formats):
        path = folder / FILE_NAMES[fmt]
        if fmt == "csv":
            text.to_csv(path, index=False, encoding="utf-8")
        elif fmt == "parquet":
            _native(frame, columns).to_parquet(path, index=False)
        elif fmt == "json":
            rows = json.loads(text.to_json(orient="records", force_ascii=False))
            path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        else:
            raise ValueError(f"unknown output format {fmt!r}: use csv, parquet or json")
        written.append(path)
    return written
