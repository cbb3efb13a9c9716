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


def _mod11_2(m: np.ndarray) -> np.ndarray:
    """GB 11643 / ISO 7064 MOD 11-2 over an n x 18 uint8 matrix: 17 digits and the right check char."""
    body = m[:, :17].astype(np.int32) - 48
    digits_ok = ((body >= 0) & (body <= 9)).all(axis=1)
    check = RIC_CHECK[(np.where(digits_ok[:, None], body, 0) @ RIC_WEIGHTS) % 11]
    return digits_ok & (check == m[:, 17])


def _date_at(d: np.ndarray, start: int, today: _dt.date, century: int | None = None) -> np.ndarray:
    """A real date YYYYMMDD (or YYMMDD in ``century``) at column ``start`` of a digit matrix."""
    if century is None:
        year = d[:, start] * 1000 + d[:, start + 1] * 100 + d[:, start + 2] * 10 + d[:, start + 3]
        start += 4
    else:
        year = century + d[:, start] * 10 + d[:, start + 1]
        start += 2
    month, day = d[:, start] * 10 + d[:, start + 1], d[:, start + 2] * 10 + d[:, start + 3]
    return _valid_dates(year, month, day, today)


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
    return luhn(values) & _card_shaped(values)


def bank_cards_unchecked(values: Sequence[str]) -> np.ndarray:
    """Card-shaped numbers (issuer prefix and length from the candidate pattern) whether or not
    Luhn holds: some old cards fail it, so under a 卡号 / 账号 header the shape is enough."""
    return _card_shaped(values)


def _card_shaped(values: Sequence[str]) -> np.ndarray:
    """Not a placeholder (four distinct digits) and, at 18 digits, not shaped like a resident ID."""
    ok = np.array([len(set(v)) >= 4 for v in values], dtype=bool)
    for index, m in _fixed_width(values, (18,)).values():
        d = np.clip(m.astype(np.int32) - 48, 0, 9)
        id_shaped = np.isin(d[:, 0] * 10 + d[:, 1], list(PROVINCES)) & _date_at(d, 6, _dt.date.today())
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


def resident_ids_loose(values: Sequence[str], today: _dt.date | None = None) -> np.ndarray:
    """The main checks of GB 11643 only (MOD 11-2 check character and a real birth date).

    Used at column level when the header names the entity: region codes missing from the
    database (new or foreign-issued codes) then do not hide a column of otherwise valid numbers.
    A random 18-character value passes one time in 11 times the date share, far below any share
    the profiler asks for.
    """
    today = today or _dt.date.today()
    out = resident_ids(values, today)  # legacy 15-digit numbers keep their full check
    for index, m in _fixed_width(values, (18,)).values():
        ok = _mod11_2(m)
        ok &= _date_at(np.clip(m.astype(np.int32) - 48, 0, 9), 6, today)
        out[index] |= ok
    return out


def foreign_permanent_ids(values: Sequence[str], today: _dt.date | None = None) -> np.ndarray:
    """Foreigners' permanent residence ID (外国人永久居留身份证).

    2023 form, 18 digits: ``9`` + issuing province (2) + nationality code (3) + birth date
    YYYYMMDD + sequence (3) + GB 11643 MOD 11-2 check character. Older 2004 form, 15
    characters: ISO 3166 alpha-3 nationality + issuing province (2) + birth date YYMMDD + four
    digits (sequence and check digit, whose algorithm is not public: not checked).
    """
    today = today or _dt.date.today()
    out = np.zeros(len(values), dtype=bool)
    for width, (index, m) in _fixed_width(values, (18, 15)).items():
        d = np.clip(m.astype(np.int32) - 48, 0, 9)
        if width == 18:
            ok = (m[:, 0] == ord("9")) & _mod11_2(m) & _date_at(d, 6, today)
            province = d[:, 1] * 10 + d[:, 2]
        else:
            letters = (m[:, :3] >= ord("A")) & (m[:, :3] <= ord("Z"))
            digits = (m[:, 3:] >= ord("0")) & (m[:, 3:] <= ord("9"))
            ok = letters.all(axis=1) & digits.all(axis=1)
            ok &= _date_at(d, 5, today, century=1900) | _date_at(d, 5, today, century=2000)
            province = d[:, 3] * 10 + d[:, 4]
        out[index] = ok & np.isin(province, list(PROVINCES))
    return out


