"""Span-level detection in free text: a batch scanner over the recognizers of Presidio's ``AnalyzerEngine``.

Used by the profiler for prose cells, by the anonymizers for in-text replacement and by the guard's
rescan, so all see the same spans. The recognizers, their patterns, validators, context words and
the context enhancer are Presidio's (``registry.py``, ``get_analyzer``); what differs from calling
``AnalyzerEngine.analyze`` text by text (:func:`scan_text_presidio`, kept as the reference the
batch must equal) is how the work is done for a batch of distinct texts:

* each pattern is compiled once and searched without Presidio's per-call regex timeout, only in the
  texts that a vectorized RE2 test (the pattern with its look-arounds removed, so it matches at
  least wherever the pattern does) selects; matches are validated per recognizer in one call;
* names (``persons.person_spans``) are found once per text *up to its digits*
  (``persons.digit_canonical``), only in texts holding a surname character (``persons.person_hint``),
  over jieba tokens remembered per block;
* the NLP pipeline (jieba through spaCy) runs only for texts with a match whose score context
  words can still change, and Presidio's own enhancer and duplicate removal then run on them.

The engine is slow to build (jieba loads its dictionary), so it is built on first use, once per
process, never at import time and never passed around (it must not become a Prefect task argument).
Errors never carry the text: Presidio's own messages can quote the matched word, so they are
replaced by a fixed sentence.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from detectors import heap
from detectors.nlp import LANGUAGE, BlankChineseNlpEngine
from detectors.persons import canonical_person_spans, digit_canonical, person_hint
from detectors.recognizers import ChineseNameRecognizer
from detectors.registry import build_registry
from detectors.text import fold, fold_many

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
                heap.settle()
    return _ENGINE


def _resolve(spans: list[Span]) -> list[Span]:
    """Drop spans overlapping a higher-scoring (then longer) one; return them in text order."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))


# --- the batch scanner --------------------------------------------------------------------------------------

# Every character Python's or ``regex``'s \s may match, as the inside of an RE2 class.
_SPACES = (r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{180e}\x{2000}-\x{200b}"
           r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}")
_ANY = r"\x{0}-\x{10ffff}"
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_QUANTIFIERS = "?*+{"
# A group with scoped flags whose meaning RE2 shares: case-insensitive (simple case folding in both) and
# dot-matches-newline; verbose, ASCII or locale flags have no RE2 form.
_SCOPED_FLAGS = re.compile(r"\(\?[is]+:")


def _class_end(pattern: str, i: int) -> tuple[int, str] | None:
    """The end of the character class opening at ``i`` and its RE2 form (a superset), or None."""
    n, j, parts = len(pattern), i + 1, ["["]
    negated = pattern.startswith("^", j)
    if negated:
        parts.append("^")
        j += 1
    if pattern.startswith("]", j):
        parts.append(r"\]")
        j += 1
    while j < n and pattern[j] != "]":
        char = pattern[j]
        if char == "\\" and j + 1 < n:
            escape = pattern[j + 1]
            if escape == "u" and j + 5 < n:
                parts.append(r"\x{" + pattern[j + 2 : j + 6] + "}")
                j += 6
                continue
            if escape in "dsDSwWpPbBN" or escape.isdigit():
                if negated:  # the complement of a superset is not one
                    return None
                parts.append(r"\p{Nd}" if escape == "d" else _SPACES if escape == "s" else _ANY)
            else:
                parts.append(pattern[j : j + 2])
            j += 2
            continue
        if char == "[":
            if pattern.startswith(("[:", "[=", "[."), j):
                return None
            parts.append(r"\[")
        else:
            parts.append(char)
        j += 1
    return (j + 1, "".join(parts) + "]") if j < n else None


def _group_end(pattern: str, i: int) -> int | None:
    depth, j = 0, i
    while j < len(pattern):
        char = pattern[j]
        if char == "\\":
            j += 2
            continue
        if char == "[":
            found = _class_end(pattern, j)
            if found is None:
                return None
            j = found[0]
            continue
        depth += char == "("
        depth -= char == ")"
        j += 1
        if depth == 0:
            return j
    return None


def superset_re2(pattern: str) -> str | None:
    """An RE2 pattern that finds a match in every text where ``pattern`` (Python ``regex``, no flags) does.

    Look-arounds and anchors are dropped (a zero-width test removed can only let more texts through),
    except a look-behind that opens the pattern, which becomes the group it tests (it must precede the match),
    ``\\d`` becomes ``\\p{Nd}`` and ``\\s`` every Unicode space, as Python reads them on text. pyarrow runs
    the result over a whole batch in C, so a pattern is searched only in the texts that may hold it.
    None when the pattern uses what this translation does not know (then every text is searched).
    """
    out: list[str] = []
    i, n = 0, len(pattern)

    def dropped(at: int) -> bool:  # a quantifier after a dropped zero-width test would change meaning
        return at < n and pattern[at] in _QUANTIFIERS

    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                return None
            escape = pattern[i + 1]
            if escape == "d":
                out.append(r"\p{Nd}")
            elif escape == "s":
                out.append(f"[{_SPACES}]")
            elif escape in "DSWw":
                out.append("(?s:.)")
            elif escape in "bBAZ":
                if dropped(i + 2):
                    return None
            elif escape == "u" and i + 5 < n:
                out.append(r"\x{" + pattern[i + 2 : i + 6] + "}")
                i += 6
                continue
            elif escape.isdigit() or escape.isalpha() and escape not in "tnrfvx":
                return None  # back-references, properties, \G, \K …
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            found = _class_end(pattern, i)
            if found is None:
                return None
            i, text = found
            out.append(text)
            continue
        if char == "(" and pattern.startswith(_LOOKAROUNDS, i):
            end = _group_end(pattern, i)
            if end is None or dropped(end):
                return None
            # A text holding a match of (?<=X)Y at the very start of the pattern also holds XY: the
            # test is kept as a plain group, so a number after a lexicon word is not searched after every digit.
            behind = superset_re2(pattern[i + 4 : end - 1]) if pattern.startswith("(?<=", i) and not out else None
            if behind is not None:
                out.append(f"(?:{behind})")
            i = end
            continue
        scoped = _SCOPED_FLAGS.match(pattern, i)
        if scoped:  # (?i:…) and (?s:…) read the same in RE2: kept as they are
            out.append(scoped.group())
            i = scoped.end()
            continue
        if char == "(" and pattern.startswith("(?", i) and not pattern.startswith(("(?:", "(?P<"), i):
            return None  # global inline flags, atomic groups, conditionals
        if char in "^$":
            if dropped(i + 1):
                return None
            i += 1
            continue
        if char in "*+?}" and pattern.startswith("+", i + 1):
            return None  # possessive
        out.append(char)
        i += 1
    translated = "".join(out)
    try:
        pc.match_substring_regex(pa.array(["x"]), translated)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return translated


@lru_cache(maxsize=256)
def _prefilter(pattern: str) -> str | None:
    return superset_re2(pattern)


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: int) -> regex.Pattern[str]:
    return regex.compile(pattern, flags=flags)


def _selected(array: pa.Array, pattern: str | None) -> np.ndarray:
    """Indices of the texts a prefilter lets through (all when there is none)."""
    if pattern is None:
        return np.arange(len(array))
    return np.flatnonzero(pc.match_substring_regex(array, pattern).to_numpy(zero_copy_only=False))


