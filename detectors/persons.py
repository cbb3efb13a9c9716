"""Personal names in running Chinese text (case-worker remarks, complaints, letters).

In prose a name is rarely announced by 姓名 or 联系人: agency remarks say 委托徐雪梅代为办理,
经张伟同意, 由李娜负责, 王建国于2023年迁入. Names are found from:

* candidates: jieba's part-of-speech tagger (``jieba.posseg``, its own dictionary and HMM, no
  download) segments the text; a candidate is a token, or a surname token plus the next token,
  shaped like a name (``names.is_person_name``: known surname + one or two characters). jieba
  often fuses a name with a neighbour, so candidates are also re-cut: after a cue word whatever
  the tokens (代办人丁鹏 is 人丁|鹏), without a one-character word fused in front (时柏倩, 经舒鑫)
  or a verb fused behind (黄博持委托书), with a third given-name character it split off (邓涛|雪);
* evidence, as a score: a word outside jieba's dictionary that its HMM tags ``nr`` scores 0.5
  alone; otherwise a name-shaped word scores 0.3 and needs a cue word right before it (委托,
  代办人, 经办人, 户主, 监护人, 配偶, 父亲, 由, 经 … +0.35), right after it (同意, 负责, 代为, 签字,
  于, 已 … +0.25), an honorific (先生, 女士: 0.6), a role word earlier in the clause (+0.15) or a
  name it is coordinated with (李娜和王芳: +0.25). jieba's dictionary tags are noisy (明白, 许可,
  王府井 and 张贴 are ``nr`` there), so a dictionary word tagged ``nr`` needs a cue like any other,
  and one with another tag (周末 t, 安全 an, 金额 n) is not a name;
* vetoes: words listed in ``not_names.txt`` (places, landmarks, words jieba mislabels; stewards add
  their districts there), words followed by a place or company suffix (章丘|区, 黄河|路, 明腾|科技)
  or running into 公司/集团, and words right after 省/市/县/区 without a cue (合肥市南长阜新街).

``THRESHOLD`` (0.5, the same as ``scan.SCORE_THRESHOLD``) is the cut. Used by the Presidio
recognizer (``recognizers.ChineseNameRecognizer``) and, directly, by the column profiler for
prose cells, so both see the same names. A whole cell is checked by ``names.person_names``.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from detectors import heap
from detectors.names import CUE_WORDS, HAN, is_person_name, surnames

NOT_NAMES_FILE = Path(__file__).with_name("not_names.txt")

THRESHOLD = 0.5  # = scan.SCORE_THRESHOLD: a span scoring this is reported
BASE_SCORE = 0.3  # a name-shaped word and nothing else: below the threshold
COMMON_GIVEN_SCORE = 0.2  # a word-final surname char + an ordinary word (美甲师|岗位): needs a cue before
TAGGED_SCORE = 0.5  # not a dictionary word, and jieba's HMM tags it as a person name
HONORIFIC_SCORE = 0.6
DOTTED_SCORE = 0.5
CUE_BEFORE_BOOST = 0.35
CUE_AFTER_BOOST = 0.25
WINDOW_BOOST = 0.15  # a role word a few characters earlier: weaker than one right before the name

# Words that announce a person right before the name (a colon, 为 or 是 may sit between).
ROLE_WORDS = frozenset(
    CUE_WORDS - {"先生", "女士", "同志"}
    | {
        "名字", "代办人", "受托人", "被委托人", "法人代表", "反映人", "来访人", "签收人", "收件人", "领取人",
        "承租人", "出租人", "房主", "业主", "驾驶人", "驾驶员", "借款人", "担保人", "证人", "见证人", "原告",
        "被告", "上诉人", "被上诉人", "第三人", "嫌疑人", "配偶", "丈夫", "妻子", "父亲", "母亲", "儿子", "女儿",
        "子女", "家属", "亲属", "遗属", "死者", "村民", "居民", "职工", "员工", "主任", "书记", "村长", "组长",
        "队长", "科长", "局长", "处长", "所长", "站长", "经理", "总经理", "董事长", "股东", "民警", "网格员",
        "社工", "工作人员", "户籍人", "被监护人",
        # people who act for, or stand beside, the person a record is about (代领人王玉兰，…)
        "代领人", "代缴人", "代收人", "代签人", "代表人", "委托代理人", "陪同人", "紧急联系人", "介绍人",
        "推荐人", "缴费人", "参保人", "投保人", "被保险人", "受益人", "持卡人", "开户人", "户名", "领款人",
        "收款人", "付款人", "汇款人", "寄件人", "发件人", "报案人", "报警人", "求助人", "受害人", "申报人",
        "填报人", "登记人", "办理人", "审核人", "核实人", "走访人", "联络人", "对接人", "继承人", "赡养人",
        "抚养人", "扶养人", "送达人", "受送达人", "债务人", "债权人", "租户", "住户", "房东",
    }
)
VERB_CUES = frozenset({"委托", "通知", "告知", "联系", "交由", "转交", "陪同", "协助", "同意", "转告", "约谈", "询问"})
# One-character cues count only as a whole token (经 in 已经 is not a cue).
CHAR_CUES_BEFORE = frozenset("由经与和及请向让给对被将替派叫找帮陪带同跟据")
# Characters jieba fuses onto the front of a name (时柏倩 in 检查时柏倩不在家, 经舒鑫, 由罗霞).
LEAD_CHARS = CHAR_CUES_BEFORE | frozenset("时当在从自至把")
# Of those, rare surnames that are common words: a three-character word starting with one is taken as
# that word + a two-character name, unless a role word comes right before (户主时文强).
LEAD_NOT_SURNAME = frozenset("由经和时")
COORDINATORS = frozenset("和与、及跟同")  # 李娜和王芳: a name-shaped word next to a name is one too
# A one-character token after a two-character name joins it only if nominal (邓涛|雪), not 不, 说, 个 …
EXTENSION_NOT_TAGS = frozenset("pcudrvkmqf")
COORDINATION_BOOST = 0.25
RARE_WORD = 50  # jieba's count below which a dictionary word framed by cues may be a name (游林 9)
# …and the ceiling when the cue before is a role word or cue verb right before it (委托方军代为办理: 方军 77,
# 委托平平代为办理: 平平 363); ordinary words that fill that frame (单位, 银行, 双方) count thousands.
FRAMED_WORD = 1000
# Dictionary tags of words that, between a role word or cue verb and a cue after, are names at any frequency.
FRAMED_NAME_TAGS = frozenset({"ns", "nz", "a"})
CUES_AFTER = frozenset(
    {
        "同意", "负责", "代为", "代办", "代理", "签字", "签名", "签收", "确认", "承诺", "表示", "反映", "来电",
        "来访", "前来", "到场", "本人", "夫妇", "之子", "之女", "之妻", "之夫", "之父", "之母", "申请", "提出",
        "提交", "领取", "补交", "迁入", "迁出", "去世", "病故", "死亡", "户籍", "身份证", "电话", "手机",
        "居住", "家住", "现住", "自愿", "携带", "持有", "名下", "未到", "因病", "等人", "一家", "家中",
    }
)
CHAR_CUES_AFTER = frozenset("于已未因现系称持携等曾均")
# Characters jieba fuses onto the end of a name (黄博持委托书, 母亲郭建随子女): cut off, never a last name char.
TRIM_CHARS = frozenset("于已未因现系称持携等随在")
# Single characters that follow a name but are not part of it (王芳家, 张伟处, 李娜们).
NOT_GIVEN_CHARS = frozenset("家处们的了和与及或是在说到去来也就又还被把将向对")
# Dictionary tags a two-character given name can carry (丽丽 nr, 建国 ns, 婷婷 z, 春花 n); not t (周五).
GIVEN_TAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nz", "nt", "z", "a", "ag", "zg", "ng", "vg", "j", "b"})
HONORIFICS = ("先生", "女士", "同志", "老师", "师傅", "小姐", "夫妇", "老人", "之子", "之女")
LINKERS = "：:为是 \u3000"
CLAUSE_BREAKS = "。；;！!？?\n"
WINDOW = 8  # a role word this many characters before the name, same clause, still counts
# What follows a place or organisation name: 章丘|区, 黄河|路, 金桥|公司 (a name is not followed by these).
PLACE_SUFFIXES = (
    "区", "县", "市", "省", "镇", "乡", "村", "路", "街", "巷", "局", "厅", "厂", "馆", "港", "公司", "集团",
    "大厦", "小区", "花园", "社区", "街道", "大街", "大道", "中学", "小学", "大学", "医院", "银行", "宾馆",
    "酒店", "商场", "景区", "公园", "广场", "山庄", "古城", "湿地", "水库", "营业", "证券", "百货", "超市",
    # what follows a trade name (字号) in a company name: 明腾科技有限公司, 兰金电子, 戴硕传媒
    "科技", "电子", "网络", "传媒", "信息", "软件", "实业", "贸易", "商贸", "建设", "建筑", "工程", "有限",
    "物业", "置业", "地产", "文化", "教育", "医药", "餐饮", "商店", "门诊", "诊所", "药房", "咨询", "设计",
    "装饰", "农业", "食品", "机械", "汽车", "物流", "运输", "能源", "环保", "制药", "广告", "投资", "控股",
    "股份", "商行", "经营部", "合作社", "事务所", "研究院", "幼儿园", "服饰", "家居", "电器",
)
NAME_TAGS = ("nr",)  # nr, nrfg, nrt
# Middle dots that join the parts of a name in prose; not ".", which ends sentences there.
PROSE_DOTS = frozenset("·•・")
ORGANISATION_WORDS = ("公司", "集团", "合作社", "事务所", "经营部", "商行", "工作室")
# A place level right before a name-shaped word without a cue: part of an address (合肥市南长阜新街).
PLACE_BEFORE = frozenset("省市县区镇乡村路街")
# jieba tags of function words that are also surnames (于 p, 和 c, 都 d …): never a name start.
FUNCTION_TAGS = frozenset("pcudr")


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int
    score: float
    how: str


@lru_cache(maxsize=1)
def not_names() -> frozenset[str]:
    words: set[str] = set()
    for line in NOT_NAMES_FILE.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return frozenset(words)


JIEBA_CACHE_ENV = "KAIFANG_JIEBA_CACHE_DIR"  # set by the CLI to the project's state folder


def quiet_jieba():
    """jieba, its start-up chatter silenced and its dictionary cache (9 MB, built in about a CPU-second when
    missing) kept in $KAIFANG_JIEBA_CACHE_DIR when set, not in the shared /tmp where it may be cleared or
    planted; to be called before jieba first loads its dictionary."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder = os.environ.get(JIEBA_CACHE_ENV)
    if folder and jieba.dt.tmp_dir is None and not jieba.dt.initialized:
        jieba.dt.tmp_dir = folder
    return jieba


