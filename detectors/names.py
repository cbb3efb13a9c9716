"""Chinese personal names: surname list plus shape rules.

A name is a known surname (single or compound, from ``surnames.txt``, which stewards
may extend) followed by one or two given-name characters, or a minority / transliterated
name whose parts are joined by ``·``. Many ordinary words also start with a surname
character (高中, 司机, 党员, 章丘区), so words ending like places or organisations and a
short list of category values that show up in agency tables are rejected; the profiler adds
a column-level distinctness test on top, because names are varied and category values are not.
Names inside running text are found by ``persons.py`` (jieba's tagger and cue words).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

SURNAMES_FILE = Path(__file__).with_name("surnames.txt")  # beside the module, so wheels ship it
HAN = "\u4e00-\u9fff"
_HAN_RE = re.compile(f"[{HAN}]+")
MIDDLE_DOTS = "·•・."  # "." too: exports often replace the middle dot with a full stop

# Endings that make a short Han string a place, organisation or thing rather than a person.
NOT_NAME_ENDINGS = tuple(
    "区县市省镇乡村路街巷局厅处科所院站队会部委办厂店校馆库场楼号室组港族"
)
NOT_NAME_WORDS = frozenset(
    (
        "高中", "初中", "小学", "中专", "大专", "本科", "硕士", "博士", "研究生", "司机", "党员",
        "团员", "群众", "干部", "工人", "农民", "教师", "医生", "护士", "经理", "会计", "个体",
        "退休", "学生", "无业", "待业", "军人", "职员", "汉族", "回族", "满族", "苗族", "已婚",
        "未婚", "离异", "丧偶", "正常", "合格", "不合格", "通过", "安全", "和平", "平安", "全部",
        "国家", "文化", "明天", "时间", "方法", "于是", "金额", "黄金", "石油", "江苏", "宁波",
        "龙岗", "海淀", "公共", "公开", "公司", "公务员", "管理", "管理员", "服务", "服务员",
        "销售", "技术", "技术员", "工程师", "司法", "计划", "程序", "程度", "明确", "明显", "白天",
        "黄色", "红色", "蓝色", "金色", "万元", "全年", "全市", "全省", "全国", "全体", "常住",
        "常用", "常规", "温度", "施工", "武警", "应急", "应用", "华人", "华侨", "章程", "包装",
        "车辆", "车主", "路段", "路面", "毛重", "单位", "单价", "单号", "单据", "成本", "成交",
        "成员", "成都", "甘肃", "宁夏", "钱款", "余额", "方式", "方向", "方案", "向前", "向上",
        "邵阳", "阳光", "时期", "时段", "简介", "简称", "连续", "连接", "季度", "柏油", "米线",
        "水电",
    )
)


# Words that announce a person (they sit next to names, and some start with a surname: 申请人).
CUE_WORDS = frozenset(
    (
        "姓名", "联系人", "申请人", "当事人", "户主", "法定代表人", "法人", "负责人",
        "经办人", "投诉人", "举报人", "患者", "先生", "女士", "同志", "本人", "代理人",
        "委托人", "被申请人", "申报人", "承办人", "监护人", "受理人", "审核人", "审批人",
    )
)


@lru_cache(maxsize=1)
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(single-character surnames, compound surnames) from the data file."""
    single: set[str] = set()
    compound: set[str] = set()
    for line in SURNAMES_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        for word in line.split():
            if _HAN_RE.fullmatch(word):
                (single if len(word) == 1 else compound).add(word)
    return frozenset(single), frozenset(compound)


DOTTED_NAME = f"[{HAN}]{{1,12}}(?:[{MIDDLE_DOTS}][{HAN}]{{1,12}}){{1,3}}"


@lru_cache(maxsize=1)
def name_pattern() -> str:
    """The name shape as one regular expression, built from the surname file.

    Compound surname + one or two characters, single surname + one or two characters, or a
    middle-dot name. Used as is by the scalar check (Python ``re``) and the column profiler
    (pyarrow RE2), so both apply the same rule.
    """
    single, compound = surnames()
    return (
        "(?:" + "|".join(sorted(compound)) + f")[{HAN}]{{1,2}}"
        + "|[" + "".join(sorted(single)) + f"][{HAN}]{{1,2}}"
        + "|" + DOTTED_NAME
    )


@lru_cache(maxsize=1)
def _excluded() -> frozenset[str]:
    return NOT_NAME_WORDS | CUE_WORDS | surnames()[1]


def _has_dot(text: str) -> bool:
    return any(dot in text for dot in MIDDLE_DOTS)


def is_person_name(text: str) -> bool:
    """Whether a cleaned cell (no spaces) is shaped like a Chinese personal name."""
    if not isinstance(text, str) or not 2 <= len(text) <= 40:
        return False
    if not _compiled(name_pattern()).fullmatch(text) or text in _excluded():
        return False
    if _has_dot(text):
        return len(text) >= 4
    return not text.endswith(NOT_NAME_ENDINGS)


@lru_cache(maxsize=4)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def person_names(values: Sequence[str]) -> np.ndarray:
    """Batch form of :func:`is_person_name`, vectorized with pandas over the same pattern and word lists."""
    if len(values) < 64:  # pandas costs more than it saves on a handful (recognizer spans)
        return np.fromiter((is_person_name(v) for v in values), dtype=bool, count=len(values))
    series = pd.Series(list(values), dtype="str")
    lengths = series.str.len().to_numpy()
    ok = (lengths >= 2) & (lengths <= 40)
    ok &= series.str.fullmatch(name_pattern()).to_numpy(dtype=bool, na_value=False)
    ok &= ~series.isin(_excluded()).to_numpy(dtype=bool)
    dotted = series.str.contains(f"[{MIDDLE_DOTS}]", regex=True).to_numpy(dtype=bool, na_value=False)
    ending = series.str[-1].isin(NOT_NAME_ENDINGS).to_numpy(dtype=bool)
    return ok & np.where(dotted, lengths >= 4, ~ending)


PINYIN_FILE = Path(__file__).with_name("pinyin.txt")


@lru_cache(maxsize=1)
def pinyin_table() -> tuple[frozenset[str], frozenset[str]]:
    """(toneless pinyin syllables, romanized surnames) from ``pinyin.txt`` (see make_pinyin.py)."""
    sections: dict[str, set[str]] = {"syllables": set(), "surnames": set()}
    current = None
    for line in PINYIN_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
        elif line and current is not None:
            current.update(line.split())
    return frozenset(sections["syllables"]), frozenset(sections["surnames"])


@lru_cache(maxsize=1)
def romanized_pattern() -> str:
    """A romanized Chinese name, lower-cased: surname and given name (one or two syllables, joined,
    hyphenated or spaced) in either order. One RE2-compatible pattern for both engines."""
    syllables, romans = pinyin_table()
    # Longest first: RE2 and Python agree on full matches whatever the order, this only saves work.
    syllable = "(?:" + "|".join(sorted(syllables, key=lambda s: (-len(s), s))) + ")"
    surname = "(?:" + "|".join(sorted(romans, key=lambda s: (-len(s), s))) + ")"
    given = f"{syllable}(?:[-' ]?{syllable})?"
    return f"{surname} {given}|{given} {surname}"


# Pinyin-shaped pairs that are places or common English words, not people.
NOT_ROMAN_NAMES = frozenset({"hong kong", "xi an", "tai shan", "hai nan", "he nan", "he bei", "hu nan", "hu bei",
                             "shan xi", "shan dong", "jiang su", "jiang xi", "yun nan", "gan su", "ji nan",
                             "qing dao", "tian jin", "bei jing", "nan jing", "an hui", "fu jian", "guang dong",
                             "guang xi", "gui zhou", "si chuan", "zhe jiang", "ning xia", "xin jiang", "xi zang",
                             "ma cau", "mao tai", "tai chi", "feng shui", "kung fu", "wu han"})


def romanized_names(values: Sequence[str]) -> np.ndarray:
    """Batch check of romanized Chinese names: every part a pinyin syllable, one part a surname.

    Case does not matter (ZHAO Haoran, zhao haoran, "Zhao, Haoran"): the lower-cased text must
    split into a romanized surname and a one- or two-syllable given name; the column profiler adds
    its distinctness test, since pinyin-shaped words also name places.
    """
    series = pd.Series(list(values), dtype="str").str.lower().str.replace(",", "", regex=False)
    ok = series.str.fullmatch(romanized_pattern()).to_numpy(dtype=bool, na_value=False)
    return ok & ~series.str.replace("-", " ", regex=False).isin(NOT_ROMAN_NAMES).to_numpy(dtype=bool)


LATIN_NAME = r"[A-Z][a-z]{1,14}(?:[\-'][A-Z]?[a-z]{1,14})?(?:,? [A-Z][a-z]{0,14}\.?(?:[\-'][A-Z]?[a-z]{1,14})?){1,2}"
LATIN_NAME_UPPER = r"[A-Z]{2,15}(?:,? [A-Z][A-Za-z]{1,14}){1,2}"


def latin_names(values: Sequence[str]) -> np.ndarray:
    """Names in Latin letters of any origin (Maria Lopez, SMITH John), for columns whose header
    already names a person: romanized Chinese names, or two or three capitalised words."""
    series = pd.Series(list(values), dtype="str")
    shaped = series.str.fullmatch(LATIN_NAME).to_numpy(dtype=bool, na_value=False)
    upper = series.str.fullmatch(LATIN_NAME_UPPER).to_numpy(dtype=bool, na_value=False)
    return shaped | upper | romanized_names(values)
