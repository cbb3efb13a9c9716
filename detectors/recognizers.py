"""Presidio recognizers for Chinese identifiers, one class per entity, built on ``rules.py``.

Each pattern recognizer finds its rule's ``span`` pattern and calls the rule's validator from
``validate_result``. A passing check-digit entity (resident ID, USCC) scores 1.0; a weak
entity that passes its check keeps the pattern score so that Chinese context words (电话,
身份证, 住址 …, via the blank jieba pipeline in ``nlp.py``) decide; a failing span is dropped.
PERSON has no usable regex in unsegmented Chinese: it reads jieba's part-of-speech tokens
and cue words instead (``persons.py``).
"""

from __future__ import annotations

import re

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
from detectors.persons import DOTTED_SCORE, NameSpan, person_spans
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
        return self.validate_results([pattern_text])[0]

    def validate_results(self, pattern_texts: list[str]) -> list[bool | None]:
        """:meth:`validate_result` of many matches at once (the rule's check runs once over the batch)."""
        strong = True if self.rule.strong else None
        return [strong if passed else False for passed in self.rule.validate_many(pattern_texts)]


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


class HmtResidencePermitRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_HMT_RESIDENCE_PERMIT"


class ForeignerPermanentIdRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_FOREIGNER_PR_ID"


class HkMacauTravelPermitRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_HK_MACAU_TRAVEL_PERMIT"


class TaiwanTravelPermitRecognizer(ChineseRuleRecognizer):
    ENTITY = "CN_TW_TRAVEL_PERMIT"


class ImeiRecognizer(ChineseRuleRecognizer):
    ENTITY = "IMEI"


class VinRecognizer(ChineseRuleRecognizer):
    ENTITY = "VEHICLE_VIN"


class CoordinateRecognizer(ChineseRuleRecognizer):
    ENTITY = "GEO_COORDINATE"


class OfflineEmailRecognizer(ChineseRuleRecognizer):
    """E-mail without tldextract (Presidio's built-in one downloads the public suffix list)."""

    ENTITY = "EMAIL_ADDRESS"


class IpAddressRecognizer(ChineseRuleRecognizer):
    ENTITY = "IP_ADDRESS"


class AddressRecognizer(ChineseRuleRecognizer):
    ENTITY = "LOCATION"


class ChineseNameRecognizer(LocalRecognizer):
    """PERSON in Chinese text, from jieba's part-of-speech tagger and cue words (``persons.py``).

    A name-shaped word alone scores 0.3 (below the threshold): many words start with a surname
    character. A word outside jieba's dictionary that its HMM tags as a person name scores 0.5;
    a cue word before the name (委托, 代办人, 经办人, 户主, 监护人, 由, 经 …) adds 0.35, one after it
    (同意, 负责, 代为, 于 …) 0.25, an honorific (先生, 女士) makes it 0.6. Place and organisation
    words (``not_names.txt``, or followed by 区/路/公司 …) are never names. The recognizer weighs
    context itself, so its results are marked as already context-enhanced and Presidio's
    enhancer leaves them alone: ``scan_text`` and the column profiler (which calls
    ``persons.person_spans`` directly) then agree span for span.

    Without NLP artifacts (e.g. ``NoOpNlpEngine``, i.e. no Chinese pipeline) only the
    unambiguous middle-dot form (阿卜杜拉·买买提) is reported.
    """

    DOTTED_SCORE = DOTTED_SCORE

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

    def load(self) -> None:  # nothing to load: the surname list and jieba are read lazily
        pass

    def validate_result(self, pattern_text: str) -> bool:
        return self.rule.validate(pattern_text)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None or not nlp_artifacts.tokens:
            return [
                self._result(f.start, f.end, self.DOTTED_SCORE, "middle-dot name")
                for f in self._dotted.analyze(text, entities)
                if self.validate_result(text[f.start : f.end])
            ]
        return self.results(person_spans(text))

    def results(self, spans: list[NameSpan]) -> list[RecognizerResult]:
        """Presidio results for name spans (``persons.person_spans``), marked as already context-weighed;
        the batch scanner (``scan.py``) turns the spans it remembers into results through here."""
        return [self._result(s.start, s.end, s.score, s.how) for s in spans]

    def _result(self, start: int, end: int, score: float, how: str) -> RecognizerResult:
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,  # context weighed in persons.py
        }
        explanation = AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation=how)
        return RecognizerResult("PERSON", start, end, score, analysis_explanation=explanation,
                                recognition_metadata=meta)


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
    HmtResidencePermitRecognizer,
    ForeignerPermanentIdRecognizer,
    HkMacauTravelPermitRecognizer,
    TaiwanTravelPermitRecognizer,
    ImeiRecognizer,
    VinRecognizer,
    CoordinateRecognizer,
    OfflineEmailRecognizer,
    IpAddressRecognizer,
    AddressRecognizer,
    ChineseNameRecognizer,
    TradeSecretRecognizer,
)