@lru_cache(maxsize=1)
def _jieba():
    """jieba's POS tokenizer, its word -> tag table and its frequency table, loaded once, quietly."""
    quiet_jieba()
    import jieba
    import jieba.posseg

    jieba.initialize()
    tables = _remembering(jieba.posseg.dt), jieba.posseg.dt.word_tag_tab, jieba.dt.FREQ
    heap.settle()
    return tables


def _remembering(shared):  # noqa: ANN001, ANN202 - jieba's POSTokenizer has no type hints
    """A copy of jieba's POS tokenizer (same dictionary and tables) whose HMM step remembers its answers.

    The HMM (a Viterbi over some 250 states per character) tags the runs of characters outside the
    dictionary and is most of jieba's time: here it is decoded with numpy (``pos_hmm.cut``, the same
    words and tags), and as a pure function of the run (号, 室, 凤鸣路 recur in thousands of remarks)
    its answers are kept per run. Only this copy is changed, never jieba's own.
    """
    from detectors import pos_hmm

    tokenizer = object.__new__(type(shared))  # not copy.copy: its __getattr__ recurses on a bare instance
    tokenizer.__dict__.update(shared.__dict__)
    if hasattr(tokenizer, "_POSTokenizer__cut"):
        remembered = lru_cache(maxsize=65_536)(lambda run: tuple(pos_hmm.cut(run)))
        tokenizer._POSTokenizer__cut = lambda run: iter(remembered(run))
    return tokenizer


