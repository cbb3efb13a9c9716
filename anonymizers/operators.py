"""Column operators: one implementation each, used on a whole column and on a span inside free text.

Every operator maps a pandas Series of text to a Series of text, vectorized where pandas allows
and computed once per distinct value where it does not (HMAC). Missing cells stay missing. The
Presidio adapter at the bottom calls the very same functions on a one-element Series, so a name
masked in a table and a name masked inside a remark come out alike.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MASK_CHAR = "*"


@dataclass(frozen=True)
class OperatorParams:
    """Parameters of one column's operator, taken from the spec or the policy defaults."""

    entity: str | None = None
    keep_first: int | None = None
    keep_last: int | None = None
    to: str | None = None
    width: float | None = None
    top: float | None = None
    bottom: float | None = None
    digits: int | None = None
    hierarchy: str | None = None
    level: int | None = None
    column: str | None = None
    key: bytes | None = field(default=None, repr=False)
    reference: date | None = None


class OperatorError(ValueError):
    """An operator cannot run with the parameters given; one line, no cell values."""


Operator = Callable[[pd.Series, OperatorParams], pd.Series]
OPERATORS: dict[str, Operator] = {}


def operator(name: str) -> Callable[[Operator], Operator]:
    def register(function: Operator) -> Operator:
        OPERATORS[name] = function
        return function

    return register


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string")


def normalize(value: str) -> str:
    """Full-width to half-width, trimmed, upper-case: so 11010519491231002x and its variants pseudonymize alike."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _on_distinct(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """An element-wise function of a column, computed on its distinct non-missing values only and spread
    back: agency columns repeat (a million birth dates hold some thousands of days, a district column a
    dozen names), and parsing, regex and formatting cost per value, not per row.

    Arrow's dictionary encoding finds the distinct values and each cell's index into them, and one
    ``take`` spreads the results back (a missing cell has a missing index, so it stays missing)."""
    text = _text(values)
    encoded = pc.dictionary_encode(arrow_strings(text))
    distinct = pd.Series(pd.arrays.ArrowStringArray(encoded.dictionary.cast(pa.large_string())), dtype="string")
    results = arrow_strings(function(distinct).astype("string"))
    return pd.Series(pd.arrays.ArrowStringArray(pc.take(results, encoded.indices)), index=text.index, dtype="string")


def arrow_strings(text: pd.Series) -> pa.Array:
    """A string Series as one contiguous large_string Arrow array (no copy when it already is one): what
    Arrow's kernels and ``take`` are given wherever the anonymizers hand a column to Arrow."""
    array = pa.array(text.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string()) if array.type != pa.large_string() else array


def _per_distinct(values: pd.Series, function: Callable[[str], str | None]) -> pd.Series:
    """Apply a scalar function once per distinct non-missing value (costly functions, repeated values)."""
    return _on_distinct(values, lambda distinct: _strings([function(v) for v in distinct.tolist()], distinct.index))


def _strings(items: list[str | None], index: pd.Index) -> pd.Series:
    """Python strings (or None) as a string Series, built by Arrow in one pass."""
    return pd.Series(pd.arrays.ArrowStringArray(pa.array(items, type=pa.large_string())), index=index, dtype="string")


# Display-masking defaults (Chinese practice; see shared/reference/identifiers.md). Configurable per spec.
MASK_DEFAULTS: dict[str, tuple[int, int]] = {
    "PERSON": (1, 0),
    "CN_RESIDENT_ID": (6, 4),
    "PHONE_NUMBER": (3, 4),
    "CN_BANK_CARD": (6, 4),
    "CN_LICENSE_PLATE": (2, 1),
    "CN_PASSPORT": (1, 2),
    "CN_HMT_PERMIT": (1, 2),
    "EMAIL_ADDRESS": (1, 0),
}


