"""The batch scanner gives the spans Presidio's AnalyzerEngine gives text by text, with the same recognizers.

``scan_texts`` (batch: prefiltered patterns, names once per digit-canonical text, NLP only where context
can change a score) must equal ``scan_text_presidio`` (``AnalyzerEngine.analyze`` per text, the
reference) on the labelled sets of ``benchmarks/detect_data``, the benchmark's prose sentences and the
remarks the pipeline's samples carry, plus hand-made edge cases; scores included.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from detectors import scan
from detectors.persons import digit_canonical, person_spans
from detectors.scan import scan_text_presidio, scan_texts, superset_re2

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

EDGE_CASES = [
    "联系人张伟，电话13812345678，身份证号11010519491231002X，住址山东省济南市历下区经十路88号3号楼2单元501室。",
    "车牌鲁A·D12345，邮箱zhang.wei@example.com，IP 192.168.1.20，坐标36.6512,117.1201。",
    "电话１３８１２３４５６７８，（０５３１）８６１２３４５６。",  # full width, folded before matching
    "投标报价为1,234.5万元，毛利率18%。",
    "在4S店和1号店之间，委托徐雪梅代为办理，卡号6222021234567890123。",
    "阿卜杜拉·买买提于2023年迁入；李娜和王芳签字。",
    "护照E12345678，港澳通行证C12345678，台胞证12345678。",
    "   ",
    "",
    "备注\n第二行 13812345678\r\n第三行",
    "经张伟同意，由李娜负责。" * 3,
]


def _corpus() -> list[str]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_detect_accuracy as accuracy
        from detect_data import agency, labelled
    finally:
        sys.path.remove(str(BENCHMARKS))
    texts = [s.text for s in accuracy.prose_sentences(1, per_template=2)]
    frame, _, _ = accuracy.remarks_frame(2, n=200)
    texts += frame.stack().astype(str).tolist()
    texts += agency.remarks(np.random.default_rng(3), 300, leak=0.5).tolist()
    rng = np.random.default_rng(4)
    for make in (labelled.persons, labelled.enterprises, labelled.vehicles, labelled.travellers,
                 labelled.decoys, labelled.dirty):
        table = make(rng, 40)
        for column in table.frame.columns:
            texts += table.frame[column].dropna().astype(str).tolist()
    from pipelines.samples import social_insurance_rows

    texts += [str(r["备注"]) for r in social_insurance_rows(600, seed=5)]
    return list(dict.fromkeys(texts + EDGE_CASES))


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _corpus()


def test_batch_equals_the_analyzer_text_by_text(corpus):
    batch = scan_texts(corpus)
    reference = [scan_text_presidio(t) for t in corpus]
    differing = [i for i, (a, b) in enumerate(zip(batch, reference, strict=True)) if a != b]
    assert not differing, f"{len(differing)} of {len(corpus)} texts differ, e.g. #{differing[:3]}"


@pytest.mark.parametrize("entities", [["PERSON"], ["PHONE_NUMBER", "CN_BANK_CARD"], ["CN_PASSPORT", "LOCATION"]])
def test_batch_equals_the_analyzer_for_chosen_entities(corpus, entities):
    sample = corpus[::3]
    assert scan_texts(sample, entities=entities) == [scan_text_presidio(t, entities=entities) for t in sample]


def test_lower_threshold_and_long_texts(corpus):
    long = "。".join(corpus[:400])  # longer than one window: scanned in windows, offsets shifted
    monkey = pytest.MonkeyPatch()
    monkey.setattr(scan, "MAX_TEXT", 2_000)
    try:
        texts = [long] + corpus[:50]
        assert scan_texts(texts, threshold=0.3) == [scan_text_presidio(t, threshold=0.3) for t in texts]
    finally:
        monkey.undo()


def test_repeated_texts_are_scanned_once(monkeypatch):
    calls = []
    original = scan._scan_batch
    monkeypatch.setattr(scan, "_scan_batch", lambda texts, *a: calls.append(list(texts)) or original(texts, *a))
    text = "委托周晓燕代为办理，电话13912345678（批次测试）"
    assert scan_texts([text, text, None, text])[1] == scan_texts([text])[0]  # type: ignore[list-item]
    assert calls == [[text]]


def test_prefilters_let_through_every_text_a_pattern_matches(corpus):
    registry = scan.get_analyzer().registry
    array = pa.array(corpus, type=pa.large_string())
    translated = 0
    for recognizer in registry.recognizers:
        for pattern in getattr(recognizer, "patterns", None) or []:
            prefilter = superset_re2(pattern.regex)
            if prefilter is None:
                continue
            translated += 1
            compiled = regex.compile(pattern.regex)
            passed = pc.match_substring_regex(array, prefilter).to_numpy(zero_copy_only=False)
            for text, ok in zip(corpus, passed, strict=True):
                assert ok or not compiled.search(text), recognizer.name
    assert translated >= 15  # nearly every pattern is prefiltered


def test_superset_translation():
    assert superset_re2(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9])") == r"1[3-9]\p{Nd}{9}"
    assert superset_re2(r"a(?=b)?") is None  # a quantified look-around cannot simply go
    assert superset_re2(r"(\d)\1") is None  # back-references have no RE2 form
    assert superset_re2(r"[^\s]x") is None  # a negated class with a shorthand is not widened
    # A look-behind opening the pattern must precede the match: kept as a group. Anywhere else it may
    # overlap what comes before it, so it goes.
    assert superset_re2(r"(?<=(?:利润|报价)[^。]{0,8})\d+") == r"(?:(?:利润|报价)[^。]{0,8})\p{Nd}+"
    assert superset_re2(r"a(?<=b)c") == "ac"
    assert superset_re2(r"(?<!x)(?<=y)z") == "(?:y)z"
    # Scoped flags RE2 reads alike stay (the travel-permit patterns); global or verbose flags do not translate.
    assert superset_re2(r"(?<![0-9A-Za-z])(?i:C\d{8})(?![0-9A-Za-z])") == r"(?i:C\p{Nd}{8})"
    assert superset_re2(r"(?i)c\d") is None
    assert superset_re2(r"(?x:c \d)") is None


FLAGGED_TEXTS = st.lists(st.text(alphabet="cCLlTtſKkK\u212a0129x\n ", max_size=14), max_size=20)
FLAGGED_PATTERNS = [r"(?i:c\d{2})", r"(?i:[LT]\d)", r"(?s:a.b)|(?i:k\d)", r"x(?is:.k)"]


@given(st.sampled_from(FLAGGED_PATTERNS), FLAGGED_TEXTS)
def test_a_scoped_flag_group_still_lets_every_matching_text_through(pattern, texts):
    """Case folding (the long s, the Kelvin sign) and newlines under (?i:…) and (?s:…) as Python's regex reads them."""
    prefilter = superset_re2(pattern)
    assert prefilter is not None
    passed = pc.match_substring_regex(pa.array(texts, type=pa.large_string()), prefilter).to_pylist()
    for text, ok in zip(texts, passed, strict=True):
        assert ok or not regex.search(pattern, text)