def dictionary_tag(word: str) -> str:
    """jieba's dictionary part-of-speech tag for ``word`` ('' when not a dictionary word)."""
    return _jieba()[1].get(word, "")


def in_dictionary(word: str) -> bool:
    _, tags, freq = _jieba()
    return word in tags or bool(freq.get(word))


@lru_cache(maxsize=131_072)
def _block_tokens(block: str) -> tuple[tuple[str, str], ...]:
    """jieba's (word, tag) pairs for one block of its own splitting (a run of Han, letters and digits,
    or what lies between two such runs)."""
    return tuple((word, tag) for word, tag in _jieba()[0].lcut(block))


def pos_tokens(text: str) -> list[tuple[str, str, int]]:
    """(word, tag, start offset) for every token of ``text``; the tokens cover the text exactly.

    jieba cuts each block of ``jieba.posseg.re_han_internal`` on its own, with no state across blocks,
    so cutting block by block gives the tokens of cutting the whole text; the blocks are remembered,
    because remarks repeat most of them (已核实, 代办人身份证号…) and only the rest reaches jieba.
    """
    from jieba.posseg import re_han_internal

    out: list[tuple[str, str, int]] = []
    at = 0
    for block in re_han_internal.split(text):
        if not block:
            continue
        for word, tag in _block_tokens(block):
            start = at if text.startswith(word, at) else text.find(word, at)
            if start < 0:  # jieba never drops characters, but never trust an offset blindly
                continue
            out.append((word, tag, start))
            at = start + len(word)
    return out