class _Batch:
    """The recognizers of one request run over a batch of windows (folded texts of at most MAX_TEXT)."""

    def __init__(self, analyzer: AnalyzerEngine, windows: list[str], entities: list[str] | None) -> None:
        self.analyzer = analyzer
        self.windows = windows
        self.recognizers = analyzer.registry.get_recognizers(language=LANGUAGE, entities=entities,
                                                             all_fields=not entities)
        self.entities = entities or analyzer.get_supported_entities(language=LANGUAGE)
        self.results: list[list[RecognizerResult]] = [[] for _ in windows]
        self.artifacts: dict[int, object] = {}
        self.canonical: dict[int, str] = {}
        self.array = pa.array(windows, type=pa.large_string())

    def nlp(self, w: int):
        if w not in self.artifacts:
            self.artifacts[w] = self.analyzer.nlp_engine.process_text(self.windows[w], LANGUAGE)
        return self.artifacts[w]

    def digit_canonical(self, w: int) -> str:
        if w not in self.canonical:
            self.canonical[w] = digit_canonical(self.windows[w])
        return self.canonical[w]

    @cached_property
    def by_id(self) -> dict[str, EntityRecognizer]:
        return {r.id: r for r in self.recognizers}

    @cached_property
    def stock_context(self) -> bool:
        """No recognizer of the batch enhances its own scores (the lemma enhancer's loop applies as is)."""
        return all(type(r).enhance_using_context is EntityRecognizer.enhance_using_context for r in self.recognizers)

    @cached_property
    def own_context_step(self) -> bool:
        """Whether the context step is run here (:meth:`_with_context`), which reads no explanation: the
        results then carry none (Presidio's own step, or a recognizer of another kind, writes into it)."""
        return type(self.analyzer.context_aware_enhancer) is LemmaContextAwareEnhancer and self.stock_context

    @cached_property
    def digits_neutral(self) -> bool:
        """:func:`_digits_neutral` of the batch's recognizers, asked once per batch, not once per window."""
        return _digits_neutral(self.recognizers)

    def run(self, threshold: float) -> list[list[RecognizerResult]]:
        for recognizer in self.recognizers:
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            if isinstance(recognizer, ChineseNameRecognizer):
                self._names(recognizer)
            elif isinstance(recognizer, PatternRecognizer) and type(recognizer).analyze is PatternRecognizer.analyze:
                self._patterns(recognizer)
            else:  # any other kind of recognizer: text by text, as the analyzer runs it
                for w in range(len(self.windows)):
                    found = recognizer.analyze(text=self.windows[w], entities=self.entities, nlp_artifacts=self.nlp(w))
                    for result in found or []:
                        result.recognition_metadata = result.recognition_metadata or {}
                        result.recognition_metadata.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, recognizer.name)
                        result.recognition_metadata.setdefault(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY,
                                                               recognizer.id)
                    self.results[w].extend(found or [])
        return [self._finish(w, threshold) for w in range(len(self.windows))]

    def _names(self, recognizer: ChineseNameRecognizer) -> None:
        for w in _selected(self.array, person_hint()):
            self.results[w].extend(recognizer.results(list(canonical_person_spans(self.digit_canonical(w)))))

    def _patterns(self, recognizer: PatternRecognizer) -> None:
        """What ``PatternRecognizer.analyze`` gives for each window, all windows at once."""
        flags = recognizer.global_regex_flags
        found: list[tuple[int, int, int, object]] = []
        for pattern in recognizer.patterns:
            compiled = _regex(pattern.regex, flags)
            windows = self.windows
            for w in _selected(self.array, _prefilter(pattern.regex) if flags == 0 else None):
                for match in compiled.finditer(windows[w]):
                    start, end = match.span()
                    if start < end:
                        found.append((int(w), start, end, pattern))
        if not found:
            return
        texts = [self.windows[w][start:end] for w, start, end, _ in found]
        batch = getattr(recognizer, "validate_results", None)
        validations = batch(texts) if batch is not None else [recognizer.validate_result(t) for t in texts]
        by_window: dict[int, list[RecognizerResult]] = {}
        for (w, start, end, pattern), text, valid in zip(found, texts, validations, strict=True):
            score = pattern.score
            if valid is not None:
                score = EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE
            if recognizer.invalidate_result(text):
                score = EntityRecognizer.MIN_SCORE
            if score <= EntityRecognizer.MIN_SCORE:
                continue
            explanation = None
            if not self.own_context_step:  # Presidio's context step writes into the explanation
                explanation = PatternRecognizer.build_regex_explanation(
                    recognizer.name, pattern.name, pattern.regex, pattern.score, valid, flags)
                explanation.score = score
            by_window.setdefault(w, []).append(RecognizerResult(
                entity_type=recognizer.supported_entities[0], start=start, end=end, score=score,
                analysis_explanation=explanation,
                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
                                      RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id}))
        for w, results in by_window.items():
            self.results[w].extend(EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results)

    def _context_may_change(self, results: list[RecognizerResult]) -> bool:
        """Whether Presidio's context step can change a score: a result below the maximum, not already
        weighed, from a recognizer with context words (or one that enhances by itself)."""
        by_id = self.by_id
        for result in results:
            recognizer = by_id.get(result.recognition_metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None:
                continue
            if type(recognizer).enhance_using_context is not EntityRecognizer.enhance_using_context:
                return True
            if (recognizer.context and result.score < EntityRecognizer.MAX_SCORE
                    and not result.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY)):
                return True
        return False

    def _finish(self, w: int, threshold: float) -> list[RecognizerResult]:
        results = self.results[w]
        if not results:
            return []
        if self._context_may_change(results):
            results = self._with_context(w, results)
        return EntityRecognizer.remove_duplicates([r for r in results if r.score >= threshold])

    def _with_context(self, w: int, results: list[RecognizerResult]) -> list[RecognizerResult]:
        """Presidio's context step (``AnalyzerEngine._enhance_using_context``) on one window's results.

        With the stock lemma enhancer and no recognizer enhancing by itself, its loop is run here on
        Presidio's own pieces (surrounding lemmas, supportive-word test, score update), the lemmas taken
        from the NLP pipeline run once per digit-canonical window (:func:`_context_artifacts`): remarks
        that differ only in a phone number share their words. Anything else goes through the analyzer.
        """
        enhancer = self.analyzer.context_aware_enhancer
        by_id = self.by_id
        if not self.own_context_step:
            return self.analyzer._enhance_using_context(self.windows[w], results, self.nlp(w), self.recognizers)
        if self.digits_neutral:
            canonical = self.digit_canonical(w)

            def supported(start: int, context: list[str]) -> bool:
                return _context_supports(enhancer, canonical, start, tuple(context))
        else:
            artifacts = self.nlp(w)

            def supported(start: int, context: list[str]) -> bool:
                return _supports(enhancer, artifacts, start, context)
        out = []
        for result in results:
            recognizer = by_id.get(result.recognition_metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if (recognizer is None or not recognizer.context
                    or result.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY)):
                out.append(result)
                continue
            if supported(result.start, recognizer.context):
                score = result.score + enhancer.context_similarity_factor
                score = min(max(score, enhancer.min_score_with_context_similarity), EntityRecognizer.MAX_SCORE)
                result = RecognizerResult(result.entity_type, result.start, result.end, score,
                                          analysis_explanation=result.analysis_explanation,
                                          recognition_metadata=result.recognition_metadata)
            out.append(result)
        return out


