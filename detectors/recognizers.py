"""Presidio recognizers for Chinese identifiers, one class per entity, built on ``rules.py``.

Each pattern recognizer finds its rule's ``span`` pattern and calls the rule's validator from
``validate_result``. A passing check-digit entity (resident ID, USCC) scores 1.0; a weak
entity that passes its check keeps the pattern score so that Chinese context words (电话,
身份证, 住址 …, via the blank jieba pipeline in ``nlp.py``) decide; a failing span is dropped.
PERSON has no usable regex in unsegmented Chinese, so it reads the jieba tokens instead.
"""

from __future__ import annotations

import re
from functools import lru_cache

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.lexicon import TradeSecretLexicon, load_lexicon
from detectors.names import HAN, surnames
from detectors.rules import RULES_BY_NAME, EntityRule

LANGUAGE = "zh"


class ChineseRuleRecognizer(PatternRecognizer):
    """A Presidio pattern recognizer driven by one :class:`EntityRule`."""

    ENTITY = ""

    def __init__(self, supported_language: str = LANGUAGE) -> None:
        self.rule: EntityRule = RULES_BY_NAME[self.ENTITY]
        super().__init__(
            supported_entity=self.rule.name,
            name=type(self).__name__,
            supported_language=supported_language,
            patterns=[Pattern(name=self.rule.name.lower(), regex=self.rule.span, score=self.rule.span_score)],
            context=list(self.rule.context),
            global_regex_flags=0,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """True for a passing check digit, None (keep score, let context decide) for weak, False to drop."""
        if not self.rule.validate(pattern_text):
            return False
        return True if self.rule.strong else None


class ResidentIdRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_RESIDENT_ID"


class UsccRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_USCC"


class ChinesePhoneRecognizer(ChineseRuleRecognizer):
    ENTITY = "PHONE_NUMBER"


class BankCardRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_BANK_CARD"


class LicensePlateRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_LICENSE_PLATE"


class PassportRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_PASSPORT"


class HmtPermitRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_HMT_PERMIT"


class OfflineEmailRecognizer(ChineseRuleRecognizer):
    """E-mail without tldextract (Presidio's built-in one downloads the public suffix list)."""

    ENTITY = "EMAIL_ADDRESS"


class IpAddressRecognizer(ChineseRuleRecognizer):
    ENTITY = "IP_ADDRESS"


class AddressRecognizer(ChineseRuleRecognizer):
    ENTITY = "LOCATION"


class ChineseNameRecognizer(LocalRecognizer):
    """PERSON from jieba tokens: names come out as single tokens, or surname + given-name tokens.

    Base score is low: a surname-initial two-character token is often an ordinary word, so a
    context word (姓名, 联系人, 先生 …) or an honorific right after the name is what lifts it.
    Words in jieba's dictionary with a non-name part of speech (周一, 平安) are not names.
    Minority names are token, middle dot, token (阿卜杜拉·买买提), which the token boundaries
    keep from swallowing the following verb.
    """

    HONORIFICS = frozenset({"先生", "女士", "同志", "老师", "师傅", "小姐", "夫妇", "老人", "之子", "之女"})
    HONORIFIC_SCORE = 0.6
    DOTTED_SCORE = 0.5
    DOTS = frozenset("·•・")

    def __init__(self, supported_language: str = LANGUAGE) -> None:
        self.rule: EntityRule = RULES_BY_NAME["PERSON"]
        self._dotted = PatternRecognizer(
            supported_entity="PERSON",
            patterns=[Pattern(name="dotted_name", regex=self.rule.span, score=self.rule.span_score)],
            supported_language=supported_language,
            global_regex_flags=0,
        )
        super().__init__(
            supported_entities=["PERSON"],
            name=type(self).__name__,
            supported_language=supported_language,
            context=list(self.rule.context),
        )

    def load(self) -> None:  # nothing to load: the surname list is read lazily
        pass

    def validate_result(self, pattern_text: str) -> bool:
        return self.rule.validate(pattern_text)

    @staticmethod
    def _common_word(word: str) -> bool:
        return not dictionary_tag(word).startswith("nr") and dictionary_tag(word) != ""

    def _candidates(self, words: list[str]) -> list[tuple[int, int, float]]:
        """(first token, last token exclusive, score) for name-shaped token runs."""
        found: list[tuple[int, int, float]] = []
        single, compound = surnames()
        i = 0
        while i < len(words):
            word = words[i]
            # 阿卜杜拉 · 买买提 [· …]
            j = i
            while j + 2 < len(words) + 0 and words[j + 1] in self.DOTS and HAN_RUN.fullmatch(words[j + 2] or ""):
                j += 2
            if j > i and HAN_RUN.fullmatch(word) and self.validate_result("".join(words[i : j + 1])):
                found.append((i, j + 1, self.DOTTED_SCORE))
                i = j + 1
                continue
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if self.validate_result(word) and not self._common_word(word):
                found.append((i, i + 1, self._score(words, i + 1)))
            elif (
                (word in single or word in compound)
                and dictionary_tag(word)[:1] not in FUNCTION_TAGS
                and 1 <= len(nxt) <= 2
                and dictionary_tag(nxt)[:1] in ("", "n")
                and self.validate_result(word + nxt)
            ):
                found.append((i, i + 2, self._score(words, i + 2)))
                i += 1
            i += 1
        return found

    def _score(self, words: list[str], after: int) -> float:
        following = words[after] if after < len(words) else ""
        return self.HONORIFIC_SCORE if following in self.HONORIFICS else self.rule.span_score

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }

        def result(start: int, end: int, score: float, how: str) -> RecognizerResult:
            explanation = AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation=how)
            return RecognizerResult(
                "PERSON", start, end, score, analysis_explanation=explanation, recognition_metadata=dict(meta)
            )

        if nlp_artifacts is None or not nlp_artifacts.tokens:
            # No tokens (e.g. NoOpNlpEngine): only the unambiguous middle-dot form.
            return [
                result(f.start, f.end, self.DOTTED_SCORE, "middle-dot name")
                for f in self._dotted.analyze(text, entities)
                if self.validate_result(text[f.start : f.end])
            ]
        tokens = list(nlp_artifacts.tokens)
        words = [t.text for t in tokens]
        starts = nlp_artifacts.tokens_indices
        results = [
            result(starts[a], starts[b - 1] + len(words[b - 1]), score, "jieba tokens shaped like a name")
            for a, b, score in self._candidates(words)
        ]
        return EntityRecognizer.remove_duplicates(results)