@lru_cache(maxsize=1)
def _digit_words() -> tuple[str | None, re.Pattern[str] | None]:
    """The ASCII digit no jieba dictionary key holds, and a search for the keys of two or more characters
    that hold a digit (4S店, 1号店), or None for either when there is none."""
    _, tags, freq = _jieba()
    blob = "\n".join(itertools.chain(freq, tags))
    keys = set(re.findall("[^\\n]*[0-9][^\\n]*", blob))
    used = {c for key in keys for c in key if "0" <= c <= "9"}
    free = next((d for d in "0123456789" if d not in used), None)
    long = sorted((k for k in keys if len(k) >= 2), key=len, reverse=True)
    if not long:
        return free, None
    first = "".join(sorted({re.escape(k[0]) for k in long}))
    return free, re.compile(f"(?=[{first}])(?=(" + "|".join(re.escape(k) for k in long) + "))")


_ASCII_DIGIT = re.compile("[0-9]")


def digit_canonical(text: str) -> str:
    """``text`` with every ASCII digit written as one digit that no dictionary word holds, except the
    digits of dictionary words (4S店); same length and offsets.

    jieba treats such digits alike (a single character outside every word, a number token ``m``), and
    the name rules look at Han characters only, so :func:`person_spans` gives the same spans on the
    canonical text: remarks that differ only in a phone or ID number are one text for the name finder.
    """
    free, protected = _digit_words()
    if free is None or not _ASCII_DIGIT.search(text):
        return text
    canonical = text.translate(_digit_table(free))
    if protected is None or not protected.search(text):
        return canonical
    chars = list(canonical)
    for match in protected.finditer(text):
        chars[match.start(1) : match.end(1)] = text[match.start(1) : match.end(1)]
    return "".join(chars)


