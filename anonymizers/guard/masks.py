"""Mask strength as an attack: how many originals are consistent with what a masked value shows?

A mask that hides only a resident ID's check digit hides nothing: the check digit is recomputed
from the other seventeen. Counting the candidates an attacker must choose from, with everything
the format gives away (the region code list, the calendar, the check character, the mobile number
plan), turns "keep_first: 17" from a rule of thumb into a figure the policy can bound.

Counts are exact for the region and date parts (enumerated) and divide by the check character's
alphabet where the check is shown and something it covers is hidden (the check spreads candidates
evenly over its values to within one).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

MASK_CHAR = "*"
# Alphabet sizes for one hidden character of an entity without a structure of its own.
HAN_GIVEN_NAME_CHARACTERS = 3500  # the first level of the 通用规范汉字表: characters names are drawn from
ALPHANUMERIC = 36
DIGITS = 10
PLATE_CHARACTERS = 34  # letters without I and O, and digits

# Tokens in prose that look like a masked number: digits or X and at least one star.
MASKED_TOKEN = re.compile(r"(?<![0-9A-Za-z*])[0-9Xx*]{11,19}(?![0-9A-Za-z*])")


@cache
def region_codes() -> np.ndarray:
    """Every six-digit GB/T 2260 county-level code known to python-stdnum, as an (n, 6) digit array."""
    import stdnum

    codes: list[str] = []
    province = ""
    data = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    for line in data.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head = line.split()[0]
        if not line.startswith(" "):
            province = head
        elif "county=" in line and province:
            low, _, high = head.partition("-")
            for number in range(int(low), int(high or low) + 1):
                codes.append(f"{province}{number:04d}")
    codes.extend(["810000", "820000", "830000"])
    unique = sorted(set(c for c in codes if len(c) == 6))
    return np.array([list(map(int, c)) for c in unique], dtype=np.int8)


@cache
def birth_dates(today: date | None = None) -> np.ndarray:
    """Every calendar date from 1900-01-01 to today as an (n, 8) digit array (YYYYMMDD)."""
    end = today or date.today()
    day, rows = date(1900, 1, 1), []
    while day <= end:
        rows.append(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    return np.array([list(map(int, r)) for r in rows], dtype=np.int8)


def _consistent(table: np.ndarray, shown: str) -> int:
    """How many rows of a digit table agree with ``shown`` at its visible positions."""
    visible = [(i, int(c)) for i, c in enumerate(shown) if c != MASK_CHAR and c.isdigit()]
    if any(c != MASK_CHAR and not c.isdigit() for c in shown):
        return 0
    if not visible:
        return len(table)
    positions = np.array([i for i, _ in visible])
    digits = np.array([d for _, d in visible], dtype=np.int8)
    return int(np.all(table[:, positions] == digits, axis=1).sum())


@lru_cache(maxsize=65536)
def _regions(shown: str) -> int:
    return _consistent(region_codes(), shown)


@lru_cache(maxsize=65536)
def _dates(shown: str) -> int:
    return _consistent(birth_dates(), shown)


def resident_id(shown: str) -> float:
    """Candidates for an 18-character resident ID shown with stars (GB 11643)."""
    if len(shown) != 18:
        return generic(shown, DIGITS)
    regions, dates = _regions(shown[:6]), _dates(shown[6:14])
    sequence = DIGITS ** shown[14:17].count(MASK_CHAR)
    total = float(regions * dates * sequence)
    covered_hidden = MASK_CHAR in shown[:17]
    if shown[17] != MASK_CHAR and covered_hidden:
        total /= 11  # the shown check character keeps one in eleven of the rest
    return max(total, 1.0) if regions and dates else 0.0


@lru_cache(maxsize=65536)
def _dates_within(shown: str, first_year: int, last_year: int) -> int:
    table = birth_dates()
    digits = table[:, :4].astype(np.int32)
    years = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    return _consistent(table[(years >= first_year) & (years <= last_year)], shown)


BIRTH = re.compile(r"((?:19|20)\d{2})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|\s*[-~至]\s*((?:19|20)\d{2}))?")


def birth_context(value: str | None) -> tuple[int, int] | str | None:
    """What a published birth column tells about a record: an exact date (YYYYMMDD) or a year range."""
    match = BIRTH.match(str(value or "").strip())
    if not match:
        return None
    year, month, day, last = match.groups()
    if month and day:
        return f"{year}{int(month):02d}{int(day):02d}"
    return (int(year), int(last or year))


def sex_context(value: str | None) -> bool | None:
    """True for male, False for female, None when the value does not say."""
    text = str(value or "").strip().lower()
    return True if text in {"男", "男性", "m", "male"} else False if text in {"女", "女性", "f", "female"} else None


def resident_id_given(shown: str, birth: tuple[int, int] | str | None, male: bool | None) -> float:
    """Candidates for a masked resident ID once the same record's published birth date or year band
    and sex are known (the birth date sits in digits 7-14, the sex in the parity of digit 17)."""
    if len(shown) != 18:
        return resident_id(shown)
    regions = _regions(shown[:6])
    if isinstance(birth, str):
        dates = int(all(s in (MASK_CHAR, b) for s, b in zip(shown[6:14], birth, strict=True)))
    elif isinstance(birth, tuple):
        dates = _dates_within(shown[6:14], birth[0], birth[1])
    else:
        dates = _dates(shown[6:14])
    sequence = float(DIGITS ** shown[14:16].count(MASK_CHAR))
    if shown[16] == MASK_CHAR:
        sequence *= 5 if male is not None else DIGITS
    elif male is not None and (int(shown[16]) % 2 == 1) != male:
        return 0.0
    total = regions * dates * sequence
    if shown[17] != MASK_CHAR and MASK_CHAR in shown[:17]:
        total /= 11
    return max(total, 1.0) if regions and dates else 0.0


@cache
def mobile_prefixes() -> tuple[str, ...]:
    """Three-digit prefixes of mainland mobile numbers in phonenumbers' numbering plan."""
    import phonenumbers

    found = []
    for prefix in range(100, 200):
        for tail in ("00000000", "12345678", "55555555", "98765432"):
            number = phonenumbers.parse(f"+86{prefix}{tail}")
            if phonenumbers.is_valid_number(number):
                found.append(str(prefix))
                break
    return tuple(found)


