"""Column operators: the properties a steward relies on, checked independently of the code."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizers.operators import (
    OPERATORS,
    OperatorParams,
    apply_operator,
    apply_to_text,
    generalize,
    mask,
    presidio_operator_class,
    pseudonymize,
)

KEY_A, KEY_B = b"a" * 32, b"b" * 32
texts = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s and "*" not in s)


def series(values) -> pd.Series:
    return pd.Series(values, dtype="string")


@given(st.lists(texts, min_size=1, max_size=20), st.integers(0, 6), st.integers(0, 6))
def test_mask_keeps_length_and_ends_and_never_returns_the_value(values, first, last):
    out = mask(series(values), OperatorParams(keep_first=first, keep_last=last))
    for original, masked in zip(values, out, strict=True):
        assert len(masked) == len(original)
        assert masked != original
        assert "*" in masked


def test_mask_follows_chinese_display_conventions():
    assert mask(series(["13812345678"]), OperatorParams(entity="PHONE_NUMBER")).tolist() == ["138****5678"]
    assert mask(series(["张三", "欧阳娜娜"]), OperatorParams(entity="PERSON")).tolist() == ["张*", "欧***"]
    ids = mask(series(["11010519491231002X"]), OperatorParams(entity="CN_RESIDENT_ID")).tolist()
    assert ids == ["110105********002X"]


@settings(max_examples=50)
@given(st.lists(texts, min_size=1, max_size=20))
def test_pseudonyms_are_stable_per_key_and_differ_across_keys(values):
    first = pseudonymize(series(values), OperatorParams(key=KEY_A))
    again = pseudonymize(series(values), OperatorParams(key=KEY_A))
    other = pseudonymize(series(values), OperatorParams(key=KEY_B))
    assert first.tolist() == again.tolist()
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert all(p != v for p, v in zip(first, values, strict=True))
    # Equal inputs, equal pseudonyms: published tables stay joinable.
    assert first.nunique() == series(values).str.strip().str.upper().nunique() or first.nunique() <= len(values)


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=150), st.text(max_size=30))
def test_a_pseudonym_is_the_hmac_sha256_of_the_normalized_value(key, value):
    """Published pseudonyms stay those of earlier releases: the digest is the standard library's HMAC,
    for keys shorter and longer than SHA-256's block."""
    import hashlib
    import hmac

    from anonymizers.operators import hmac_hex, normalize, pseudonym

    expected = hmac.new(key, normalize(value).encode("utf-8"), hashlib.sha256).hexdigest()
    assert hmac_hex(key, value, 64) == expected
    assert pseudonym(key, value) == "P" + expected[:16]


def test_pseudonymize_without_a_key_refuses():
    with pytest.raises(ValueError, match="needs the pseudonymization key"):
        pseudonymize(series(["x"]), OperatorParams())


@given(st.sampled_from(sorted(OPERATORS)), st.lists(st.one_of(st.none(), texts), min_size=1, max_size=10))
def test_no_operator_returns_its_input_and_missing_stays_missing(action, values):
    params = OperatorParams(key=KEY_A, to="year", width=10, entity="PERSON")
    out = apply_operator(action, series(values), params)
    for original, result in zip(values, out, strict=True):
        if original is None:
            assert pd.isna(result)
        elif not pd.isna(result):
            assert result != original or action in {"generalize", "aggregate", "noise", "date_shift"}


def _check_char(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@given(st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2024-12-31").date()),
       st.integers(0, 999))
def test_resident_id_generalizes_to_birth_year_and_gender(birth, sequence):
    body = f"370102{birth:%Y%m%d}{sequence:03d}"
    ids = series([body + _check_char(body)])
    assert generalize(ids, OperatorParams(to="birth_year")).tolist() == [str(birth.year)]
    assert generalize(ids, OperatorParams(to="gender")).tolist() == ["男" if sequence % 2 else "女"]
    assert generalize(ids, OperatorParams(to="region")).tolist() == ["370100"]


def test_generalize_addresses_dates_and_numbers():
    address = series(["济南市历下区经十路1号2单元", "张三住济南市历下区泉城路1号", "李四家在槐荫区", "无"])
    # Only known place names are kept: a name before the district must not survive.
    districts = generalize(address, OperatorParams(to="district")).tolist()
    assert districts[:3] == ["济南市历下区", "济南市历下区", "槐荫区"] and pd.isna(districts[3])
    dates = series(["2024-05-17"])
    assert generalize(dates, OperatorParams(to="quarter")).tolist() == ["2024-Q2"]
    assert generalize(dates, OperatorParams(to="month")).tolist() == ["2024-05"]
    assert generalize(series(["1234"]), OperatorParams(to="band", width=1000)).tolist() == ["1000-2000"]
    coded = generalize(series(["5", "500", "abc"]), OperatorParams(to="top_bottom", top=100, bottom=10)).tolist()
    assert coded[:2] == ["<=10", ">=100"] and pd.isna(coded[2])


def test_the_same_operator_serves_a_column_and_a_span_in_free_text():
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    engine = AnonymizerEngine()
    engine.add_anonymizer(presidio_operator_class())
    text = "联系人张三，电话13812345678。"
    results = [RecognizerResult("PERSON", 3, 5, 0.9), RecognizerResult("PHONE_NUMBER", 8, 19, 0.9)]
    config = {"DEFAULT": OperatorConfig("kaifang", {"action": "mask"})}
    out = engine.anonymize(text, results, config).text
    assert out == "联系人张*，电话138****5678。"
    assert apply_to_text("mask", "13812345678", OperatorParams(entity="PHONE_NUMBER")) == "138****5678"


_GENERALIZABLE = st.one_of(
    st.none(),
    st.sampled_from(["1969-09-08", "20000501", "370115200005010460", "8400", "-12.5", "36.6512,117.1201",
                     "济南市历下区经十路1号", "山东省济南市", "", " ", "abc"]),
    st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["birth_year", "birth_year_band", "age_band", "region", "district", "year", "month",
                        "quarter", "band", "round", "coordinate", "top_bottom"]),
       st.lists(_GENERALIZABLE, min_size=1, max_size=12))
def test_generalize_computed_once_per_distinct_value_equals_each_cell_on_its_own(to, values):
    """`generalize` works on a column's distinct values and spreads the results back to the rows; every
    row must get what generalizing that cell alone gives, missing cells included."""
    params = OperatorParams(to=to, width=10, digits=1, top=1000, bottom=10, reference=pd.Timestamp("2025-06-30").date())
    column = generalize(series(values), params)
    alone = [generalize(series([value]), params).iloc[0] for value in values]
    assert column.isna().tolist() == [pd.isna(v) for v in alone]
    assert [v for v in column.tolist() if not pd.isna(v)] == [v for v in alone if not pd.isna(v)]


def test_negative_zero_is_written_as_zero_whatever_else_the_column_holds():
    """Found by the property above: '-0' beside '0.0' parsed as -0.0 and became the band "-0-10"."""
    values = series(["0.0", "-0", "-0.04"])
    assert generalize(values, OperatorParams(to="band", width=10)).tolist() == ["0-10", "0-10", "-10-0"]
    assert generalize(values, OperatorParams(to="round", width=1)).tolist() == ["0", "0", "0"]
    assert generalize(values, OperatorParams(to="top_bottom", top=5)).tolist() == ["0", "0", "-0.04"]
