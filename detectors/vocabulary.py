"""The one vocabulary of entities: what each kind of value is, for detection, planning, the guard and the gate.

Every module that needs to know whether an entity identifies a person directly, may never be
published raw, is validated strongly enough that one cell is evidence, or is a quasi-identifier
reads it from here. The policy (``configs/policy.yaml``) may add entities to the direct and
never-raw lists; it cannot take away what this vocabulary says an entity is.

Kinds:
- ``direct``: identifies a person by itself (resident ID, phone, name, address …);
- ``record``: a persistent record identifier (enrolment, case, account number): unique per person
  and linkable to other systems, though it says nothing about the person on its face;
- ``quasi``: narrows a person down in combination (dates of birth, coordinates, employer …);
- ``organisation``: identifies an organisation, public by law (unified social credit code);
- ``trade_secret``: a figure an enterprise keeps confidential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["direct", "record", "quasi", "organisation", "trade_secret"]


@dataclass(frozen=True)
class Entity:
    name: str
    kind: Kind
    label_zh: str
    # A validator (check digit, numbering plan, calendar) makes one matching cell conclusive.
    strong: bool = False
    # No spec may publish it raw, whatever its reason (the policy may add more, never fewer).
    never_raw: bool = False


RECORD_IDENTIFIER = "RECORD_IDENTIFIER"
TRADE_SECRET = "TRADE_SECRET"

_ENTITIES: tuple[Entity, ...] = (
    Entity("CN_RESIDENT_ID", "direct", "居民身份证号码", strong=True, never_raw=True),
    Entity("CN_BANK_CARD", "direct", "银行卡号", strong=True, never_raw=True),
    Entity("PHONE_NUMBER", "direct", "电话号码", strong=True),
    Entity("EMAIL_ADDRESS", "direct", "电子邮箱", strong=True),
    Entity("CN_PASSPORT", "direct", "护照号码", strong=True, never_raw=True),
    Entity("CN_HMT_PERMIT", "direct", "港澳台居民来往内地通行证号码", strong=True, never_raw=True),
    Entity("CN_HK_MACAU_TRAVEL_PERMIT", "direct", "往来港澳通行证号码", never_raw=True),
    Entity("CN_TW_TRAVEL_PERMIT", "direct", "大陆居民往来台湾通行证号码", never_raw=True),
    Entity("CN_HMT_RESIDENCE_PERMIT", "direct", "港澳台居民居住证号码", strong=True, never_raw=True),
    Entity("CN_FOREIGNER_PR_ID", "direct", "外国人永久居留身份证号码", strong=True, never_raw=True),
    Entity("CN_SOCIAL_SECURITY_CARD", "direct", "社会保障卡卡号", never_raw=True),
    # An unsalted digest of a resident ID or phone number is reversed by enumerating the
    # (small) space of valid inputs: it identifies as much as the value it hides.
    Entity("HASHED_IDENTIFIER", "direct", "哈希化标识符（未加盐摘要）", never_raw=True),
    Entity("IMEI", "direct", "移动设备识别码（IMEI）"),
    Entity("VEHICLE_VIN", "direct", "车辆识别代号（VIN）"),
    Entity("IP_ADDRESS", "direct", "IP 地址", strong=True),
    Entity("CN_LICENSE_PLATE", "direct", "机动车号牌"),
    Entity("PERSON", "direct", "姓名"),
    Entity("LOCATION", "direct", "详细地址"),
    Entity(RECORD_IDENTIFIER, "record", "记录标识符（编号）"),
    # At 5 decimals a coordinate points at a building; at 2 at a district.
    Entity("GEO_COORDINATE", "quasi", "地理坐标（经纬度）"),
    Entity("CN_USCC", "organisation", "统一社会信用代码", strong=True),
    Entity(TRADE_SECRET, "trade_secret", "商业秘密"),
)

ENTITIES: dict[str, Entity] = {e.name: e for e in _ENTITIES}


def entity(name: str) -> Entity | None:
    return ENTITIES.get(name)


def names(kind: Kind | None = None) -> frozenset[str]:
    return frozenset(e.name for e in _ENTITIES if kind is None or e.kind == kind)


def direct_identifiers() -> frozenset[str]:
    """Entities that single out a person by themselves."""
    return names("direct")


def never_raw() -> frozenset[str]:
    return frozenset(e.name for e in _ENTITIES if e.never_raw)


def strong() -> frozenset[str]:
    return frozenset(e.name for e in _ENTITIES if e.strong)


def personal() -> frozenset[str]:
    """Entities about a person whose raw presence in an output the guard must explain."""
    return names("direct") | names("record")


# Entities only a natural person has (a phone, an e-mail or an address may be an organisation's).
PERSON_ONLY = frozenset({
    "PERSON", "CN_RESIDENT_ID", "CN_BANK_CARD", "CN_PASSPORT", "CN_HMT_PERMIT", "CN_HK_MACAU_TRAVEL_PERMIT",
    "CN_TW_TRAVEL_PERMIT", "CN_HMT_RESIDENCE_PERMIT", "CN_FOREIGNER_PR_ID", "CN_SOCIAL_SECURITY_CARD",
})


def person_only() -> frozenset[str]:
    return PERSON_ONLY


def label(name: str) -> str:
    found = ENTITIES.get(name)
    return found.label_zh if found else name