def _digits_neutral(recognizers: list[EntityRecognizer]) -> bool:
    """Whether the lemmas of a digit-canonical text serve the context step as well as the text's own:
    no context word holds a digit, and the pipeline's stop words treat every ASCII digit alike (all ten
    single digits or none, no longer word with a digit)."""
    return _stop_words_digit_neutral() and not any(
        any("0" <= c <= "9" for c in word) for r in recognizers for word in r.context or ())


@lru_cache(maxsize=1)
def _stop_words_digit_neutral() -> bool:
    stops = get_analyzer().nlp_engine.nlp[LANGUAGE].Defaults.stop_words
    with_digits = {w for w in stops if any("0" <= c <= "9" for c in w)}
    return with_digits in (set(), set("0123456789"))


@lru_cache(maxsize=16_384)
def _context_artifacts(canonical: str):
    return get_analyzer().nlp_engine.process_text(canonical, LANGUAGE)


def _supports(enhancer: LemmaContextAwareEnhancer, artifacts, start: int, context: list[str]) -> bool:
    """Presidio's test: a context word of the recognizer among the lemmas around ``start``."""
    words = enhancer._extract_surrounding_words(nlp_artifacts=artifacts, word="", start=start)
    return bool(enhancer._find_supportive_word_in_context(words, context, enhancer.context_matching_mode))