def uscc_check_chars(values: Sequence[str]) -> np.ndarray:
    """The GB 32100 check character alone (what ``stdnum.cn.uscc`` checks), for header-named columns."""
    out = np.zeros(len(values), dtype=bool)
    for index, m in _fixed_width(values, (18,)).values():
        v = _USCC_VALUE[m]
        ok = (v >= 0).all(axis=1)
        expected = (31 - (np.clip(v[:, :17], 0, 30) @ USCC_WEIGHTS) % 31) % 31
        out[index] = ok & (expected == v[:, 17])
    return out


def imeis(values: Sequence[str]) -> np.ndarray:
    """IMEI: 14 digits + Luhn check digit (``stdnum.imei``), not a placeholder; the 16-digit
    IMEISV carries no check digit and is left to the header."""
    return luhn(values) & np.array([len(v) == 15 and len(set(v)) >= 4 for v in values], dtype=bool)


# ISO 3779 / GB 16735: letter values (no I, O, Q) and position weights; the check digit is the 9th.
_VIN_VALUE = np.full(256, -1, dtype=np.int64)
for _c, _v in zip("0123456789", range(10), strict=True):
    _VIN_VALUE[ord(_c)] = _v
for _letters, _start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
    for _i, _c in enumerate(_letters):
        _VIN_VALUE[ord(_c)] = _start + _i
VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def vins(values: Sequence[str]) -> np.ndarray:
    """Vehicle identification numbers (17 chars, no I/O/Q) whose 9th character is the ISO 3779
    check digit (sum of value x weight mod 11, 10 written X), as GB 16735 requires in China."""
    out = np.zeros(len(values), dtype=bool)
    for index, m in _fixed_width(values, (17,)).values():
        v = _VIN_VALUE[m]
        ok = (v >= 0).all(axis=1)
        remainder = (np.clip(v, 0, None) @ VIN_WEIGHTS) % 11
        expected = np.where(remainder == 10, ord("X"), remainder + 48)
        letters = (m >= ord("A")).sum(axis=1)
        out[index] = ok & (expected == m[:, 8]) & (letters >= 1)
    return out


def hex_digests(values: Sequence[str]) -> np.ndarray:
    """Hex digests (MD5, SHA-1, SHA-256, SHA-512 lengths, either case): both letters and digits,
    as uniform hex almost always has (all-digit 32 hex chars: one time in 3 million)."""
    out = np.zeros(len(values), dtype=bool)
    for width, (index, m) in _fixed_width(values, (32, 40, 64, 128)).items():
        letters = (m >= ord("A")).sum(axis=1)
        out[index] = (letters >= 1) & (letters < width)
    return out


def uuid_shaped(values: Sequence[str]) -> np.ndarray:
    """32 hex characters laid out as an RFC 4122 UUID without dashes (version nibble 1-8, variant
    8-b). One random digest in eight is shaped so; a column where nearly all are holds UUIDs."""
    out = np.zeros(len(values), dtype=bool)
    for index, m in _fixed_width(values, (32,)).values():
        version = np.isin(m[:, 12], np.frombuffer(b"12345678", dtype=np.uint8))
        variant = np.isin(m[:, 16] & 0xDF, np.frombuffer(b"89AB", dtype=np.uint8) & 0xDF)
        out[index] = version & variant
    return out


def coordinates(values: Sequence[str]) -> np.ndarray:
    """Geographic coordinates: a "lat,lon" pair of decimal degrees, one decimal degree (a latitude
    or longitude column), or degrees-minutes-seconds; in range, with 3+ decimals for decimal forms
    (3 decimals is about 100 m, 5 a building). Input: cleaned candidates (see rules.GEO_CANDIDATE)."""
    return np.fromiter((_coordinate(v) for v in values), dtype=bool, count=len(values))


def _coordinate(value: str) -> bool:
    import re

    if "°" in value:
        parts = re.findall(r"(\d{1,3})°(?:(\d{1,2}(?:\.\d+)?)['′])?(?:(\d{1,2}(?:\.\d+)?)[\"″])?", value)
        return 1 <= len(parts) <= 2 and all(
            int(d) <= 180 and float(mi or 0) < 60 and float(se or 0) < 60 for d, mi, se in parts
        )
    numbers = re.findall(r"-?\d{1,3}\.(\d+)", value)
    floats = [float(x) for x in re.findall(r"-?\d{1,3}\.\d+", value)]
    if not floats or len(floats) > 2 or any(len(decimals) < 3 for decimals in numbers):
        return False
    if len(floats) == 1:
        return abs(floats[0]) <= 180 and abs(floats[0]) >= 0.001
    first, second = (abs(x) for x in floats)
    in_range = (first <= 90 and second <= 180) or (first <= 180 and second <= 90)
    return in_range and (first, second) != (0.0, 0.0)