class _NameMemory:
    """The names found per digit-canonical text, for the life of the process, at most ``size`` texts.

    A dict in insertion order whose oldest half is dropped when it is full (reads take no lock). Unlike
    an ``lru_cache`` its contents can be read out: a release hands what detection found to its Dask
    workers (:func:`remembered_names`, :func:`remember_names`), which would otherwise find it again.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: dict[str, tuple[NameSpan, ...]] = {}
        self.lock = threading.Lock()

    def put(self, text: str, spans: tuple[NameSpan, ...]) -> None:
        with self.lock:
            if len(self.found) >= self.size:
                for oldest in list(itertools.islice(self.found, self.size // 2)):
                    del self.found[oldest]
            self.found[text] = spans


_NAMES = _NameMemory(262_144)


def canonical_person_spans(canonical: str) -> tuple[NameSpan, ...]:
    """:func:`person_spans` of a text already passed through :func:`digit_canonical`, remembered per process:
    the column profiler and the span scanner (``scan.py``) share it, so a release finds the names of a
    remark once, in detection, and desensitization reuses them."""
    found = _NAMES.found.get(canonical)
    if found is None:
        found = tuple(person_spans(canonical))
        _NAMES.put(canonical, found)
    return found


def remembered_names() -> list[tuple[str, tuple[NameSpan, ...]]]:
    """The texts and names this process remembers, oldest first (for :func:`remember_names` elsewhere)."""
    with _NAMES.lock:
        return list(_NAMES.found.items())


def forget_names() -> None:
    """Empty the memory: a release's detection starts with it, so what it shares is its dataset's texts."""
    with _NAMES.lock:
        _NAMES.found.clear()


def remember_names(pairs: Iterable[tuple[str, tuple[NameSpan, ...]]]) -> None:
    """Take names another process found (the same finder, the same lexicon) as if found here."""
    for text, spans in pairs:
        _NAMES.put(text, spans)


@lru_cache(maxsize=10)
def _digit_table(digit: str) -> dict[int, int]:
    return str.maketrans("0123456789", digit * 10)


def _is_han(word: str) -> bool:
    return bool(word) and all("\u4e00" <= c <= "\u9fff" for c in word)


def _alternation(words) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """Word lists as compiled alternations (one regex call instead of a loop over words)."""
    return {
        "cue_at": re.compile(f"(?=({_alternation(ROLE_WORDS | VERB_CUES).pattern}))"),
        "role": _alternation(w for w in ROLE_WORDS if len(w) >= 2),
        "after": _alternation(CUES_AFTER),
        "after_or_honorific": _alternation(CUES_AFTER | set(HONORIFICS)),
        "honorific": _alternation(HONORIFICS),
        "place_suffix": _alternation(PLACE_SUFFIXES),
    }


class _Text:
    """One text with its POS tokens and the lookups the candidate rules need."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = pos_tokens(text)
        self.starts = {start: i for i, (_, _, start) in enumerate(self.tokens)}
        self.ends = {start + len(word): i for i, (word, _, start) in enumerate(self.tokens)}
        self.ends[0] = -1
        self.owner = [0] * len(text)  # character -> index of the token holding it
        for i, (word, _, start) in enumerate(self.tokens):
            for k in range(start, start + len(word)):
                self.owner[k] = i
        patterns = _patterns()
        # Where a role word or cue verb ends, plus up to two linkers (a colon, 为, 是): a name may start there.
        self.after_role: set[int] = set()
        for match in patterns["cue_at"].finditer(text):
            at = match.start() + len(match.group(1))
            self.after_role.add(at)
            for k in range(at, min(at + 2, len(text))):
                if text[k] not in LINKERS:
                    break
                self.after_role.add(k + 1)
        self.roles = [(m.start(), m.end()) for m in patterns["role"].finditer(text)]

    def token(self, index: int) -> tuple[str, str, int]:
        return self.tokens[index] if 0 <= index < len(self.tokens) else ("", "", len(self.text))

    def glued_lead(self, start: int) -> bool:
        """A one-character word right before ``start``, alone or fused by jieba with the name after it
        (经舒鑫 -> 经 | 舒鑫); not the end of a longer dictionary word (已经)."""
        if start == 0 or self.text[start - 1] not in LEAD_CHARS:
            return False
        word, tag, token_start = self.token(self.owner[start - 1])
        if token_start != start - 1:
            return False
        # Alone (由 | 罗霞), or fused into a word jieba's HMM took for a name (经舒鑫), not into 跟单;
        # 由 and 经 (the agent of 负责, 同意) also when fused with a surname alone (经叶 | 飞).
        if word == self.text[start - 1]:
            return True
        if in_dictionary(word):
            return False
        return tag.startswith(NAME_TAGS) or (word[0] in "由经" and len(word) == 2)

    def glued_cue_before(self, start: int) -> bool:
        return self.glued_lead(start) and self.text[start - 1] in CHAR_CUES_BEFORE

    def role_before(self, start: int) -> bool:
        """A role word or cue verb right before ``start``, a colon, 为 or 是 allowed in between."""
        return start in self.after_role

    def cue_before(self, start: int) -> bool:
        return self.role_before(start) or self.glued_cue_before(start)

    def role_in_window(self, start: int) -> bool:
        """A role word (联系人, 申请人 …) earlier in the same clause, a few characters back."""
        for a, b in self.roles:
            if start - WINDOW <= a and b <= start and not any(c in CLAUSE_BREAKS for c in self.text[b:start]):
                return True
        return False

    def cue_after(self, end: int) -> bool:
        if _patterns()["after"].match(self.text, end):
            return True
        if end >= len(self.text) or self.text[end] not in CHAR_CUES_AFTER:
            return False
        word, tag, token_start = self.token(self.owner[end])
        # 于 as its own token, fused with the name before it (黄博持 -> 黄博 | 持), or opening a function
        # word (已于, 因为); not 等 in 等级.
        return word == self.text[end] or token_start < end or tag[:1] in FUNCTION_TAGS

    def honorific_after(self, end: int) -> bool:
        return bool(_patterns()["honorific"].match(self.text, end))

    def place_follows(self, end: int) -> bool:
        return bool(_patterns()["place_suffix"].match(self.text, end))

    def organisation_follows(self, end: int) -> bool:
        """The words after ``end`` run, without a function word or punctuation, into 公司, 集团 …"""
        index = self.starts.get(end)
        if index is None:
            index = self.owner[end] + 1 if end < len(self.text) else len(self.tokens)
        for word, tag, _ in self.tokens[index : index + 4]:
            if any(word.endswith(suffix) for suffix in ORGANISATION_WORDS):
                return True
            if not _is_han(word) or tag[:1] in FUNCTION_TAGS:
                return False
        return False

    def start_ok(self, start: int) -> bool:
        return start in self.starts or self.glued_lead(start) or self.role_before(start)

    def end_ok(self, end: int) -> bool:
        if end in self.ends or end == len(self.text):
            return True
        return self.text[end] in TRIM_CHARS or bool(_patterns()["after_or_honorific"].match(self.text, end))


def _surname_length(text: str, start: int) -> int:
    single, compound = surnames()
    if text[start : start + 2] in compound:
        return 2
    return 1 if text[start : start + 1] in single else 0