@lru_cache(maxsize=65_536)
def _context_supports(enhancer: LemmaContextAwareEnhancer, canonical: str, start: int,
                      context: tuple[str, ...]) -> bool:
    """:func:`_supports` on the lemmas of a digit-canonical window, answered once per window, span start
    and context words: 本人联系电话变更为138…，已核实 asks the same question in every chunk."""
    return _supports(enhancer, _context_artifacts(canonical), start, list(context))


_RECENT: OrderedDict[str, tuple[Span, ...]] = OrderedDict()  # oldest first
_RECENT_LOCK = threading.Lock()


def _scan_batch(texts: list[str], entities: list[str] | None, threshold: float) -> list[list[Span]]:
    """Spans of each text (distinct, non-blank strings), all windows of all texts in one batch."""
    windows: list[str] = []
    owners: list[tuple[int, int]] = []
    for t, folded in enumerate(fold_many(texts)):
        for offset in range(0, len(folded), MAX_TEXT):
            windows.append(folded[offset : offset + MAX_TEXT])
            owners.append((t, offset))
    try:
        found = _Batch(get_analyzer(), windows, entities).run(threshold)
    except Exception:
        raise ScanError("span scan failed on a batch of cells (text withheld)") from None
    spans: list[list[Span]] = [[] for _ in texts]
    for (t, offset), results in zip(owners, found, strict=True):
        spans[t].extend(Span(r.entity_type, r.start + offset, r.end + offset, round(float(r.score), 4))
                        for r in results)
    return [_resolve(s) for s in spans]


def scan_texts(texts: Sequence[str], *, entities: list[str] | None = None,
               threshold: float = SCORE_THRESHOLD) -> list[list[Span]]:
    """Identifier spans of each text (as :func:`scan_text`), a batch at once; each distinct text is scanned once.

    With the default entities and threshold, the spans of the most recent distinct texts are remembered
    across calls, so a remark repeated in every chunk of a table is scanned once per process (spans
    are immutable and hold no text).
    """
    default = entities is None and threshold == SCORE_THRESHOLD
    found: dict[str, list[Span]] = {}
    todo: list[str] = []
    for text in texts:
        if text in found or not isinstance(text, str):
            continue
        if not text.strip():
            found[text] = []
        elif default and (remembered := _RECENT.get(text)) is not None:
            found[text] = list(remembered)
        else:
            found[text] = []
            todo.append(text)
    if todo:
        scanned = _scan_batch(todo, entities, threshold)
        with _RECENT_LOCK:
            for text, spans in zip(todo, scanned, strict=True):
                found[text] = spans
                if default:
                    _RECENT[text] = tuple(spans)
            while len(_RECENT) > RECENT_TEXTS:
                _RECENT.popitem(last=False)
    return [found[text] if isinstance(text, str) else [] for text in texts]


def scan_text(text: str, *, entities: list[str] | None = None, threshold: float = SCORE_THRESHOLD) -> list[Span]:
    """Identifier spans in ``text`` (offsets into ``text`` itself), non-overlapping, in order.

    Full-width forms are folded before matching; folding keeps the length, so offsets apply to
    the original string. Non-strings and empty strings give no spans.
    """
    return scan_texts([text], entities=entities, threshold=threshold)[0]


def scan_text_presidio(text: str, *, entities: list[str] | None = None,
                       threshold: float = SCORE_THRESHOLD) -> list[Span]:
    """The reference: ``AnalyzerEngine.analyze`` on each window of one text, as Presidio runs it.

    :func:`scan_texts` must give the same spans (tests/detectors/test_scan_batch.py); it is kept for
    that test and for the benchmark, not used by the pipeline.
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
