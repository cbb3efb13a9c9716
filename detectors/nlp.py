"""A model-free Chinese NLP engine for Presidio: blank spaCy ``zh`` with the jieba segmenter.

Presidio's context enhancer compares the lemmas of the words before a match with each
recognizer's context words. ``NoOpNlpEngine`` yields no tokens, so 电话 or 身份证 next to a
number would have no effect; a trained ``zh_core_web_*`` model would need a download. A blank
pipeline segmented by jieba gives real Chinese words, and lemmas are simply the token text
(Chinese has no inflection to undo).
"""

from __future__ import annotations

import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from spacy.tokens import Doc

from detectors.persons import quiet_jieba

LANGUAGE = "zh"


def blank_chinese():
    """``spacy.blank("zh")`` with jieba; jieba's own start-up chatter is silenced."""
    quiet_jieba()
    return spacy.blank(LANGUAGE, config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})


class BlankChineseNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine over the blank jieba pipeline: tokens and lemmas, no entities, no download."""

    engine_name = "blank_zh_jieba"

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": LANGUAGE, "model_name": "blank:zh+jieba"}])

    def load(self) -> None:
        self.nlp = {LANGUAGE: blank_chinese()}

    def get_supported_entities(self) -> list[str]:
        return []

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.text for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )
