"""A second, independent finder of personal names in prose, for the guard only.

The scrubber finds names with jieba's tagger and scored cue words (``detectors.persons``); if the
guard verified its work with the same finder it would share its blind spots. This finder works
differently: a regular expression anchored on role words (代领人, 联系人, 监护人 …), honorifics
(先生, 女士) and forms of address, followed or preceded by a known surname and one or two given-name
characters. It is deliberately eager: in a published remark, a role word followed by an unmasked
surname-led word is a name until shown otherwise.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

# Words after which a person's name is written in case notes, forms and letters.
ROLE_WORDS = (
    "代领人", "代办人", "代缴人", "代收人", "代签人", "代理人", "委托人", "受托人", "被委托人", "联系人",
    "紧急联系人", "监护人", "被监护人", "经办人", "申请人", "被申请人", "法定代表人", "法人代表", "法人",
    "负责人", "收件人", "寄件人", "签收人", "领取人", "领款人", "收款人", "户主", "户名", "配偶", "丈夫",
    "妻子", "父亲", "母亲", "儿子", "女儿", "子女", "家属", "亲属", "当事人", "投诉人", "举报人", "反映人",
    "来访人", "患者", "本人", "承办人", "受理人", "审核人", "审批人", "申报人", "填报人", "登记人",
    "办理人", "陪同人", "介绍人", "担保人", "借款人", "继承人", "持卡人", "开户人", "房主", "业主", "租户",
    "姓名", "名字", "之子", "之女", "之妻", "之夫",
    # verbs that take a person as their object (委托徐雪梅代为办理, 通知王芳到场)
    "委托", "交由", "通知", "告知", "陪同", "转告", "约谈",
)
# Words right after a name (徐雪梅代为办理, 王芳同意, 李娜来电).
CUES_AFTER = ("代为", "代办", "代领", "代缴", "同意", "签字", "签收", "签名", "来电", "来访", "到场", "本人", "已于",
              "于20", "于19", "申请", "办理", "领取", "确认")
LINK = r"[：:\s为是系即]{0,2}"
HONORIFICS = ("先生", "女士", "同志", "老师", "师傅", "老人", "夫妇")
# A given name does not start with a function word or a common verb (联系人已变更, 申请人本人到场).
NOT_GIVEN_START = frozenset("已未于在的了等来电话本均将被由及与和或到为是有无不也都从向对把去说称")


@cache
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    from detectors.names import surnames

    return surnames()


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    single, compound = _surnames()
    surname = "(?:" + "|".join(sorted(compound, key=len, reverse=True)) + "|[" + "".join(sorted(single)) + "])"
    given = r"[\u4e00-\u9fff]{1,2}"
    roles = "|".join(sorted(map(re.escape, ROLE_WORDS), key=len, reverse=True))
    latin = r"[A-Z][A-Za-z]{1,7}(?:[ \u00b7.-]?[A-Z]?[a-z]{1,8}){1,2}"  # Wang Yulan, ZHAO Haoran, Ouyang Na
    dotted = r"[\u4e00-\u9fff]{1,8}[·•・][\u4e00-\u9fff]{1,8}"  # 古丽娜尔·吐尔逊, 扎西·次仁
    after_role = re.compile(rf"(?:{roles}){LINK}({dotted}|{surname}{given}|{latin})")
    before_honorific = re.compile(
        rf"({surname}[\u4e00-\u9fff]{{0,2}}?)(?:{'|'.join(HONORIFICS)}|{'|'.join(CUES_AFTER)})")
    return after_role, before_honorific


def names_in(text: str) -> list[str]:
    """Name-shaped words this finder reads in ``text`` (unmasked: masked names hold ``*``)."""
    after_role, before_honorific = _patterns()
    found = [m.group(1) for m in after_role.finditer(text)]
    found += [m.group(1) for m in before_honorific.finditer(text) if len(m.group(1)) >= 2]
    return [name for name in found if _plausible(name)]


# Tags of words that are not given names (今日 t, 常住 v, 于是 c …).
NOT_GIVEN_TAGS = frozenset({"t", "d", "p", "c", "u", "v", "vn", "m", "q", "f", "r", "ad", "an", "vd", "y", "e"})


COMMON_WORD_FREQUENCY = 20  # jieba counts 单位 17,532, 钱包 98 and 杨淑 2: rare entries are name fragments


def _common_word(word: str) -> bool:
    from detectors.persons import _jieba

    return (_jieba()[2].get(word) or 0) >= COMMON_WORD_FREQUENCY


def _plausible(word: str) -> bool:
    if word.isascii() or any(dot in word for dot in "·•・"):
        return True
    single, compound = _surnames()
    given = word[2:] if word[:2] in compound else word[1:]
    if not given or given[0] in NOT_GIVEN_START:
        return False
    if any(role.startswith(word) or word.startswith(role) for role in ROLE_WORDS):
        return False
    # Ordinary words that start with a surname character (配偶单位, 户主关系, 联系人方式) are words:
    # checked against a word list only, not the tagger the scrubber uses.
    from detectors.persons import dictionary_tag, in_dictionary

    head = word[: len(word) - len(given) + 1]
    for part in {word, head}:  # 单位缴: the surname and the next character already make a word
        if len(part) >= 2 and _common_word(part) and not dictionary_tag(part).startswith("nr"):
            return False
    return not (len(given) == 2 and in_dictionary(given) and dictionary_tag(given) in NOT_GIVEN_TAGS)


def cells_with_names(values: pd.Series) -> int:
    """How many cells hold at least one name by this finder (each distinct text read once)."""
    counts = values.astype("string").dropna().value_counts()
    return int(sum(w for t, w in zip(counts.index, counts.tolist(), strict=True) if names_in(str(t))))