def _given_ok(given: str, single_char_verbs: bool) -> bool:
    """Whether ``given`` can be the given-name part (after the surname) of a name."""
    if not given or given in HONORIFICS or given in ROLE_WORDS or given in CUES_AFTER:
        return False
    tag = dictionary_tag(given) if in_dictionary(given) else ""
    if len(given) == 1:
        return tag[:1] not in ("p", "c", "u", "k") and given not in NOT_GIVEN_CHARS and (
            single_char_verbs or tag[:1] != "v"
        )
    return tag == "" or tag in GIVEN_TAGS


def _acceptable(doc: _Text, start: int, end: int) -> bool:
    text = doc.text
    word = text[start:end]
    # Between a role word or cue verb right before and a cue after, a person is announced on both sides;
    # there a word jieba's own list files as a name is one, even a place or landmark (委托邵阳代为办理).
    tight = doc.role_before(start) and doc.cue_after(end)
    listed = dictionary_tag(word)
    count = _jieba()[2].get(word) or 0  # how often jieba's corpus saw it as a word (0: not a word there)
    # not 通知申请人携带: a word of five characters or more is no given name
    named = tight and len(word) <= 4 and _framable(word, listed) and _named_in_frame(listed, count)
    if not _is_han(word) or not (named or is_person_name(word)):
        return False
    if word in not_names() and not named:
        return False
    if len(word) >= 3 and word[:2] in not_names() and not tight:
        return False  # 鲁能领…, 许可证; but 委托黄金凤代为办理
    if word[-1] in TRIM_CHARS:  # 黄博持, 郭建随: the verb or particle after the name
        return False
    if len(word) == 3 and word[0] in LEAD_NOT_SURNAME and is_person_name(word[1:]) and not doc.role_before(start):
        return False  # 时柏倩, 由罗霞: the word before the name
    # An ordinary dictionary word (周末, 安全, 金额) is never a name; one jieba files as a place or proper
    # noun (黄洋 ns, 苏兰 ns) is, right after a role word (父亲黄洋).
    tag = dictionary_tag(word) if in_dictionary(word) else "nr"
    # A rare dictionary word between a cue before and a cue after (委托游林代为办理) is a name: both
    # cues announce a person, and jieba lists rare words it has seen once or twice.
    framed = doc.cue_before(start) and doc.cue_after(end) and count < (
        FRAMED_WORD if tight and _framable(word, tag) else RARE_WORD)
    if not (named or framed or tag.startswith(NAME_TAGS) or (tag in ("ns", "nz") and doc.role_before(start))):
        return False
    surname = _surname_length(text, start)
    if surname == end - start and text[start] in surnames()[0]:
        surname = 1  # 欧阳 as a whole name is 欧 and 阳, not a compound surname without a given name
    if not surname or not _given_ok(text[start + surname : end], single_char_verbs=True):
        return False
    if not (doc.start_ok(start) and doc.end_ok(end)):
        return False
    if doc.place_follows(end):
        return False  # 章丘|区, 明腾|科技有限公司
    if doc.organisation_follows(end):
        return False  # 商软冠|联传媒有限公司
    return not (start > 0 and text[start - 1] in PLACE_BEFORE and not doc.cue_before(start))  # 合肥市|南长


def _dotted_start(tokens: list[tuple[str, str, int]], first: int) -> int:
    """The token a dotted name starts at: jieba's HMM may cut its first part in two (古丽娜|尔·吐尔逊), so
    name-tagged words it made up itself (no dictionary word, no role or cue word) just before join it."""
    start = first
    while start > 0:
        word, tag, _ = tokens[start - 1]
        part = len("".join(t[0] for t in tokens[start - 1 : first + 1]))
        if not (_is_han(word) and tag.startswith(NAME_TAGS) and not in_dictionary(word)) or part > 8:
            break
        if word in ROLE_WORDS or word in VERB_CUES:
            break
        start -= 1
    return start


def _named_in_frame(tag: str, count: int) -> bool:
    """Whether a word that fills a tight frame (委托___代为办理) is a name whatever its frequency or lists.

    Only a person or an organisation can fill that slot, and organisations and kinds of people are nouns;
    so are names, but a noun (单位, 银行, 双方) there is far more often the noun. A word jieba files as a
    name, a place (委托宁阳代为办理: a city does not act for anyone) or a proper noun, an adjective
    (委托冷静代为办理), or one its dictionary does not hold as a word (卫健, 岳阳 as prefixes only), is
    a name there. ``tag`` and ``count``: the word's jieba tag and corpus count."""
    return tag.startswith(NAME_TAGS) or tag in FRAMED_NAME_TAGS or not count