def phone(shown: str) -> float:
    """Candidates for an 11-digit mainland mobile number shown with stars."""
    if len(shown) != 11:
        return generic(shown, DIGITS)
    return float(_prefixes_matching(shown[:3]) * DIGITS ** shown[3:].count(MASK_CHAR))


@cache
def _prefixes_matching(head: str) -> int:
    """How many mobile prefixes a shown head (13*, 1**, 138) leaves: asked once per distinct head."""
    return sum(1 for p in mobile_prefixes() if all(s in (MASK_CHAR, c) for s, c in zip(head, p, strict=True)))


def bank_card(shown: str) -> float:
    """Candidates for a card number: ten per hidden digit, one in ten kept by a shown Luhn digit."""
    hidden = shown.count(MASK_CHAR)
    total = float(DIGITS**hidden)
    if shown and shown[-1] != MASK_CHAR and hidden:
        total /= DIGITS
    return max(total, 1.0)


def generic(shown: str, alphabet: int) -> float:
    return float(alphabet ** shown.count(MASK_CHAR))


def email(shown: str) -> float:
    local = shown.split("@", 1)[0]
    return generic(local, ALPHANUMERIC)


COUNTERS = {
    "CN_RESIDENT_ID": resident_id,
    "CN_HMT_RESIDENCE_PERMIT": resident_id,  # GB 11643's structure under the 81/82/83 region codes
    "CN_FOREIGNER_PR_ID": lambda shown: generic(shown, DIGITS),
    "PHONE_NUMBER": phone,
    "CN_BANK_CARD": bank_card,
    "EMAIL_ADDRESS": email,
    "PERSON": lambda shown: generic(shown, HAN_GIVEN_NAME_CHARACTERS),
    "CN_LICENSE_PLATE": lambda shown: generic(shown, PLATE_CHARACTERS),
}


def candidates(entity: str | None, shown: str) -> float:
    """Originals consistent with the masked value ``shown`` of ``entity`` (1 means fully revealed)."""
    counter = COUNTERS.get(entity or "")
    if counter is not None:
        return counter(shown)
    return generic(shown, ALPHANUMERIC if shown.isascii() else HAN_GIVEN_NAME_CHARACTERS)


def shown_characters(shown: str) -> int:
    """Characters a masked value reveals (for an e-mail address: of its local part)."""
    return sum(1 for c in shown if c != MASK_CHAR)


def token_entity(token: str) -> str | None:
    """The entity a masked number found in prose most plausibly is, from its length and first digit."""
    if len(token) == 18:
        return "CN_RESIDENT_ID"
    if len(token) == 11 and token[0] in "1*":
        return "PHONE_NUMBER"
    if 15 <= len(token) <= 19:
        return "CN_BANK_CARD"
    return None
