"""Span-level detection in free text: ``scan_text`` over Presidio's ``AnalyzerEngine``.

Used by the profiler for prose cells and by the anonymizers for in-text replacement, so both
see the same spans. The engine is slow to build (jieba loads its dictionary), so it is built
on first use, once per process, never at import time and never passed around (it must not
become a Prefect task argument). Errors never carry the text: Presidio's own messages can
quote the matched word, so they are replaced by a fixed sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from detectors.nlp import LANGUAGE, BlankChineseNlpEngine
from detectors.registry import build_registry
from detectors.text import fold

SCORE_THRESHOLD = 0.5
MAX_TEXT = 100_000  # longer cells are scanned in windows of this size
RECENT_TEXTS = 65_536  # distinct texts whose spans scan_texts remembers


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    score: float


class ScanError(RuntimeError):
    """Span scanning failed; the message never contains the text."""


_ENGINE: AnalyzerEngine | None = None
_LOCK = threading.Lock()


def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyzer (blank jieba pipeline + Kaifang registry), built on first call."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = AnalyzerEngine(
                    registry=build_registry(LANGUAGE),
                    nlp_engine=BlankChineseNlpEngine(),
                    supported_languages=[LANGUAGE],
                    default_score_threshold=SCORE_THRESHOLD,
                    context_aware_enhancer=LemmaContextAwareEnhancer(
                        context_similarity_factor=0.35,
                        min_score_with_context_similarity=0.5,
                        context_prefix_count=6,
                        context_suffix_count=2,
                    ),
                )
    return _ENGINE


def _resolve(spans: list[Span]) -> list[Span]:
    """Drop spans overlapping a higher-scoring (then longer) one; return them in text order."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))


def scan_text(text: str, *, entities: list[str] | None = None, threshold: float = SCORE_THRESHOLD) -> list[Span]:
    """Identifier spans in ``text`` (offsets into ``text`` itself), non-overlapping, in order.

    Full-width forms are folded before matching; folding keeps the length, so offsets apply to
    the original string. Non-strings and empty strings give no spans.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    analyzer = get_analyzer()
    folded = fold(text)
    spans: list[Span] = []
    for offset in range(0, len(folded), MAX_TEXT):
        window = folded[offset : offset + MAX_TEXT]
        try:
            results = analyzer.analyze(window, language=LANGUAGE, entities=entities, score_threshold=threshold)
        except Exception:
            raise ScanError("span scan failed on a cell (text withheld)") from None
        spans.extend(Span(r.entity_type, r.start + offset, r.end + offset, round(float(r.score), 4)) for r in results)
    return _resolve(spans)


@lru_cache(maxsize=RECENT_TEXTS)
def _scan_all_entities(text: str) -> tuple[Span, ...]:
    return tuple(scan_text(text))


def scan_texts(texts: Sequence[str], *, entities: list[str] | None = None,
               threshold: float = SCORE_THRESHOLD) -> list[list[Span]]:
    """:func:`scan_text` of each text, a batch at once: each distinct text is analyzed only once.

    With the default entities and threshold, the spans of the most recent distinct texts are remembered
    across calls, so a remark repeated in every chunk of a table is analyzed once per process (spans
    are immutable and hold no text).
    """
    found: dict[str, list[Span]] = {}
    default = entities is None and threshold == SCORE_THRESHOLD
    for text in texts:
        if text not in found:
            found[text] = (list(_scan_all_entities(text)) if default and isinstance(text, str)
                           else scan_text(text, entities=entities, threshold=threshold))
    return [found[text] for text in texts]
