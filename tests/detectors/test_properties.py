"""Property tests: nothing raises on hostile input, and validators agree with independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn as stdnum_luhn
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from detectors import profile_frame, validate
from detectors.checks import luhn, resident_ids, usccs
from detectors.names import is_person_name, person_names
from detectors.rules import RULES
from detectors.scan import scan_text
from tests.detectors.conftest import REGIONS, RIC_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS, ric_check

# Text that looks like agency data: digits, full-width digits, Han, separators, masks, letters.
ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９Xx-— ()（）+*·.@:张王李欧阳路号区市省室单元AEGHM鲁京")
)
agency_text = st.one_of(st.text(ALPHABET, max_size=40), st.text(max_size=40))
cells = st.one_of(
    agency_text,
    st.binary(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
)


@given(agency_text)
def test_validators_never_raise(text):
    for rule in RULES:
        assert validate(rule.name, text) in (True, False)


@given(st.lists(agency_text, max_size=20))
def test_batch_and_scalar_person_checks_agree(values):
    values = [v for v in values if v]
    assert person_names(values).tolist() == [is_person_name(v) for v in values]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cells, cells, cells), min_size=0, max_size=25))
def test_profiler_never_raises_on_mixed_types(rows):
    df = pd.DataFrame(rows, columns=["a", "身份证号", 3]) if rows else pd.DataFrame({"a": []})
    profile = profile_frame(df)
    for column in profile.columns:
        assert 0 <= column.masked <= column.non_empty <= len(df)
        for item in column.evidence:
            assert 0 < item.share <= 1 and 0 <= item.score <= 1 and math.isfinite(item.score)


@settings(max_examples=60, deadline=None)
@given(agency_text)
def test_scan_text_never_raises_and_spans_are_in_range(text):
    for span in scan_text(text):
        assert 0 <= span.start < span.end <= len(text)


def test_huge_cell():
    big = ("备注内容，联系电话13812345678。" * 20_000)[:300_000]
    profile = profile_frame(pd.DataFrame({"备注": [big, "短"]}))
    assert profile.column("备注").non_empty == 2
    assert any(s.type == "PHONE_NUMBER" for s in scan_text(big[:5000]))


@st.composite
def resident_id_bodies(draw):
    region = draw(st.sampled_from(REGIONS))
    date = draw(st.dates(min_value=pd.Timestamp("1920-01-01").date(), max_value=pd.Timestamp("2010-12-31").date()))
    seq = draw(st.integers(0, 999))
    return f"{region}{date:%Y%m%d}{seq:03d}"


@given(resident_id_bodies(), st.sampled_from(list("0123456789X")))
def test_resident_id_check_matches_the_standard(body, last):
    # Computed here from GB 11643's weights, and cross-checked with python-stdnum's formula.
    expected = ric_check(body)
    assert stdnum_ric.calc_check_digit(body + last) == expected
    assert bool(resident_ids([body + last])[0]) == (last == expected)


@given(resident_id_bodies(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(body, position, delta):
    number = body + ric_check(body)
    digit = (int(number[position]) + delta) % 10
    mutated = number[:position] + str(digit) + number[position + 1 :]
    weights_sum = sum(int(d) * w for d, w in zip(mutated[:17], RIC_WEIGHTS, strict=True))
    assert "10X98765432"[weights_sum % 11] != mutated[17]
    assert not resident_ids([mutated])[0]


@given(st.text("0123456789", min_size=2, max_size=40))
def test_luhn_agrees_with_stdnum(digits):
    assert bool(luhn([digits])[0]) == stdnum_luhn.is_valid(digits)


@given(st.text(USCC_ALPHABET, min_size=18, max_size=18))
def test_uscc_never_accepts_what_stdnum_rejects(code):
    if usccs([code])[0]:
        assert stdnum_uscc.is_valid(code)


@given(
    st.sampled_from(["91", "92", "12", "52"]),
    st.sampled_from(REGIONS),
    st.text("0123456789", min_size=8, max_size=8),
)
def test_uscc_agrees_with_stdnum_on_well_formed_codes(prefix, region, org):
    total = sum(int(c) * w for c, w in zip(org, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    org_check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    body = prefix + region + org + org_check
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    check = USCC_ALPHABET[(31 - total % 31) % 31]
    assert stdnum_uscc.is_valid(body + check)
    assert usccs([body + check])[0]
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % 31]
    assert not usccs([body + wrong])[0]


def test_checks_accept_empty_and_odd_batches():
    for check in (resident_ids, usccs, luhn):
        assert check([]).shape == (0,)
        assert check(["", "中文", "x" * 18, "１２３"]).dtype == np.bool_


_ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
_WIDE_OR_ANY = st.one_of(st.sampled_from(list("　‐‑‒–—―！～０９Ａｚ，（）")), _ANY_CHARACTER)


@given(st.lists(st.text(_WIDE_OR_ANY, max_size=12), max_size=30))
def test_folding_many_texts_at_once_equals_folding_each(texts):
    """`fold_many` works on the joined code points of all texts (lone surrogates included) and cuts
    them back: each text comes back as `fold` alone gives it, same length, in order."""
    from detectors.text import fold, fold_many

    assert fold_many(texts) == [fold(text) for text in texts]


@given(st.lists(st.one_of(st.none(), st.text(_WIDE_OR_ANY, max_size=12)), max_size=30))
def test_as_text_folds_and_strips_each_cell(values):
    from detectors.text import as_text, fold

    expected = [None if v is None or not fold(v.strip()) else fold(v.strip()) for v in values]
    got = as_text(pd.Series(values, dtype="string")).tolist()
    assert [None if pd.isna(v) else v for v in got] == expected
