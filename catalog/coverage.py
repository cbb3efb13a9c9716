"""Where and when a release is about: GB/T 2260 region of the publisher, dates covered by the data.

Both feed the recommended DCAT-AP properties `dct:spatial` and `dct:temporal`. The region comes from
the publisher's unified social credit code (characters 3-8 are the GB/T 2260 code of the registering
authority) or, failing that, from the province or city its name begins with. The dates come only from
the published files, never from the input, and only from columns published as dates (or generalized
to a month or year) that were not perturbed (date-shifted or noised values describe no real period)
and are neither personal entities nor quasi-identifiers (a birth date says nothing about what the
dataset covers). Restricted data is coarsened to the month, so the public catalog never repeats a day
that only approved applicants may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from catalog.record import Coverage, DatasetMeta, ReleaseRecord

_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}(\d{6})[0-9A-HJ-NPQRTUWXY]{10}$")
_LOC_LINE = re.compile(r'^(\s*)(\d+) (?:province|county)="(\[[^\]]*\])?([^"]+)"')
_PERTURBED = {"date_shift", "noise"}
_NATIONAL = ("国务院", "国家", "中华人民共和国", "中央")


@dataclass(frozen=True)
class Region:
    code: str  # six-digit GB/T 2260 code
    name: str  # full name, province first: 山东省济南市

    @property
    def level(self) -> str:
        """province (省级, also the four municipalities) or local (地市级 and below)."""
        return "province" if self.code.endswith("0000") else "local"


@cache
def _regions() -> dict[str, str]:
    """GB/T 2260 code -> name of every current province- and city-level entry (python-stdnum's table)."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        match = _LOC_LINE.match(line)
        if not match:
            continue
        indent, part, years, name = match.groups()
        if not indent:
            province = part
            continue
        retired = bool(years) and not years.rstrip("]").endswith("-")
        if part.endswith("00") and not retired and name not in {"市辖区", "县"}:
            names[province + part] = name
    return names


def _full_name(code: str) -> str:
    regions = _regions()
    own = regions.get(code, "")
    province = regions.get(code[:2] + "0000", "")
    return own if own == province else province + own


def publisher_region(meta: DatasetMeta) -> Region | None:
    """The GB/T 2260 region of the publishing agency, or None when neither its code nor its name tells."""
    regions = _regions()
    if meta.publisher_code and (match := _USCC.match(meta.publisher_code.strip().upper())):
        code = match.group(1)
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in regions:
                return Region(candidate, _full_name(candidate))
    name = meta.publisher.strip()
    best: tuple[int, str] | None = None
    for code, region in regions.items():
        full = _full_name(code)
        for label in {region, full}:
            if name.startswith(label) and (best is None or len(label) > best[0]):
                best = (len(label), code)
    return Region(best[1], _full_name(best[1])) if best else None


def publisher_type(meta: DatasetMeta) -> str | None:
    """ADMS publisher type of the agency: national, regional (province level) or local authority."""
    if meta.publisher.strip().startswith(_NATIONAL):
        return "NationalAuthority"
    region = publisher_region(meta)
    if region is None:
        return None
    return "RegionalAuthority" if region.level == "province" else "LocalAuthority"


_PATTERNS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_COARSER = ["day", "month", "year"]


def _coverage_columns(record: ReleaseRecord) -> dict[str, str]:
    """Published columns that say when, with their granularity: dates, and dates generalized to a
    month or year. Quasi-identifiers, personal entities and perturbed values are left out."""
    plans = {p.column: p for p in record.plan}
    found: dict[str, str] = {}
    for column in record.columns:
        plan = plans.get(column.name)
        if column.entity or column.action in _PERTURBED or (plan and (plan.quasi_identifier or plan.entity)):
            continue
        if column.type in ("date", "datetime"):
            found[column.name] = "day"
        elif column.action == "generalize" and plan and plan.params.get("to") in ("month", "year"):
            found[column.name] = str(plan.params["to"])
    return found


def _read_columns(folder: Path, record: ReleaseRecord, names: list[str]):  # noqa: ANN202 - a DataFrame
    import pandas as pd

    by_format = {o.format: folder / o.path for o in record.outputs}
    if "csv" in by_format:
        return pd.read_csv(by_format["csv"], usecols=names, dtype=str, encoding="utf-8")
    if "parquet" in by_format:
        return pd.read_parquet(by_format["parquet"], columns=names).astype("string")
    if "json" in by_format:
        return pd.read_json(by_format["json"], orient="records", dtype=False)[names].astype("string")
    return None


def _parse(values, granularity: str):  # noqa: ANN001, ANN202 - pandas Series in and out
    import pandas as pd

    text = values.dropna().astype(str).str.strip()
    formats = {"day": "ISO8601", "month": "%Y-%m", "year": "%Y"}
    return pd.to_datetime(text, format=formats[granularity], errors="coerce").dropna()


def temporal_coverage(folder: Path, record: ReleaseRecord, restricted: bool) -> Coverage | None:
    """Earliest and latest published date at the coarsest granularity of the columns used (at least
    the month when `restricted`).

    Returns None when no column qualifies or a file cannot be read: coverage is a recommendation,
    never a reason to refuse a release, and an error here must not quote the data.
    """
    import pandas as pd

    columns = _coverage_columns(record)
    if not columns:
        return None
    try:
        frame = _read_columns(folder, record, list(columns))
        if frame is None:
            return None
        values = pd.concat([_parse(frame[name], level) for name, level in columns.items()], ignore_index=True)
    except Exception:  # noqa: BLE001 - coverage is optional; the file's validation reports real problems
        return None
    if values.empty:
        return None
    levels = [*columns.values(), "month" if restricted else "day"]
    pattern = _PATTERNS[max(levels, key=_COARSER.index)]
    return Coverage(start=values.min().strftime(pattern), end=values.max().strftime(pattern))
