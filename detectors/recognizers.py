"""Presidio recognizers for Chinese identifiers, one class per entity, built on ``rules.py``.

Each pattern recognizer finds its rule's ``span`` pattern and calls the rule's validator from
``validate_result``. A passing check-digit entity (resident ID, USCC) scores 1.0; a weak
entity that passes its check keeps the pattern score so that Chinese context words (电话,
身份证, 住址 …, via the blank jieba pipeline in ``nlp.py``) decide; a failing span is dropped.
PERSON has no usable regex in unsegmented Chinese, so it reads the jieba tokens instead.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.names import is_person_name
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
    """PERSON from jieba tokens (names come out as single tokens) plus ``·`` minority names.

    Base score is low: a surname-initial two-character token is often an ordinary word, so a
    context word (姓名, 联系人, 先生 …) or an honorific right after the name is what lifts it.
    """

    HONORIFICS = frozenset({"先生", "女士", "同志", "老师", "师傅", "小姐", "夫妇", "老人"})
    HONORIFIC_SCORE = 0.6

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

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        for found in self._dotted.analyze(text, entities):
            if self.validate_result(text[found.start : found.end]):
                results.append(RecognizerResult("PERSON", found.start, found.end, self.rule.span_score,
                                                recognition_metadata=dict(meta)))
        if nlp_artifacts is None or not nlp_artifacts.tokens:
            return results
        tokens = list(nlp_artifacts.tokens)
        for i, token in enumerate(tokens):
            word = token.text
            if not self.validate_result(word):
                continue
            start = nlp_artifacts.tokens_indices[i]
            following = tokens[i + 1].text if i + 1 < len(tokens) else ""
            score = self.HONORIFIC_SCORE if following in self.HONORIFICS else self.rule.span_score
            results.append(
                RecognizerResult("PERSON", start, start + len(word), score, recognition_metadata=dict(meta))
            )
        return EntityRecognizer.remove_duplicates(results)


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
)
