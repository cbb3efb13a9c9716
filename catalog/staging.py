"""Writing a staged folder the way the catalog reads it, so the formats are defined in one place.

The pipeline may write the files itself (the layout is in `catalog.store`), but this helper makes
sure of the details Frictionless checks: UTF-8, ISO dates (2024-01-31) and datetimes
(2024-01-31T08:00:00), JSON as an array of row objects, Parquet with native types.

It also makes the files safe to open (`safe_cells`): control characters other than tab, line feed and
carriage return (NUL, the rest of C0, DEL, C1) are replaced by U+FFFD in every format, and in the CSV
file a text cell that a spreadsheet would run as a formula (its first character after any spaces is
= + - @, a tab or a carriage return) gets a leading apostrophe, which spreadsheets show as text
(policy `csv_formula_guard`, on by default; turn it off only for files read by programs). Both are
counted in the release record's `cell_fixes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from catalog.record import PublishedColumn

FILE_NAMES = {"csv": "data.csv", "parquet": "data.parquet", "json": "data.json"}
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")
FORMULA_GUARD = "'"


@dataclass
class CellFixes:
    """How many cells `safe_cells` changed: figures for the release record, never the cells."""

    control_characters: int = 0
    formulas_neutralised: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"control_characters": self.control_characters, "formulas_neutralised": self.formulas_neutralised}


def _text_columns(frame: pd.DataFrame, columns: Iterable[PublishedColumn]) -> list[str]:
    typed = {c.name for c in columns if c.type != "string"}
    return [name for name in frame.columns if name not in typed and not pd.api.types.is_numeric_dtype(frame[name])]


def replace_control_characters(frame: pd.DataFrame, columns: Iterable[PublishedColumn],
                               fixes: CellFixes) -> pd.DataFrame:
    """Text cells with NUL and other control characters replaced by U+FFFD (tab, LF, CR stay)."""
    out = frame.copy()
    for name in _text_columns(out, columns):
        text = out[name].astype("string")
        count = int(text.str.count(CONTROL_CHARACTERS.pattern).fillna(0).sum())
        if count:
            fixes.control_characters += count
            out[name] = text.str.replace(CONTROL_CHARACTERS.pattern, REPLACEMENT, regex=True)
    return out


def neutralise_formulas(frame: pd.DataFrame, columns: Iterable[PublishedColumn], fixes: CellFixes) -> pd.DataFrame:
    """Text cells a spreadsheet would evaluate (=, +, -, @, tab, CR first, after any spaces) start with '."""
    out = frame.copy()
    for name in _text_columns(out, columns):
        text = out[name].astype("string")
        risky = text.str.contains(FORMULA_START.pattern, regex=True).fillna(False).astype(bool)
        if risky.any():
            fixes.formulas_neutralised += int(risky.sum())
            out[name] = text.where(~risky, FORMULA_GUARD + text)
    return out


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
    csv_formula_guard: bool = True,
    fixes: CellFixes | None = None,
) -> list[Path]:
    """Write `data.<format>` files for one published table into `folder`; returns the paths written.

    `fixes`, when given, receives the count of cells made safe (see the module docstring).
    """
    folder.mkdir(parents=True, exist_ok=True)
    fixes = fixes if fixes is not None else CellFixes()
    frame = replace_control_characters(frame, columns, fixes)
    written = []
    text = _as_text(frame, columns)
    for fmt in dict.fromkeys(formats):
        path = folder / FILE_NAMES[fmt]
        if fmt == "csv":
            csv_text = neutralise_formulas(text, columns, fixes) if csv_formula_guard else text
            # CRLF rows (RFC 4180): the csv module then also quotes cells holding a lone CR.
            csv_text.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
        elif fmt == "parquet":
            _native(frame, columns).to_parquet(path, index=False)
        elif fmt == "json":
            rows = json.loads(text.to_json(orient="records", force_ascii=False))
            path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        else:
            raise ValueError(f"unknown output format {fmt!r}: use csv, parquet or json")
        written.append(path)
    return written