SHORT_TEXTS = st.lists(st.text(alphabet="利润元。0129abcxyz ", max_size=14), max_size=20)
LOOKBEHIND_PATTERNS = [r"(?<=利润[^。0-9]{0,3})[0-9]+元?", r"(?<=a|bc)\d", r"^(?<=x)y|z", r"(?<=[ab]{2})(?!c)b"]
# Case folding (the long s, the Kelvin sign) and newlines under (?i:…) and (?s:…), as Python's regex reads them.
FLAGGED_TEXTS = st.lists(st.text(alphabet="cCLlTtſKkK\u212a0129x\n ", max_size=14), max_size=20)
FLAGGED_PATTERNS = [r"(?i:c\d{2})", r"(?i:[LT]\d)", r"(?s:a.b)|(?i:k\d)", r"x(?is:.k)"]


@given(st.one_of(st.tuples(st.sampled_from(LOOKBEHIND_PATTERNS), SHORT_TEXTS),
                 st.tuples(st.sampled_from(FLAGGED_PATTERNS), FLAGGED_TEXTS)))
def test_a_kept_look_behind_or_flag_group_still_lets_every_matching_text_through(case):
    pattern, texts = case
    prefilter = superset_re2(pattern)
    assert prefilter is not None
    passed = pc.match_substring_regex(pa.array(texts, type=pa.large_string()), prefilter).to_pylist()
    for text, ok in zip(texts, passed, strict=True):
        assert ok or not regex.search(pattern, text)


def test_names_do_not_depend_on_digits(corpus):
    for text in corpus:
        assert person_spans(digit_canonical(text)) == person_spans(text)
    assert digit_canonical("在4S店，电话13812345678") == "在4S店，电话00000000000"


def test_the_loaded_models_are_left_out_of_full_collections():
    """A full collection walking the analyzer's and jieba's objects cost a tenth of a million-row release."""
    import gc

    scan.get_analyzer()
    person_spans("委托周晓燕代为办理")
    assert gc.get_freeze_count() > 100_000