@operator("mask")
def mask(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Keep the first m and last n characters, star the rest; short values lose at least one character."""
    first_default, last_default = MASK_DEFAULTS.get(params.entity or "", (1, 1))
    first = params.keep_first if params.keep_first is not None else first_default
    last = params.keep_last if params.keep_last is not None else last_default
    text = _text(values)
    if params.entity == "EMAIL_ADDRESS" and params.keep_last is None:
        local = text.str.split("@", n=1).str[0]
        domain = text.str.split("@", n=1).str[1]
        masked_local = mask(local, OperatorParams(keep_first=first, keep_last=0))
        return (masked_local + "@" + domain).where(domain.notna(), mask(text, OperatorParams(keep_first=1,
                                                                                             keep_last=0)))
    lengths = text.str.len()
    # When a value is too short to keep both ends, reveal proportionally less: never the whole value.
    budget = (lengths - 1).clip(lower=0)
    keep_first = np.minimum(first, budget)
    keep_last = np.minimum(last, budget - keep_first).clip(lower=0)
    stars = (lengths - keep_first - keep_last).clip(lower=0)
    head = pd.Series([s[:k] if isinstance(s, str) else None for s, k in zip(text, keep_first.fillna(0).astype(int),
                                                                           strict=True)], index=text.index)
    tail = pd.Series(
        [s[len(s) - k :] if isinstance(s, str) and k > 0 else "" for s, k in
         zip(text, keep_last.fillna(0).astype(int), strict=True)], index=text.index)
    out = head.astype("string") + stars.fillna(0).astype(int).map(lambda n: MASK_CHAR * n).astype("string") + tail
    return out.where(text.notna(), pd.NA).astype("string")


@operator("redact")
def redact(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Replace every value with its entity label, keeping the fact that a value was there."""
    label = f"<{params.entity or 'REDACTED'}>"
    return pd.Series(label, index=values.index, dtype="string").where(values.notna(), pd.NA)


PSEUDONYM_PREFIX = "P"


def hmac_hex(key: bytes, value: str, length: int = 16) -> str:
    return _hex_digests(key, [value], length)[0]


def _hex_digests(key: bytes, values: list[str], length: int, prefix: str = "") -> list[str]:
    """``prefix`` + the first ``length`` hex digits of each normalized value's HMAC-SHA256 under ``key``."""
    keyed = _keyed(key)  # the key's pads hashed once per key, not once per value
    out = []
    for value in values:
        mac = keyed.copy()
        mac.update(normalize(value).encode("utf-8"))
        out.append(prefix + mac.hexdigest()[:length])
    return out


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with ``key`` and no message yet; copies of it continue from the keyed state."""
    return hmac.new(key, digestmod=hashlib.sha256)


PSEUDONYM_SHAPE = re.compile(rf"{PSEUDONYM_PREFIX}[0-9a-f]{{16}}")  # what `pseudonym` writes, nothing else


def pseudonym(key: bytes, value: str) -> str:
    """A letter first, so no pseudonym can read as a card or phone number when the output is rescanned."""
    return pseudonyms(key, [value])[0]


def pseudonyms(key: bytes, values: list[str]) -> list[str]:
    """:func:`pseudonym` of each value, a batch at once (a column's distinct values)."""
    return _hex_digests(key, values, 16, PSEUDONYM_PREFIX)


def _require_key(params: OperatorParams) -> bytes:
    if not params.key:
        raise OperatorError("this operator needs the pseudonymization key")
    return params.key


@operator("pseudonymize")
def pseudonymize(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Keyed HMAC-SHA256: the same input gives the same pseudonym under one key, in every release."""
    key = _require_key(params)
    return _on_distinct(values, lambda distinct: _strings(pseudonyms(key, distinct.tolist()), distinct.index))


def _keyed_int(key: bytes, value: str, purpose: str) -> int:
    digest = hmac.new(key, f"{purpose}\x1f{normalize(value)}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


@operator("date_shift")
def date_shift(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Shift each date by a keyed offset of up to ±width days (default 30), the same for the same value."""
    key = _require_key(params)
    days = int(params.width or 30)
    dates = pd.to_datetime(_text(values), errors="coerce", format="mixed")
    offsets = _per_distinct(values, lambda v: str(_keyed_int(key, v, "date") % (2 * days + 1) - days))
    shifted = dates + pd.to_timedelta(pd.to_numeric(offsets), unit="D")
    return shifted.dt.strftime("%Y-%m-%d").astype("string").where(dates.notna(), pd.NA)


@operator("noise")
def noise(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Add keyed uniform noise of relative size width (default 0.1) to numbers, rounded to digits (default 2)."""
    key = _require_key(params)
    scale = params.width or 0.1
    numbers = pd.to_numeric(_text(values), errors="coerce")
    fraction = pd.to_numeric(_per_distinct(values, lambda v: str(_keyed_int(key, v, "noise") / 2**64)))
    noisy = numbers * (1 + (fraction * 2 - 1) * scale)
    return noisy.round(params.digits if params.digits is not None else 2).astype("string").where(numbers.notna(),
                                                                                                pd.NA)


def _birth_year(text: pd.Series) -> pd.Series:
    """Birth year from an 18-digit resident ID or from a date written YYYY-MM-DD / YYYYMMDD."""
    digits = text.str.replace(r"\s", "", regex=True)
    from_id = digits.str.extract(r"^\d{6}((?:18|19|20)\d{2})\d{4}\d{3}[\dXx]$", expand=False)
    from_date = digits.str.extract(r"^((?:18|19|20)\d{2})[-/.年]?\d{1,2}", expand=False)
    return pd.to_numeric(from_id.fillna(from_date), errors="coerce").astype("Int64")


def _band_labels(numbers: pd.Series, width: float) -> pd.Series:
    """`low-high` labels of width-wide bands; missing and infinite values have no band."""
    low = np.floor(numbers / width) * width + 0.0  # -0.0 is 0: a band is never "-0-10"
    labels = [
        None if pd.isna(lo) or not math.isfinite(lo) else f"{lo:g}-{lo + width:g}"
        for lo in low
    ]
    return pd.Series(labels, index=numbers.index, dtype="string")


GENERALIZATIONS: dict[str, Callable[[pd.Series, OperatorParams], pd.Series]] = {}
# Every generalization maps each value on its own, so `generalize` runs it on the distinct values,
# except those registered with `per_row=True` (a hierarchy looks its distinct values up itself, and
# its error counts the rows it cannot place).
_PER_ROW: set[str] = set()


def generalization(name: str, per_row: bool = False):
    def register(function):
        GENERALIZATIONS[name] = function
        if per_row:
            _PER_ROW.add(name)
        return function

    return register


@generalization("birth_year")
def _to_birth_year(text: pd.Series, params: OperatorParams) -> pd.Series:
    return _birth_year(text).astype("string")


@generalization("birth_year_band")
def _to_birth_year_band(text: pd.Series, params: OperatorParams) -> pd.Series:
    return _band_labels(_birth_year(text).astype("Float64"), params.width or 10)


@generalization("age_band")
def _to_age_band(text: pd.Series, params: OperatorParams) -> pd.Series:
    reference = params.reference or date.today()
    age = reference.year - _birth_year(text).astype("Float64")
    return _band_labels(age, params.width or 10)


@generalization("gender")
def _to_gender(text: pd.Series, params: OperatorParams) -> pd.Series:
    seq = text.str.extract(r"^\d{16}(\d)[\dXx]$", expand=False)
    parity = pd.to_numeric(seq, errors="coerce") % 2
    return parity.map({1: "男", 0: "女"}, na_action="ignore").astype("string")


@generalization("region")
def _to_region(text: pd.Series, params: OperatorParams) -> pd.Series:
    keep = int(params.digits or 4)
    prefix = text.str.extract(r"^(\d{6})", expand=False).str.slice(0, keep)
    return (prefix + "0" * (6 - keep)).astype("string")


@generalization("district")
def _to_district(text: pd.Series, params: OperatorParams) -> pd.Series:
    from anonymizers.gazetteer import district_pattern

    # Only known place names survive; text with none becomes missing rather than kept.
    return text.str.extract(district_pattern(), expand=False).astype("string")


def _dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, errors="coerce", format="mixed")


@generalization("year")
def _to_year(text: pd.Series, params: OperatorParams) -> pd.Series:
    return _dates(text).dt.year.astype("Int64").astype("string")


@generalization("month")
def _to_month(text: pd.Series, params: OperatorParams) -> pd.Series:
    return _dates(text).dt.strftime("%Y-%m").astype("string")


@generalization("quarter")
def _to_quarter(text: pd.Series, params: OperatorParams) -> pd.Series:
    dates = _dates(text)
    return (dates.dt.year.astype("Int64").astype("string") + "-Q" + dates.dt.quarter.astype("Int64").astype("string"))


@generalization("band")
def _to_band(text: pd.Series, params: OperatorParams) -> pd.Series:
    if not params.width:
        raise OperatorError("generalize to 'band' needs 'width'")
    return _band_labels(pd.to_numeric(text, errors="coerce").astype("Float64"), params.width)


@generalization("round")
def _to_round(text: pd.Series, params: OperatorParams) -> pd.Series:
    numbers = pd.to_numeric(text, errors="coerce")
    step = params.width or 10 ** -(params.digits or 0)
    return ((numbers / step).round() * step + 0.0).map(lambda x: f"{x:g}", na_action="ignore").astype("string")


@generalization("coordinate")
def _to_coordinate(text: pd.Series, params: OperatorParams) -> pd.Series:
    """Every decimal number in the cell rounded to `digits` (default 2, about 1 km): a "lat,lon"
    pair stays a pair, a latitude or longitude column stays numbers."""
    digits = 2 if params.digits is None else params.digits

    def one(match: re.Match[str]) -> str:
        return f"{round(float(match.group()), digits):.{digits}f}"

    return text.str.replace(r"-?\d+\.\d+", one, regex=True)


@generalization("top_bottom")
def _to_top_bottom(text: pd.Series, params: OperatorParams) -> pd.Series:
    numbers = pd.to_numeric(text, errors="coerce").astype("Float64") + 0.0  # -0.0 is written 0
    out = numbers.map(lambda x: f"{x:g}", na_action="ignore").astype("string")
    if params.top is not None:
        out = out.mask((numbers >= params.top).fillna(False), f">={params.top:g}")
    if params.bottom is not None:
        out = out.mask((numbers <= params.bottom).fillna(False), f"<={params.bottom:g}")
    return out


@generalization("hierarchy", per_row=True)
def _to_hierarchy_level(text: pd.Series, params: OperatorParams) -> pd.Series:
    """Any column → its ancestor at `level` in a hierarchy file in ARX's format."""
    from anonymizers.hierarchy import load_hierarchy

    if not params.hierarchy or params.level is None:
        raise OperatorError("generalize with a hierarchy needs 'hierarchy' (a file) and 'level'")
    hierarchy = load_hierarchy(params.hierarchy)
    if params.level > hierarchy.max_level:
        raise OperatorError(f"level {params.level} is above the hierarchy's top level {hierarchy.max_level}")
    present = text.notna()
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    out[present] = hierarchy.generalize(text[present], params.level, column=params.column or "column").astype("string")
    return out


@operator("generalize")
def generalize(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Replace a value by a coarser one: a birth year, a district, a month, a band of numbers…"""
    if params.hierarchy:
        params = replace(params, to="hierarchy")
    if params.to not in GENERALIZATIONS:
        raise OperatorError(f"generalize needs 'to' as one of {sorted(GENERALIZATIONS)}")
    text = _text(values)
    function = GENERALIZATIONS[params.to]
    if params.to in _PER_ROW:
        return function(text, params).where(text.notna(), pd.NA).astype("string")
    return _on_distinct(text, lambda distinct: function(distinct, params))


@operator("aggregate")
def aggregate(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Trade-secret figures → order-of-magnitude bands, so a firm's exact revenue or bid cannot be read."""
    numbers = pd.to_numeric(_text(values), errors="coerce")

    def band(x: float) -> str | None:
        if pd.isna(x) or not math.isfinite(x):
            return None
        if x <= 0:
            return "<=0"
        exponent = math.floor(math.log10(x))
        low = 10**exponent
        return f"{low:g}-{low * 10:g}"

    return numbers.map(band).astype("string")


def apply_operator(action: str, values: pd.Series, params: OperatorParams) -> pd.Series:
    if action not in OPERATORS:
        raise OperatorError(f"unknown operator '{action}'")
    return OPERATORS[action](values, params)


def apply_to_text(action: str, text: str, params: OperatorParams) -> str:
    """The same operator on one span of free text."""
    result = apply_operator(action, pd.Series([text], dtype="string"), params).iloc[0]
    return "" if pd.isna(result) else str(result)


def presidio_operator_class() -> type:
    """A Presidio anonymizer operator that dispatches to the operators above (imported lazily)."""
    from presidio_anonymizer.operators import Operator as PresidioOperator
    from presidio_anonymizer.operators import OperatorType

    class KaifangOperator(PresidioOperator):
        def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
            params = dict(params or {})
            action = params.pop("action")
            params.setdefault("entity", params.get("entity_type"))
            known = {k: v for k, v in params.items() if k in OperatorParams.__dataclass_fields__}
            return apply_to_text(action, text, OperatorParams(**known))

        def validate(self, params: dict[str, Any] | None = None) -> None:
            if not params or params.get("action") not in OPERATORS:
                raise OperatorError(f"'action' must be one of {sorted(OPERATORS)}")

        def operator_name(self) -> str:
            return "kaifang"

        def operator_type(self) -> OperatorType:
            return OperatorType.Anonymize

    return KaifangOperator


# Operators defined in their own modules register themselves on import; importing them here makes
# OPERATORS complete whichever module is imported first.
import anonymizers.surrogates  # noqa: E402, F401
