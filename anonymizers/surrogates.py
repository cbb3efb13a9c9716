"""Deterministic surrogates: realistic fake values that stand in for identifiers, keyed like pseudonyms.

The ``surrogate`` operator replaces each value with a made-up value of the same kind: a Chinese
name for a name, a checksum-valid resident ID for a resident ID, a valid mobile number for a phone
number. Tables keep their look (and pass format checks downstream) without holding anyone's data.

* Deterministic: the generator of each value is seeded with HMAC-SHA256(key, entity + normalized
  value), so the same input gives the same surrogate under one key (in a column, in a span of free
  text, in every release), another key gives another surrogate, and without the key nobody can
  recompute the mapping. No key is an ``OperatorError``, as for ``pseudonymize``.
* Never the input: a draw that happens to equal the original (compared without separators) is
  drawn again from the same seeded stream.
* Missing values stay missing and blank strings stay blank (nothing to hide).
* Not invertible and not collision-free: two inputs may, rarely, share a surrogate. Use
  ``pseudonymize`` when a column must stay a join key.

What each entity becomes (``OperatorParams.entity``):

==================  ================================================================================
CN_RESIDENT_ID      18 chars: a real GB/T 2260 county code from a short list, a real birth date
                    (1950-2006) at which that code existed (so python-stdnum's ``ric`` accepts it),
                    a random sequence and the GB 11643 check character. The region is *not* taken
                    from the original: keeping even the province prefix would publish each person's
                    province of registration, which the surrogate is meant to hide. Sex (sequence
                    parity) is random for the same reason.
PHONE_NUMBER        an 11-digit mainland mobile number valid for ``phonenumbers``; an input that is a
                    landline (starts with 0) gets a Jinan landline ``0531-XXXXXXXX`` instead.
PERSON              a Chinese name from Faker ``zh_CN``.
CN_USCC             18 chars over the GB 32100 alphabet: authority and type (mostly 91, enterprise),
                    a Jinan region code, a 9-char GB 11714 organisation code with its own check, and
                    the GB 32100 check character.
CN_BANK_CARD        a UnionPay-style number starting 62, the input's digit count (clamped to 16-19),
                    Luhn-valid.
EMAIL_ADDRESS       a Faker user name at a reserved example domain (RFC 2606), so no mail can reach a
                    real mailbox.
LOCATION            a plausible Jinan street address (district, road, number, building, unit, room).
CN_LICENSE_PLATE    鲁A + 5 chars over the GA 36 alphabet (no I, O).
anything else       ``S`` + 16 hex chars of a keyed HMAC (a letter first, so it never reads as a number).
==================  ================================================================================

Stability: structured identifiers come from ``random.Random`` seeded by the HMAC (stable across
Python versions); names and e-mail user names come from Faker, so a Faker upgrade may change them
(the version is pinned in requirements.lock). Phone numbers are checked against the ``phonenumbers``
metadata, whose updates may, rarely, change which draw is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from anonymizers.operators import OperatorParams, _per_distinct, _require_key, normalize, operator

SURROGATE_PURPOSE = b"kaifang-surrogate"
TOKEN_PREFIX = "S"
MAX_DRAWS = 32

# GB/T 2260 county-level codes (real), with the first year each code was in use (0: in use throughout),
# as python-stdnum's region database records them.
RESIDENT_REGIONS: tuple[tuple[str, int], ...] = (
    ("110101", 0),  # 北京市东城区
    ("110102", 0),  # 北京市西城区
    ("110105", 0),  # 北京市朝阳区
    ("110108", 0),  # 北京市海淀区
    ("120101", 0),  # 天津市和平区
    ("120103", 0),  # 天津市河西区
    ("370102", 1983),  # 济南市历下区
    ("370103", 1983),  # 济南市市中区
    ("370104", 1983),  # 济南市槐荫区
    ("370105", 1983),  # 济南市天桥区
    ("370112", 1987),  # 济南市历城区
    ("370202", 1983),  # 青岛市市南区
    ("320102", 1983),  # 南京市玄武区
    ("330106", 1983),  # 杭州市西湖区
    ("410105", 1983),  # 郑州市金水区
    ("420106", 1983),  # 武汉市武昌区
    ("440106", 1985),  # 广州市天河区
    ("610113", 1983),  # 西安市雁塔区
)
BIRTH_FIRST = date(1950, 1, 1)
BIRTH_LAST = date(2006, 12, 31)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"

# Mainland mobile prefixes in use (the number is still checked with phonenumbers).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "177", "178", "180", "181", "182", "183", "184", "185",
    "186", "187", "188", "189", "191", "198", "199",
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authority + entity type, weighted towards enterprises (91) as in agency tables.
USCC_KINDS = ("91",) * 12 + ("92", "93", "12", "11", "51", "52", "53")
JINAN_REGIONS = {
    "370102": "历下区", "370103": "市中区", "370104": "槐荫区", "370105": "天桥区", "370112": "历城区",
    "370113": "长清区", "370114": "章丘区", "370115": "济阳区", "370116": "莱芜区", "370117": "钢城区",
    "370124": "平阴县", "370126": "商河县",
}
JINAN_ROADS = (
    "经十路", "经十东路", "泉城路", "解放路", "历山路", "文化西路", "山大南路", "二环南路", "舜耕路",
    "英雄山路", "工业北路", "花园路", "北园大街", "经四路", "纬一路", "堤口路", "济泺路", "旅游路",
    "奥体中路", "凤鸣路", "龙奥北路", "和平路", "千佛山路", "大明湖路", "明湖东路", "无影山路",
)
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_DIGITS = "0123456789"
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

_local = threading.local()


def _faker():
    """One Faker per thread (seeding a shared instance from two threads would mix their streams)."""
    fake = getattr(_local, "faker", None)
    if fake is None:
        from faker import Faker

        fake = Faker("zh_CN")
        _local.faker = fake
    return fake


def _seed(key: bytes, entity: str, value: str) -> int:
    message = SURROGATE_PURPOSE + b"\x1f" + entity.encode() + b"\x1f" + normalize(value).encode("utf-8")
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest(), "big")


def _compact(value: str) -> str:
    """Letters and digits only, so 138-1234-5678 and 13812345678 count as the same value."""
    return re.sub(r"[^0-9A-Z\u4e00-\u9fff]", "", normalize(value))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", normalize(value))


def _comparable(entity: str, value: str) -> str:
    """The form in which a candidate must differ from the original (phone numbers: the national number,
    so +86 138-1234-5678 and 13812345678 are the same)."""
    if entity == "PHONE_NUMBER":
        import phonenumbers

        try:
            return str(phonenumbers.parse(normalize(value), "CN").national_number)
        except phonenumbers.NumberParseException:
            return _digits(value)
    return _compact(value)


# -- check characters -------------------------------------------------------------------------------
def ric_check_char(body17: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    return RIC_CHECK[sum(int(d) * w for d, w in zip(body17, RIC_WEIGHTS, strict=True)) % 11]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-char organisation code body (A=10 … Z=35)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(body17: str) -> str:
    """GB 32100-2015 check character of the first 17 chars."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


