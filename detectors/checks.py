"""Check-digit and structure validators, batch-first.

Each validator takes a list of *cleaned candidates* (already full-matched by the entity's
candidate pattern, see ``rules.py``) and returns a boolean numpy array. The column profiler
calls them once per chunk on every candidate; the Presidio recognizers call them on a list of
one. Being batch-first is what makes a full scan of a million-row table affordable: the
GB 11643 / GB 32100 / Luhn arithmetic runs in numpy instead of one Python call per cell.
The arithmetic is the standards' own (weights and alphabets below), and the property tests
check agreement with python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``, ``stdnum.luhn``).
Region codes are looked up in python-stdnum's GB/T 2260 database.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# GB 11643-1999: ISO 7064 MOD 11-2 weights and check characters.
RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
RIC_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)
# HK / Macau / Taiwan residence permits use these whole region codes (not all are in GB/T 2260).
PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})

# GB 32100-2015.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i


def _fixed_width(values: Sequence[str], widths: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """For each width: (positions, n x width uint8 matrix) of the ASCII values of that length."""
    try:
        arr = np.array(values, dtype="S") if len(values) else np.zeros(0, dtype="S1")
    except UnicodeEncodeError:
        arr = np.array([v if v.isascii() else "" for v in values], dtype="S")
    lengths = np.char.str_len(arr)
    out = {}
    for width in widths:
        index = np.flatnonzero(lengths == width)
        if len(index):
            out[width] = (index, arr[index].astype(f"S{width}").view(np.uint8).reshape(-1, width))
    return out


def _regions_exist(prefixes: np.ndarray) -> np.ndarray:
    """region_exists over an int array of six-digit codes, one lookup per distinct code."""
    if not len(prefixes):
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(prefixes, return_inverse=True)
    known = np.array([region_exists(f"{code:06d}") for code in unique.tolist()], dtype=bool)
    return known[inverse]


_PLACES = np.array([100000, 10000, 1000, 100, 10, 1], dtype=np.int64)


@lru_cache(maxsize=8192)
def region_exists(code: str) -> bool:
    """A six-digit GB/T 2260 administrative code known to python-stdnum (any year), or a permit region.

    The year ranges in the database are ignored on purpose: a code retired or created after
    someone's birth still appears on real cards (people keep their number when regions change).
    """
    if code in PERMIT_REGIONS:
        return True
    from stdnum import numdb

    info = {k for _part, props in numdb.get("cn/loc").info(code) for k in props}
    return "county" in info


def _valid_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray, today: _dt.date) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    limit = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= limit) & (year >= 1900)
    stamp = year * 10000 + month * 100 + day
    return ok & (stamp <= today.year * 10000 + today.month * 100 + today.day)


def resident_ids(values: Sequence[str], today: _dt.date | None = None) -> np.ndarray:
    """GB 11643 resident ID numbers: 18 chars with MOD 11-2 check, or legacy 15 digits.

    Both need a known province and region code and a real birth date not in the future.
    Input: upper-cased candidates of 15 or 18 characters.
    """
    today = today or _dt.date.today()
    out = np.zeros(len(values), dtype=bool)
    for width, (index, m) in _fixed_width(values, (18, 15)).items():
        d = m.astype(np.int32) - 48
        if width == 18:
            body = d[:, :17]
            digits_ok = ((body >= 0) & (body <= 9)).all(axis=1)
            check = RIC_CHECK[(np.where(digits_ok[:, None], body, 0) @ RIC_WEIGHTS) % 11]
            ok = digits_ok & (check == m[:, 17])
            year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
            month, day = d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13]
        else:
            ok = ((d >= 0) & (d <= 9)).all(axis=1)
            year = 1900 + d[:, 6] * 10 + d[:, 7]
            month, day = d[:, 8] * 10 + d[:, 9], d[:, 10] * 10 + d[:, 11]
        province = d[:, 0] * 10 + d[:, 1]
        ok &= np.isin(province, list(PROVINCES)) & _valid_dates(year, month, day, today)
        ok[ok] = _regions_exist(d[ok, :6].astype(np.int64) @ _PLACES)
        out[index] = ok
    return out


def usccs(values: Sequence[str]) -> np.ndarray:
    """GB 32100 unified social credit codes.

    Beyond the mod-31 check character (what ``stdnum.cn.uscc`` checks) the code must carry a
    registration authority and entity type from the standard's table, a GB/T 2260 region code
    and an organisation code whose own GB 11714 check holds. Random 18-digit order numbers pass
    the mod-31 check one time in 31; with these they practically never do.
    """
    out = np.zeros(len(values), dtype=bool)
    groups = _fixed_width(values, (18,))
    if not groups:
        return out
    index, m = groups[18]
    v = _USCC_VALUE[m]
    ok = (v >= 0).all(axis=1) & (v[:, 2:8] <= 9).all(axis=1)
    expected = (31 - (np.clip(v[:, :17], 0, 30) @ USCC_WEIGHTS) % 31) % 31
    ok &= expected == v[:, 17]
    ok &= np.isin(m[:, 0], USCC_AUTHORITIES) & np.isin(m[:, 1], USCC_TYPES)
    ok &= _org_code_matrix(m[:, 8:17])
    ok[ok] = _regions_exist(np.clip(m[ok, 2:8].astype(np.int64) - 48, 0, 9) @ _PLACES)
    out[index] = ok
    return out


# GB 32100 table 1: registration authorities and the entity-type codes they use.
USCC_AUTHORITIES = np.frombuffer(b"123456789ANY", dtype=np.uint8)
USCC_TYPES = np.frombuffer(b"123459", dtype=np.uint8)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def org_codes(values: Sequence[str]) -> np.ndarray:
    """GB 11714 organisation codes (8 body chars 0-9/A-Z + check: 11 - sum mod 11, 10 -> X, 11 -> 0)."""
    out = np.zeros(len(values), dtype=bool)
    groups = _fixed_width(values, (9,))
    if groups:
        index, m = groups[9]
        out[index] = _org_code_matrix(m)
    return out


def _org_code_matrix(m: np.ndarray) -> np.ndarray:
    m = m.astype(np.int64)
    body = np.where(m[:, :8] >= 65, m[:, :8] - 55, m[:, :8] - 48)
    valid_body = ((body >= 0) & (body <= 35)).all(axis=1)
    remainder = 11 - (np.clip(body, 0, 35) @ ORG_WEIGHTS) % 11
    expected = np.where(remainder == 10, ord("X"), np.where(remainder == 11, ord("0"), remainder + 48))
    return valid_body & (expected == m[:, 8])


def luhn(values: Sequence[str]) -> np.ndarray:
    """Luhn (ISO/IEC 7812) over digit strings of any length, grouped by length for numpy."""
    out = np.zeros(len(values), dtype=bool)
    for width, (index, m) in _fixed_width(values, range(2, 41)).items():
        d = m.astype(np.int64) - 48
        digits_ok = ((d >= 0) & (d <= 9)).all(axis=1)
        # Double every second digit from the right (the check digit is position 0 from the right).
        doubled = np.zeros(width, dtype=bool)
        doubled[width - 2 :: -2] = True
        dd = d * np.where(doubled, 2, 1)
        dd = np.where(dd > 9, dd - 9, dd)
        out[index] = digits_ok & (dd.sum(axis=1) % 10 == 0)
    return out


def bank_cards(values: Sequence[str]) -> np.ndarray:
    """16-19 digit card numbers passing Luhn that are not placeholders (at least four distinct digits).

    An 18-digit number shaped like a resident ID (province, real birth date) whose check
    character is wrong is a mistyped ID, not a card that happens to pass Luhn (one in ten would).
    """
    ok = luhn(values) & np.array([len(set(v)) >= 4 for v in values], dtype=bool)
    for index, m in _fixed_width(values, (18,)).values():
        d = m.astype(np.int32) - 48
        year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
        month, day = d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13]
        id_shaped = np.isin(d[:, 0] * 10 + d[:, 1], list(PROVINCES)) & _valid_dates(
            year, month, day, _dt.date.today()
        )
        ok[index] &= ~id_shaped
    return ok


def not_repetitive(values: Sequence[str]) -> np.ndarray:
    """Reject placeholders like E00000000 / 11111111: need at least three distinct characters."""
    return np.array([len(set(v)) >= 3 for v in values], dtype=bool)


def plates(values: Sequence[str]) -> np.ndarray:
    """A plate's serial part has at least one digit (letters-only strings are usually words)."""
    return np.array([any(c.isdigit() for c in v[2:]) for v in values], dtype=bool)


def emails(values: Sequence[str]) -> np.ndarray:
    def one(v: str) -> bool:
        local, _, domain = v.rpartition("@")
        return bool(local) and ".." not in v and not local.startswith(".") and not local.endswith(".") \
            and len(domain) <= 253

    return np.array([one(v) for v in values], dtype=bool)


def ip_addresses(values: Sequence[str]) -> np.ndarray:
    """IPv4 dotted quads and IPv6 (with at least two colons), per the ipaddress module."""

    def one(v: str) -> bool:
        if ":" in v and v.count(":") < 2:
            return False
        try:
            ipaddress.ip_address(v)
        except ValueError:
            return False
        return True

    return np.array([one(v) for v in values], dtype=bool)


def always(values: Sequence[str]) -> np.ndarray:
    """For entities whose candidate pattern is the whole validation (phone ranges, passports)."""
    return np.ones(len(values), dtype=bool)