HAN_RUN = re.compile(f"[{HAN}]+")
# jieba tags of function words that are also surnames (于 p, 和 c, 都 d …): never a name start.
FUNCTION_TAGS = frozenset("pcudr")


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg.dt.word_tag_tab


def dictionary_tag(word: str) -> str:
    """jieba's dictionary part-of-speech tag for ``word`` ('' when not a dictionary word)."""
    return _word_tags().get(word, "")




class TradeSecretRecognizer(PatternRecognizer):
    """Amounts next to a trade-secret keyword in prose (投标报价为1,234.5万元, 毛利率18%).

    Trade secrets are decided per column (see profile.py); in free text the lexicon's numeric
    categories (financial, pricing) mark the figure that follows the keyword, so in-text
    replacement can remove the figure and keep the sentence.
    """

    AMOUNT = r"[0-9][0-9,]*(?:\.[0-9]+)?\s*(?:亿元|万元|千元|元|美元|%|％)?"
    SCORE = 0.5

    def __init__(self, supported_language: str = LANGUAGE, lexicon: TradeSecretLexicon | None = None) -> None:
        lexicon = lexicon if lexicon is not None else load_lexicon()
        words = sorted(
            {w for c in lexicon.categories if c.numeric for w in c.keywords if not w.isascii()}, key=len, reverse=True
        )
        self.words = tuple(words)
        regex = (
            "(?<=(?:" + "|".join(re.escape(w) for w in words) + r")[^。；;\n0-9]{0,8})" + self.AMOUNT
            if words
            else r"(?!x)x"
        )
        super().__init__(
            supported_entity="TRADE_SECRET",
            name=type(self).__name__,
            supported_language=supported_language,
            patterns=[Pattern(name="lexicon_amount", regex=regex, score=self.SCORE)],
            global_regex_flags=0,
        )


ALL_RECOGNIZERS: tuple[type[EntityRecognizer], ...] = (
    ResidentIdRecognizer,
    UsccRecognizer,
    ChinesePhoneRecognizer,
    BankCardRecognizer,
    LicensePlateRecognizer,
    PassportRecognizer,
    HmtPermitRecognizer,
    OfflineEmailRecognizer,
    IpAddressRecognizer,
    AddressRecognizer,
    ChineseNameRecognizer,
    TradeSecretRecognizer,
)