# -- generators: (rng, original) -> candidate -------------------------------------------------------
def _resident_id(rng: random.Random, original: str) -> str:
    from stdnum.cn import ric

    span = (BIRTH_LAST - BIRTH_FIRST).days
    birth = BIRTH_FIRST + timedelta(days=rng.randrange(span + 1))
    regions = [code for code, first in RESIDENT_REGIONS if birth.year >= first]
    body = f"{rng.choice(regions)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    # stdnum's calc_check_digit ignores the last character it is given: pass a placeholder.
    check = ric.calc_check_digit(body + "0")
    return body + check


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _landline(rng: random.Random) -> str:
    return f"0531-{rng.choice('2345678')}{rng.randrange(10**7):07d}"


def _phone(rng: random.Random, original: str) -> str:
    import phonenumbers

    digits = _digits(original)
    landline = digits.startswith("0") and not digits.startswith("086")
    for _ in range(MAX_DRAWS):
        number = _landline(rng) if landline else _mobile(rng)
        parsed = phonenumbers.parse(number, "CN")
        kind = phonenumbers.number_type(parsed)
        wanted = (phonenumbers.PhoneNumberType.FIXED_LINE,) if landline else (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        if phonenumbers.is_valid_number(parsed) and kind in wanted:
            return number
    raise RuntimeError("no valid phone number drawn")  # not reached with the prefixes above


def _person(rng: random.Random, original: str) -> str:
    fake = _faker()
    fake.seed_instance(rng.getrandbits(64))
    return fake.name()


def _org_code(rng: random.Random) -> str:
    if rng.random() < 0.5:  # codes issued with the unified credit code since 2015 start MA
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(10**8):08d}"
    return body + org_code_check_char(body)