def _framable(word: str, tag: str) -> bool:
    """A dictionary word that a role word and a cue after may turn into a name: not itself a role or cue
    word (委托房东代为办理), and not a function word (何时)."""
    return word not in ROLE_WORDS and word not in CUES_AFTER and word not in VERB_CUES and tag[:1] not in FUNCTION_TAGS


def _dotted(doc: _Text) -> list[NameSpan]:
    """阿卜杜拉·买买提, 努尔·阿不都: Han tokens joined by middle dots; the last part runs on over single
    characters and name tokens, and stops at a cue word, an honorific or punctuation."""
    found: list[NameSpan] = []
    tokens = doc.tokens
    i = 0
    while i < len(tokens):
        j = i
        while j + 2 < len(tokens) and tokens[j + 1][0] in PROSE_DOTS and _is_han(tokens[j + 2][0]):
            j += 2
        if j == i or not _is_han(tokens[i][0]):
            i += 1
            continue
        k = j + 1
        while k < len(tokens) and _is_han(tokens[k][0]) and len("".join(t[0] for t in tokens[j : k + 1])) <= 12:
            word, tag, start = tokens[k]
            single = len(word) == 1 and word not in CHAR_CUES_AFTER and word not in NOT_GIVEN_CHARS
            if not (single or (tag.startswith(NAME_TAGS) and word not in HONORIFICS)) or doc.cue_after(start):
                break
            k += 1
        start, end = tokens[_dotted_start(tokens, i)][2], tokens[k - 1][2] + len(tokens[k - 1][0])
        if is_person_name(doc.text[start:end]):
            found.append(NameSpan(start, end, DOTTED_SCORE, "middle-dot name"))
        i = k
    return found


def _candidates(doc: _Text) -> tuple[dict[tuple[int, int], bool], set[tuple[int, int]]]:
    """Candidate spans -> whether jieba's HMM tagged their core as a person name; and the spans that
    are a surname token followed by an ordinary dictionary word (weaker evidence)."""
    text, tokens = doc.text, doc.tokens
    found: dict[tuple[int, int], bool] = {}
    common: set[tuple[int, int]] = set()

    def add(start: int, end: int, tagged: bool) -> None:
        if 0 <= start < end <= len(text):
            found[(start, end)] = found.get((start, end), False) or tagged

    single, compound = surnames()
    for i, (word, tag, start) in enumerate(tokens):
        if not _is_han(word):
            continue
        end = start + len(word)
        tagged = tag.startswith(NAME_TAGS) and not in_dictionary(word)
        add(start, end, tagged)  # the whole token: 徐雪梅, 王建国
        nxt, nxt_tag, _ = doc.token(i + 1)
        surname_first = (word in single or word in compound) and _is_han(nxt) and len(nxt) <= 2
        if surname_first and (tag[:1] not in FUNCTION_TAGS or nxt_tag.startswith(NAME_TAGS)):
            add(start, end + len(nxt), nxt_tag.startswith(NAME_TAGS))  # 黄 | 秀英, 欧阳 | 娜娜
            before = doc.token(i - 1)
            glued = i > 0 and before[2] + len(before[0]) == start and _is_han(before[0])
            if glued and before[1][:1] not in FUNCTION_TAGS and in_dictionary(nxt) and len(nxt) == 2:
                # 美甲 | 师 | 岗位: a surname character that ends the word before it, then an ordinary
                # word; unlike 万 | 建华 at the start of a clause, it needs a cue word before.
                common.add((start, end + len(nxt)))
        if surname_first and len(nxt) == 2:
            add(start, end + 1, False)  # 钟 | 文本人 -> 钟文 (kept only if a cue word follows)
        if word[:1] in LEAD_CHARS and not in_dictionary(word):
            add(start + 1, end, tagged)  # 经舒鑫 -> 舒鑫
        if len(word) == 3 and word[-1] in TRIM_CHARS:
            add(start, end - 1, tagged)  # 黄博持 -> 黄博
    # A name split in two by jieba: 邓涛 | 雪, 高平 | 涛, 牛玉 | 珍本人 (the third character is a
    # one-character token, or a cue word follows it).
    for (start, end), tagged in list(found.items()):
        if end - start == 2 and text[start] in single and end < len(text):
            third = text[end]
            nxt, _, nxt_start = doc.token(doc.starts.get(end, -1))
            split = nxt_start == end and nxt == third
            cue_next = bool(_patterns()["after_or_honorific"].match(text, end + 1))
            if (
                (split or cue_next)
                and _is_han(third)
                and third not in TRIM_CHARS
                and dictionary_tag(third)[:1] not in EXTENSION_NOT_TAGS
                and _given_ok(text[start + 1 : end] + third, single_char_verbs=False)
                and _given_ok(third, single_char_verbs=False)
            ):
                add(start, end + 1, tagged)
    # Right after a cue word, whatever jieba made of it: 代办人丁鹏 (人丁 | 鹏), 户主张桂香 (主张 | 桂香).
    leads = {start + 1 for word, _, start in tokens if word[:1] in LEAD_CHARS}
    for start in sorted(doc.after_role | leads):
        surname = _surname_length(text, start) if start < len(text) else 0
        if not surname or not (doc.role_before(start) or doc.glued_lead(start)):
            continue
        own, own_tag, own_start = doc.token(doc.owner[start])
        function_word = own_start == start and len(own) == surname and own_tag[:1] in FUNCTION_TAGS
        for size in (1, 2):
            given = text[start + surname : start + surname + size]
            # 请|于|周五: a surname that jieba reads as a function word needs a name-like given part,
            # unless a role word announces a person (代领人曾飞: 曾 is a surname there).
            announced = doc.role_before(start) and given[:1] not in NOT_GIVEN_CHARS | TRIM_CHARS
            if (announced or not function_word or not in_dictionary(given)
                    or dictionary_tag(given).startswith(NAME_TAGS)):
                add(start, start + surname + size, False)
    return found, common


