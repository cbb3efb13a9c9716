"""One rule per entity: how to clean a cell, the candidate pattern, the validator, the span pattern.

This module is the single implementation of every idea: the vectorized column profiler
(``profile.py``) full-matches ``candidate`` on cleaned cells and runs ``check`` on the
candidates; the Presidio recognizers (``recognizers.py``) find ``span`` in free text, clean
the span the same way and call the same ``check`` from ``validate_result``.

Candidate patterns are plain RE2-compatible expressions (no look-arounds) so pandas can run
them through pyarrow; span patterns use digit/letter look-arounds because Python's ``\\b``
sees Han characters as word characters (``号11010519…`` has no ``\\b`` before the digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers

from detectors import checks
from detectors.names import HAN, latin_names, person_names, romanized_names
from detectors.text import fold, fold_many, re2

Check = Callable[[Sequence[str]], np.ndarray]

# Separators people put inside numbers: spaces, hyphens and dashes, brackets.
NUMBER_SEPARATORS = r"[\s\-\u2010-\u2015()\[\]（）]"
PLATE_SEPARATORS = r"[\s·•・.\-]"
NO_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
NO_ALNUM_AFTER = r"(?![0-9A-Za-z])"


@dataclass(frozen=True)
class EntityRule:
    """How one entity is recognised in a cell and in free text."""

    name: str
    candidate: str  # full-match on the cleaned, folded cell ("" = only through ``header_only``)
    check: Check  # batch validator on cleaned candidates
    span: str | None  # search pattern for free text (Python `regex`, used by Presidio); None: columns only
    span_score: float  # score of a validated span before context
    clean: str | None = None  # characters removed before matching
    upper: bool = False
    strong: bool = False  # a passing check alone is conclusive (check digit)
    context: tuple[str, ...] = field(default=())
    hint: str = "."  # cheap RE2 test for "prose may contain a span", run vectorized before `span`
    # Candidates are plain ASCII (numbers, e-mail, IP: True), need Han text (names …: False) or
    # may be either (coordinates with a degree sign: None).
    ascii_only: bool | None = True
    lengths: tuple[int, int] = (1, 10_000)  # length range of a cleaned candidate, checked before the regex
    # Numbers that identify only when the column name says so (Taiwan compatriot permits are
    # bare 8 digits): (header words, candidate pattern), used by the column profiler only.
    header_only: tuple[tuple[str, ...], str] | None = None
    # At column level, when the header names the entity: the standard's main check alone (the
    # check character), since a share of passing values far above chance is then enough.
    column_check: Check | None = None
    # The entity reported (several rules may report one entity: Han and romanized names).
    entity: str = ""
    # A shape that, when nearly all of a column's matches have it, makes them something else
    # (UUIDs written without dashes are random record keys, not digests).
    column_veto: Check | None = None

    def __post_init__(self) -> None:
        if not self.entity:
            object.__setattr__(self, "entity", self.name)
        # Patterns run vectorized must stay inside RE2 (see text.re2); the scalar path uses the same text.
        for name in ("candidate", "clean", "hint"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, re2(value))

    def cleaned(self, text: str) -> str:
        return self._cleaned_folded(fold(text))

    def _cleaned_folded(self, text: str) -> str:
        text = text.strip()
        if self.clean:
            text = re.sub(self.clean, "", text)
        return text.upper() if self.upper else text

    def validate(self, text: str) -> bool:
        """Scalar validation of one cell or span: clean, full-match the candidate, run the check."""
        return self.validate_many([text])[0]

    def validate_many(self, texts: Sequence[str]) -> list[bool]:
        """:meth:`validate` of each text, the check run once over all candidates (spans of a batch of texts)."""
        if not self.candidate:
            return [False] * len(texts)
        pattern = _compiled(self.candidate)
        values = [self._cleaned_folded(text) for text in fold_many(list(texts))]
        shaped = [i for i, value in enumerate(values) if pattern.fullmatch(value)]
        out = [False] * len(texts)
        if shaped:
            for i, passed in zip(shaped, self.check([values[i] for i in shaped]), strict=True):
                out[i] = bool(passed)
        return out


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _phone_patterns() -> tuple[str, str, str]:
    """Mobile, fixed-line and service-number national patterns from libphonenumber's CN metadata.

    Allocated ranges change, so they are read from the installed ``phonenumbers`` release rather
    than written down here.
    """
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert meta is not None and meta.mobile is not None and meta.fixed_line is not None
    # 149 (China Telecom data/SMS cards issued to individuals) is allocated but absent from the
    # metadata's mobile type; it identifies a person as much as any other mobile number.
    mobile = meta.mobile.national_number_pattern + r"|149\d{8}"
    fixed = meta.fixed_line.national_number_pattern
    service = "|".join(
        d.national_number_pattern
        for d in (meta.toll_free, meta.shared_cost)
        if d is not None and d.national_number_pattern
    )
    return mobile, fixed, service or r"(?:400|800)\d{7}"


_MOBILE, _FIXED, _SERVICE = _phone_patterns()
_CC = r"(?:\+?86|0086)"
PHONE_CANDIDATE = rf"{_CC}?(?:{_MOBILE})|(?:{_CC}0?|0)(?:{_FIXED})|(?:{_SERVICE})"

_SEP = r"[\s\-]?"
PHONE_SPAN = (
    NO_ALNUM_BEFORE
    + r"(?:(?:\+|＋)?(?:86|0086)[\s\-]?)?"
    + r"(?:1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}"  # mobile, validated by PHONE_CANDIDATE
    + r"|[(（]?0\d{2,3}[)）]?[\s\-]?[2-9]\d{2,3}[\s\-]?\d{4}"  # landline
    + r"|[48]00[\s\-]?\d{3}[\s\-]?\d{4})"
    + NO_ALNUM_AFTER  # not the first 11 digits of a longer hex or alphanumeric run
)

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_CANDIDATE = (
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z]"
    r"(?:[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领试超])"
)
PLATE_SPAN = (
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][·•・\s]?"
    r"(?:[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领试超])"
    + NO_ALNUM_AFTER
)

EMAIL_CANDIDATE = (
    r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
)
IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
IPV6 = r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?"

# Street-level address: a road/street/estate word, then a number with 号/栋/楼/单元/室…
# A bare district (历下区) or road name without a number is not an address.
ADDRESS_PLACE = r"(?:路|街|道|巷|弄|胡同|大道|村|组|屯|小区|花园|公寓|大厦|广场|家园|苑|里|社区|园区|工业园)"
ADDRESS_NUMBER = r"(?:\d+|[A-Za-z]|[一二三四五六七八九十百零〇]+)(?:号楼|号院|号|弄|栋|幢|座|楼|单元|室|层|户|组)"
ADDRESS_CORE = rf"[{HAN}0-9A-Za-z]{{1,24}}?{ADDRESS_PLACE}[{HAN}0-9A-Za-z\-]{{0,12}}?{ADDRESS_NUMBER}"
ADDRESS_CANDIDATE = (
    rf"[{HAN}0-9A-Za-z\-#()（）]{{0,40}}{ADDRESS_PLACE}[{HAN}0-9A-Za-z\-]{{0,12}}{ADDRESS_NUMBER}"
    rf"[{HAN}0-9A-Za-z\-#()（）]{{0,30}}(?:\s*\d{{6}})?"  # a trailing postal code is common
)
ADDRESS_SPAN = (
    r"(?!住址|地址|家住|位于|住在|居住|现住|户籍|址|于|在)"  # start after the cue word, not on it
    rf"(?:[{HAN}]{{2,12}}?(?:省|自治区|市|区|县|旗|镇|乡|街道))*[{HAN}0-9A-Za-z]{{1,16}}?{ADDRESS_PLACE}"
    rf"[{HAN}0-9A-Za-z\-]{{0,12}}?{ADDRESS_NUMBER}(?:[0-9A-Za-z\-]{{0,6}}{ADDRESS_NUMBER}){{0,3}}"
)


ADDRESS_MARKER = "省|市|区|县|旗|镇|乡|街道|路|街|巷|弄|胡同|村|屯|小区|花园|家园|公寓|大厦|广场|苑|社区"


def addresses(values: Sequence[str]) -> np.ndarray:
    """An address names at least one place level (province…road) besides the number.

    One pattern, two engines: Python ``re`` for a handful of values (recognizer spans), pyarrow
    through pandas for a column's candidates.
    """
    if len(values) < 64:
        marker = _compiled(ADDRESS_MARKER)
        return np.fromiter((bool(marker.search(v)) for v in values), dtype=bool, count=len(values))
    return pd.Series(list(values), dtype="str").str.contains(ADDRESS_MARKER, regex=True).to_numpy(dtype=bool)


def _travel_permit(name: str, number: str, context: tuple[str, ...]) -> EntityRule:
    """A mainland travel document: nine characters, no check digit, context words decide in prose."""
    return EntityRule(
        name=name,
        lengths=(9, 9),
        hint=r"[A-Za-z][A-Za-z0-9]\d{7}",
        candidate=number,
        check=checks.not_repetitive,
        span=NO_ALNUM_BEFORE + f"(?i:{number})" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=r"\s",
        upper=True,
        context=context,
    )


RESIDENT_ID_SPAN = NO_ALNUM_BEFORE + r"[1-9]\d{5}(?:[ \-]?\d{8}[ \-]?\d{3}[0-9Xx]|\d{9})" + NO_ALNUM_AFTER

# Decimal degrees "36.65123,117.12345" (optionally N/E letters, brackets), or degrees-minutes-seconds.
# Either order (lat,lon or lon,lat as GIS tools write), separated by a comma, semicolon, slash or
# space, optionally as WKT POINT(lon lat).
_DEGREES = r"[NSEWnsew]?-?\d{1,3}\.\d{3,10}[NSEWnsew]?"
_DMS = r"[NSEWnsew]?\d{1,3}°(?:\d{1,2}(?:\.\d+)?['′])?(?:\d{1,2}(?:\.\d+)?[\"″])?[NSEWnsew]?"
GEO_CANDIDATE = (
    rf"\s*(?:(?:POINT|point)?\s*[(\[]?\s*{_DEGREES}\s*[,;/\s]\s*{_DEGREES}\s*[)\]]?"
    rf"|{_DMS}\s*[,;/]?\s*{_DMS})\s*"
)
GEO_SPAN = (
    r"(?<![0-9A-Za-z.\-])"
    + rf"(?:-?\d{{1,3}}\.\d{{4,10}},\s?-?\d{{1,3}}\.\d{{4,10}}|{_DMS}[,\s]?{_DMS})"
    + r"(?![0-9A-Za-z.])"
)


RULES: tuple[EntityRule, ...] = (
    EntityRule(
        # Same structure and check as the resident ID, whole-region codes 810000/820000/830000
        # (GB/T 2260 has no counties there); first, so a permit is not counted as a resident ID.
        name="CN_HMT_RESIDENCE_PERMIT",
        lengths=(18, 18),
        hint=r"8[123]0000\d{12}",
        candidate=r"8[123]0000(?:19|20)\d{9}[0-9X]",
        check=checks.resident_ids,
        span=NO_ALNUM_BEFORE + r"8[123]0000[ \-]?(?:19|20)\d{6}[ \-]?\d{3}[0-9Xx]" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=NUMBER_SEPARATORS,
        upper=True,
        strong=True,
        context=("居住证", "港澳台居民", "港澳居民", "台湾居民"),
    ),
    EntityRule(
        name="CN_FOREIGNER_PR_ID",
        lengths=(15, 18),
        hint=r"9\d{17}|9\d{16}[Xx]|[A-Za-z]{3}\d{12}",
        candidate=r"9\d{16}[0-9X]|[A-Z]{3}\d{12}",
        check=checks.foreign_permanent_ids,
        span=NO_ALNUM_BEFORE + r"(?:9\d{16}[0-9Xx]|[A-Z]{3}\d{12})" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=NUMBER_SEPARATORS,
        upper=True,
        strong=True,
        context=("永久居留", "外国人", "居留证", "permanent"),
    ),
    EntityRule(
        name="CN_RESIDENT_ID",
        lengths=(15, 18),
        hint=r"\d{15}",
        candidate=r"[1-9]\d{16}[0-9X]|[1-9]\d{14}",
        check=checks.resident_ids,
        column_check=checks.resident_ids_loose,
        # Written whole or grouped 6-8-4 with spaces or hyphens (370102 19840120 197X).
        span=RESIDENT_ID_SPAN,
        span_score=0.3,
        clean=NUMBER_SEPARATORS,
        upper=True,
        strong=True,
        context=("身份证", "证件号", "身份号码", "公民身份", "证件", "身份", "id"),
    ),
    EntityRule(
        name="CN_USCC",
        lengths=(18, 18),
        hint=r"\d{6}[0-9A-Za-z]{10}",
        candidate=r"[1-9ANY][1-59]\d{6}[0-9A-HJ-NP-RTUWXY]{10}",
        check=checks.usccs,
        column_check=checks.uscc_check_chars,
        header_only=(("统一社会信用代码", "信用代码", "社会信用", "uscc", "tyshxydm", "shxydm"),
                     r"[0-9A-HJ-NP-RTUWXY]{18}"),
        span=NO_ALNUM_BEFORE + r"[1-9ANYany][1-59]\d{6}[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{10}" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=r"[\s\-]",
        upper=True,
        strong=True,
        context=("信用代码", "统一社会信用代码", "社会信用", "企业", "纳税人识别号", "uscc"),
    ),
    EntityRule(
        name="PHONE_NUMBER",
        lengths=(10, 16),
        hint=r"\d{3}[\s\-)）]{0,2}\d{3,4}[\s\-]?\d{4}",
        candidate=PHONE_CANDIDATE,
        check=checks.always,
        span=PHONE_SPAN,
        span_score=0.6,
        clean=NUMBER_SEPARATORS,
        context=("电话", "手机", "联系方式", "联系", "致电", "热线", "座机", "tel", "phone", "mobile"),
    ),
    EntityRule(
        name="CN_BANK_CARD",
        lengths=(16, 19),
        hint=r"\d{4}[\s\-]?\d{4}[\s\-]?\d{4}[\s\-]?\d{4}",
        candidate=r"(?:62|60|95)\d{14,17}|[345]\d{15,18}",
        check=checks.bank_cards,
        column_check=checks.bank_cards_unchecked,
        span=NO_ALNUM_BEFORE + r"(?:62|60|95|[345])\d{2}(?:[\s\-]?\d{4}){2,3}(?:[\s\-]?\d{1,3})?" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=NUMBER_SEPARATORS,
        context=("银行卡", "卡号", "账号", "账户", "银行", "开户", "card"),
    ),
    EntityRule(
        name="CN_LICENSE_PLATE",
        lengths=(7, 8),
        ascii_only=False,
        hint=rf"[{PLATE_PROVINCES}][A-HJ-NP-Z]",
        candidate=PLATE_CANDIDATE,
        check=checks.plates,
        span=PLATE_SPAN,
        span_score=0.5,
        clean=PLATE_SEPARATORS,
        upper=True,
        context=("车牌", "号牌", "车辆", "牌照", "驾驶", "车"),
    ),
    EntityRule(
        name="CN_PASSPORT",
        lengths=(9, 9),
        hint=r"[EeGgPpSsDd][A-Za-z]?\d{7}",
        candidate=r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[PSD]E\d{7}",
        check=checks.not_repetitive,
        span=NO_ALNUM_BEFORE + r"(?:[EeGg]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7}|[PSDpsd][Ee]\d{7})" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=r"\s",
        upper=True,
        context=("护照", "passport", "证件"),
    ),
    EntityRule(
        name="CN_HMT_PERMIT",
        lengths=(8, 13),
        hint=r"[HMhm]\d{8}",
        candidate=r"[HM]\d{8}(?:\d{2})?",
        check=checks.not_repetitive,
        span=NO_ALNUM_BEFORE + r"[HMhm]\d{8}(?:\d{2})?" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=r"\s",
        upper=True,
        context=("回乡证", "通行证", "港澳", "台胞证", "permit"),
        header_only=(("台胞", "台湾居民"), r"[0-9]{8}(?:[0-9]{2})?(?:\([A-Z]\))?"),
    ),
    # 往来港澳通行证: card since 2014 C + 8 digits, later C + letter (no I, O) + 7 digits.
    _travel_permit("CN_HK_MACAU_TRAVEL_PERMIT", r"C\d{8}|C[A-HJ-NP-Z]\d{7}",
                   ("往来港澳", "港澳通行证", "通行证", "permit")),
    # 大陆居民往来台湾通行证: card L + 8 digits (older booklets T + 8 digits).
    _travel_permit("CN_TW_TRAVEL_PERMIT", r"[LT]\d{8}", ("往来台湾", "赴台", "台湾通行证", "入台")),
    EntityRule(
        # 社会保障卡: the social security number printed on it is the resident ID (claimed by that
        # rule first); the card's own number (卡号, a letter and 8 digits, or 9 digits) says
        # nothing on its face, so only a header naming the card makes it one.
        name="CN_SOCIAL_SECURITY_CARD",
        lengths=(9, 10),
        candidate="",
        check=checks.not_repetitive,
        span=None,
        span_score=0.3,
        clean=r"[\s\-]",
        upper=True,
        header_only=(("社保卡号", "社保卡卡号", "社会保障卡号", "社会保障卡卡号", "社保卡编号", "sbkh", "shbzkh"),
                     r"[A-Z]{1,2}\d{7,8}|\d{9}"),
    ),
    EntityRule(
        name="IMEI",
        lengths=(15, 15),
        hint=r"\d{15}",
        candidate=r"\d{15}",
        check=checks.imeis,
        span=NO_ALNUM_BEFORE + r"\d{15}" + NO_ALNUM_AFTER,
        span_score=0.3,
        clean=NUMBER_SEPARATORS,
        context=("imei", "串号", "设备号", "手机串号", "设备识别码"),
    ),
    EntityRule(
        name="VEHICLE_VIN",
        lengths=(17, 17),
        hint=r"[A-HJ-NPR-Za-hj-npr-z0-9]{17}",
        candidate=r"[A-HJ-NPR-Z0-9]{17}",
        check=checks.vins,
        span=NO_ALNUM_BEFORE + r"[A-HJ-NPR-Z0-9]{17}" + NO_ALNUM_AFTER,
        span_score=0.4,
        clean=r"[\s\-]",
        upper=True,
        context=("车架号", "车辆识别代号", "vin", "识别代码"),
    ),
    EntityRule(
        # Column level only: hex digests of fixed length, judged by their share in a column.
        name="HASHED_IDENTIFIER",
        lengths=(32, 128),
        candidate=r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{128}",
        check=checks.hex_digests,
        column_veto=checks.uuid_shaped,
        span=None,
        span_score=0.3,
    ),
    EntityRule(
        name="GEO_COORDINATE",
        lengths=(7, 60),
        ascii_only=None,
        hint=r"\d\.\d{4}|°",
        candidate=GEO_CANDIDATE,
        check=checks.coordinates,
        span=GEO_SPAN,
        span_score=0.5,
        context=("坐标", "经纬度", "经度", "纬度", "位置", "定位", "lat", "lon"),
        # Separate latitude / longitude columns: one decimal number each, named by the header.
        header_only=(("经度", "纬度", "经纬度", "latitude", "longitude", "lat", "lng", "lon", "jd", "wd"),
                     r"-?\d{1,3}\.\d{3,10}"),
    ),
    EntityRule(
        name="EMAIL_ADDRESS",
        lengths=(6, 320),
        hint=r"@",
        candidate=EMAIL_CANDIDATE,
        check=checks.emails,
        span=r"(?<![A-Za-z0-9._%+\-])" + EMAIL_CANDIDATE + NO_ALNUM_AFTER,
        span_score=0.8,
        context=("邮箱", "邮件", "email", "mail"),
    ),
    EntityRule(
        name="IP_ADDRESS",
        lengths=(2, 60),
        hint=r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]:[0-9A-Fa-f]*:",
        candidate=rf"{IPV4}|{IPV6}",
        check=checks.ip_addresses,
        span=r"(?<![0-9A-Za-z.:])(?:" + IPV4 + "|" + IPV6 + r")(?![0-9A-Za-z.:])",
        span_score=0.5,
        context=("ip", "地址", "登录", "访问"),
    ),
    EntityRule(
        name="PERSON",
        lengths=(2, 40),
        ascii_only=False,
        hint=r"·|•|・",
        candidate=rf"[{HAN}]{{2,4}}|[{HAN}]{{1,12}}(?:[·•・.][{HAN}]{{1,12}}){{1,3}}",
        check=person_names,
        span=rf"[{HAN}]{{1,12}}[·•・][{HAN}]{{1,12}}",  # token-based otherwise, see recognizers.py
        span_score=0.3,
        clean=r"\s",
        context=("姓名", "联系人", "申请人", "当事人", "户主", "法定代表人", "法人", "负责人", "经办人",
                 "投诉人", "举报人", "患者", "先生", "女士", "本人", "name"),
    ),
    EntityRule(
        name="LOCATION",
        lengths=(6, 200),
        ascii_only=False,
        hint=r"(?:\d+|[A-Za-z]|[一二三四五六七八九十百零〇]+)(?:号|弄|栋|幢|座|楼|单元|室)",
        candidate=ADDRESS_CANDIDATE,
        check=addresses,
        span=ADDRESS_SPAN,
        span_score=0.6,
        context=("地址", "住址", "住所", "居住", "户籍", "家住", "位于", "address"),
    ),
)

RULES = (
    *RULES,
    EntityRule(
        # Romanized names (ZHAO Haoran, Ouyang Xiaodong, Haoran Zhao): a romanized surname and a
        # given name of one or two pinyin syllables, either order; column level only.
        name="PERSON_PINYIN",
        entity="PERSON",
        lengths=(4, 40),
        candidate=r"[A-Za-z]{1,12}(?:[\-'][A-Za-z]{1,6})?(?:,? [A-Za-z]{1,12}(?:[\-'][A-Za-z]{1,6})?){1,2}",
        check=romanized_names,
        # Under a header that names a person, any capitalised two- or three-part Latin name.
        column_check=latin_names,
        span=None,
        span_score=0.3,
        context=("name",),
    ),
)

RULES_BY_NAME = {rule.name: rule for rule in RULES}
ENTITIES = tuple(dict.fromkeys(rule.entity for rule in RULES))
# Entities the profiler treats as needing more than a passing pattern (no check digit).
WEAK = frozenset({"PERSON", "LOCATION", "CN_LICENSE_PLATE", "CN_PASSPORT", "CN_HMT_PERMIT", "IP_ADDRESS",
                  "CN_HK_MACAU_TRAVEL_PERMIT", "CN_TW_TRAVEL_PERMIT", "CN_SOCIAL_SECURITY_CARD", "IMEI",
                  "VEHICLE_VIN", "HASHED_IDENTIFIER", "GEO_COORDINATE"})


def validate(entity: str, text: str) -> bool:
    """Whether ``text`` (a whole cell or a span) is a valid raw ``entity``. Never raises on str input."""
    return validate_many(entity, [text])[0]


def validate_many(entity: str, texts: Sequence[str]) -> list[bool]:
    """:func:`validate` of each text, each rule's check run once over all of them."""
    out = [False] * len(texts)
    for rule in RULES:
        if rule.entity != entity:
            continue
        left = [i for i, ok in enumerate(out) if not ok]
        if not left:
            break
        for i, ok in zip(left, rule.validate_many([texts[i] for i in left]), strict=True):
            out[i] = ok
    return out