def _uscc(rng: random.Random, original: str) -> str:
    from stdnum.cn import uscc

    body = rng.choice(USCC_KINDS) + rng.choice(sorted(JINAN_REGIONS)) + _org_code(rng)
    return body + uscc.calc_check_digit(body)


def _bank_card(rng: random.Random, original: str) -> str:
    length = min(max(len(_digits(original)), 16), 19)
    body = "62" + "".join(rng.choice(PLATE_DIGITS) for _ in range(length - 3))
    return body + luhn_check_digit(body)


def _email(rng: random.Random, original: str) -> str:
    fake = _faker()
    fake.seed_instance(rng.getrandbits(64))
    user = re.sub(r"[^a-z0-9._]", "", fake.user_name().lower()) or "user"
    suffix = str(rng.randrange(10, 10000)) if rng.random() < 0.6 else ""
    return f"{user}{suffix}@{rng.choice(EMAIL_DOMAINS)}"


def _location(rng: random.Random, original: str) -> str:
    district = JINAN_REGIONS[rng.choice(sorted(JINAN_REGIONS))]
    return (f"济南市{district}{rng.choice(JINAN_ROADS)}{rng.randrange(1, 400)}号"
            f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 7)}单元{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}室")


def _plate(rng: random.Random, original: str) -> str:
    # Mostly digits, at most two letters, as issued plates look.
    chars = [rng.choice(PLATE_DIGITS) for _ in range(5)]
    for position in rng.sample(range(5), rng.choice((0, 1, 1, 2))):
        chars[position] = rng.choice(PLATE_LETTERS)
    return "鲁A" + "".join(chars)


GENERATORS: dict[str, Callable[[random.Random, str], str]] = {
    "CN_RESIDENT_ID": _resident_id,
    "PHONE_NUMBER": _phone,
    "PERSON": _person,
    "CN_USCC": _uscc,
    "CN_BANK_CARD": _bank_card,
    "EMAIL_ADDRESS": _email,
    "LOCATION": _location,
    "CN_LICENSE_PLATE": _plate,
}


def token(key: bytes, value: str) -> str:
    """The surrogate of a value with no realistic generator: a keyed token, a letter first."""
    message = SURROGATE_PURPOSE + b"\x1ftoken\x1f" + normalize(value).encode("utf-8")
    return TOKEN_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def surrogate_value(key: bytes, entity: str | None, value: str) -> str:
    """The surrogate of one value (the scalar behind the ``surrogate`` operator)."""
    if not value.strip():
        return value
    generator = GENERATORS.get(entity or "")
    if generator is not None:
        rng = random.Random(_seed(key, entity or "", value))
        original = _comparable(entity or "", value)
        for _ in range(MAX_DRAWS):
            candidate = generator(rng, value)
            if _comparable(entity or "", candidate) != original:
                return candidate
    result = token(key, value)
    return result if normalize(result) != normalize(value) else TOKEN_PREFIX + result  # its own token


@operator("surrogate")
def surrogate(values: pd.Series, params: OperatorParams) -> pd.Series:
    """Realistic, checksum-valid fake values, the same for the same input under one key."""
    key = _require_key(params)
    entity = params.entity
    return _per_distinct(values, lambda v: surrogate_value(key, entity, v))