def person_spans(text: str) -> list[NameSpan]:
    """Name spans in ``text`` with their scores (all of them, also those below the threshold),
    non-overlapping, in text order. ``text`` should be full-width folded (``text.fold``)."""
    if not isinstance(text, str) or not text.strip():
        return []
    doc = _Text(text)
    dotted = _dotted(doc)
    found = [(d.start, d.end, d.score, d.how) for d in dotted]
    candidates, common = _candidates(doc)
    for (start, end), tagged in candidates.items():
        if _acceptable(doc, start, end) and all(end <= d.start or start >= d.end for d in dotted):
            if tagged:
                found.append((start, end, TAGGED_SCORE, "tagged nr by jieba's HMM"))
            elif (start, end) in common:
                found.append((start, end, COMMON_GIVEN_SCORE, "surname + ordinary word"))
            else:
                found.append((start, end, BASE_SCORE, "name-shaped word"))
    spans: list[NameSpan] = []
    for start, end, score, how in found:
        notes = [how]
        if doc.honorific_after(end):
            score = max(score, HONORIFIC_SCORE)
            notes.append("honorific after")
        elif doc.cue_after(end):
            score += CUE_AFTER_BOOST
            notes.append("cue word after")
        if doc.cue_before(start):
            score += CUE_BEFORE_BOOST
            notes.append("cue word before")
        elif doc.role_in_window(start):
            score += WINDOW_BOOST
            notes.append("role word in the clause")
        spans.append(NameSpan(start, end, round(min(score, 1.0), 4), ", ".join(notes)))
    kept: list[NameSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: s.start)
    return _coordinated(text, kept)


def _coordinated(text: str, spans: list[NameSpan]) -> list[NameSpan]:
    """Lift a weak name-shaped word joined to a name by 和, 与, 、 … (倪建华和陈文, 刘想、张淑英)."""
    out = list(spans)
    for _ in range(2):  # a chain of three names needs two passes
        for i, span in enumerate(out):
            if span.score >= THRESHOLD:
                continue
            neighbours = [out[j] for j in (i - 1, i + 1) if 0 <= j < len(out)]
            if any(
                n.score >= THRESHOLD
                and (n.end + 1 == span.start or span.end + 1 == n.start)
                and text[min(n.end, span.end)] in COORDINATORS
                for n in neighbours
            ):
                out[i] = NameSpan(span.start, span.end, round(min(span.score + COORDINATION_BOOST, 1.0), 4),
                                  span.how + ", next to a name")
    return out


@lru_cache(maxsize=1)
def person_hint() -> str:
    """RE2 prefilter for cells worth :func:`person_spans`: a surname character followed by a Han
    character, or a middle dot between Han characters. Most Chinese prose passes; digits and
    ASCII-only cells do not."""
    single, compound = surnames()
    dots = "".join(sorted(PROSE_DOTS))
    return f"[{''.join(sorted(single))}][{HAN}]|" + "|".join(sorted(compound)) + f"|[{HAN}][{dots}][{HAN}]"


__all__ = [
    "NameSpan", "canonical_person_spans", "dictionary_tag", "digit_canonical", "not_names", "person_hint",
    "forget_names", "person_spans", "pos_tokens", "remember_names", "remembered_names",
]
