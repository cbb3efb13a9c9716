"""The `surrogate` operator: keyed, stable, never the input, and checksum-valid by the standards' own arithmetic.

The check characters are computed here from the standards (GB 11643, GB 32100, GB 11714, Luhn), not with
the module's helpers, so a wrong weight in the module cannot agree with itself.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anonymizers.surrogates as surrogates
from anonymizers.operators import OPERATORS, OperatorError, OperatorParams, apply_operator, apply_to_text

KEY = b"surrogate-test-key-0123456789"
OTHER_KEY = b"another-test-key-9876543210"
ENTITIES = ["CN_RESIDENT_ID", "PHONE_NUMBER", "PERSON", "CN_USCC", "CN_BANK_CARD", "EMAIL_ADDRESS",
            "LOCATION", "CN_LICENSE_PLATE", "CN_PASSPORT", None]
# Entities whose surrogate space is large enough that two keys must give two values for every input.
WIDE = ["CN_RESIDENT_ID", "PHONE_NUMBER", "CN_USCC", "CN_BANK_CARD", "LOCATION", "CN_LICENSE_PLATE",
        "CN_PASSPORT", None]


# -- independent check computations ---------------------------------------------------------------------
def ric_ok(value: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    remainder = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True)) % 11
    if value[17] != "10X98765432"[remainder]:
        return False
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return value[:2] in {"11", "12", "32", "33", "37", "41", "42", "44", "61"} and birth <= date.today()


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_ok(value: str) -> bool:
    if len(value) != 18 or any(c not in USCC_CHARS for c in value) or not value[:8].isdigit():
        return False
    weights = [3 ** i % 31 for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(value[:17], weights, strict=True))
    if value[17] != USCC_CHARS[-total % 31]:
        return False
    org = value[8:17]
    org_total = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
                    for c, w in zip(org[:8], [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    expected = {10: "X", 11: "0"}.get(11 - org_total % 11, str(11 - org_total % 11))
    return org[8] == expected


def luhn_ok(value: str) -> bool:
    digits = [int(d) for d in reversed(value)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def mobile_ok(value: str) -> bool:
    parsed = phonenumbers.parse(value, "CN")
    return (re.fullmatch(r"1\d{10}", value) is not None and phonenumbers.is_valid_number(parsed)
            and phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                                                     phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))


def landline_ok(value: str) -> bool:
    parsed = phonenumbers.parse(value, "CN")
    return (re.fullmatch(r"0531-\d{8}", value) is not None and phonenumbers.is_valid_number(parsed)
            and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE)


VALID = {
    "CN_RESIDENT_ID": ric_ok,
    "CN_USCC": uscc_ok,
    "CN_BANK_CARD": lambda v: re.fullmatch(r"62\d{14,17}", v) is not None and luhn_ok(v),
    "PHONE_NUMBER": lambda v: mobile_ok(v) or landline_ok(v),
    "PERSON": lambda v: re.fullmatch(r"[\u4e00-\u9fff]{2,4}", v) is not None,
    "EMAIL_ADDRESS": lambda v: re.fullmatch(r"[a-z0-9._]+@example\.(com|net|org)", v) is not None,
    "LOCATION": lambda v: re.fullmatch(r"济南市[\u4e00-\u9fff]+(区|县)[\u4e00-\u9fff]+\d+号\d+号楼\d单元\d+室", v)
    is not None,
    "CN_LICENSE_PLATE": lambda v: re.fullmatch(r"鲁A[A-HJ-NP-Z0-9]{5}", v) is not None,
    "CN_PASSPORT": lambda v: re.fullmatch(r"S[0-9a-f]{16}", v) is not None,
    None: lambda v: re.fullmatch(r"S[0-9a-f]{16}", v) is not None,
}


def run(values: list, entity: str | None, key: bytes = KEY) -> list:
    return apply_operator("surrogate", pd.Series(values, dtype="string"), OperatorParams(entity=entity, key=key)
                          ).tolist()


# -- input strategies -------------------------------------------------------------------------------------
def _with_ric_check(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


INPUTS = {
    "CN_RESIDENT_ID": st.builds(lambda region, birth, seq: _with_ric_check(f"{region}{birth:%Y%m%d}{seq:03d}"),
                                st.sampled_from(["110105", "370102", "370112", "440305"]),
                                st.dates(date(1930, 1, 1), date(2020, 12, 31)), st.integers(0, 999)),
    "PHONE_NUMBER": st.one_of(st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
                              st.from_regex(r"\+86 1[3-9]\d-\d{4}-\d{4}", fullmatch=True),
                              st.from_regex(r"0531-[2-8]\d{7}", fullmatch=True)),
    "PERSON": st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4),
    "CN_USCC": st.text(st.sampled_from(USCC_CHARS), min_size=18, max_size=18),
    "CN_BANK_CARD": st.from_regex(r"62\d{14,17}", fullmatch=True),
    "EMAIL_ADDRESS": st.from_regex(r"[a-z]{1,8}[0-9]{0,4}@(qq|163|example)\.(com|org)", fullmatch=True),
    "LOCATION": st.builds(lambda n: f"济南市历下区经十路{n}号", st.integers(1, 999)),
    "CN_LICENSE_PLATE": st.from_regex(r"鲁A[A-HJ-NP-Z0-9]{5}", fullmatch=True),
    "CN_PASSPORT": st.from_regex(r"E\d{8}", fullmatch=True),
    None: st.text(min_size=1).filter(lambda s: s.strip() != ""),
}
entity_and_value = st.sampled_from(ENTITIES).flatmap(lambda e: st.tuples(st.just(e), INPUTS[e]))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- properties ---------------------------------------------------------------------------------------------
def test_the_operator_is_registered():
    assert "surrogate" in OPERATORS


@PROPERTY
@given(entity_and_value)
def test_stable_valid_and_never_the_input(pair):
    entity, value = pair
    first, again = run([value, value], entity)
    assert first == again == run([value], entity)[0]
    assert VALID[entity](first), (entity, first)
    assert first != value
    if entity == "PHONE_NUMBER":  # same kind; and the same number in another notation is the same number
        assert landline_ok(first) == value.startswith("0")
        assert re.sub(r"\D", "", first) != re.sub(r"\D", "", value).removeprefix("86")


@PROPERTY
@given(st.sampled_from(WIDE).flatmap(lambda e: st.tuples(st.just(e), INPUTS[e])))
def test_another_key_gives_another_surrogate(pair):
    entity, value = pair
    assert run([value], entity, KEY) != run([value], entity, OTHER_KEY)


@pytest.mark.parametrize("entity", ["PERSON", "EMAIL_ADDRESS"])
def test_another_key_changes_names_and_emails(entity):
    values = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"] if entity == "PERSON" else [
        f"user{i}@qq.com" for i in range(8)]
    one, two = run(values, entity, KEY), run(values, entity, OTHER_KEY)
    assert sum(a != b for a, b in zip(one, two, strict=True)) >= 6


@PROPERTY
@given(st.lists(INPUTS["CN_RESIDENT_ID"], min_size=1, max_size=20))
def test_distinct_values_map_consistently_within_a_column(values):
    out = run(values, "CN_RESIDENT_ID")
    mapping: dict[str, str] = {}
    for original, fake in zip(values, out, strict=True):
        assert mapping.setdefault(original, fake) == fake


def test_variants_of_one_identifier_share_a_surrogate():
    assert len(set(run(["11010519491231002x", "11010519491231002X", " １１０１０５１９４９１２３１００２Ｘ"],
                       "CN_RESIDENT_ID"))) == 1


def test_resident_ids_also_pass_stdnum():
    from stdnum.cn import ric

    out = run([_with_ric_check(f"370102{1950 + i % 60}0101{i:03d}") for i in range(300)], "CN_RESIDENT_ID")
    assert all(ric.is_valid(v) for v in out)


def test_bank_cards_keep_the_length_of_the_input():
    cards = ["6222021234567890", "62220212345678901", "622202123456789012", "6222021234567890123"]
    assert [len(v) for v in run(cards, "CN_BANK_CARD")] == [16, 17, 18, 19]


def test_a_landline_gets_a_valid_jinan_landline():
    (out,) = run(["0531-86123456"], "PHONE_NUMBER")
    assert landline_ok(out)


def test_missing_stays_missing_and_blank_stays_blank():
    out = apply_operator("surrogate", pd.Series(["张三", None, pd.NA, ""], dtype="string"),
                         OperatorParams(entity="PERSON", key=KEY))
    assert out.dtype == "string"
    assert out.isna().tolist() == [False, True, True, False]
    assert out.iloc[3] == ""


def test_no_key_is_an_operator_error():
    with pytest.raises(OperatorError, match="key"):
        apply_operator("surrogate", pd.Series(["张三"], dtype="string"), OperatorParams(entity="PERSON"))


def test_a_draw_equal_to_the_input_is_drawn_again(monkeypatch):
    calls = []

    def echo_first(rng, original):
        calls.append(original)
        return original if len(calls) == 1 else "鲁A00000" if original != "鲁A00000" else "鲁A11111"

    monkeypatch.setitem(surrogates.GENERATORS, "CN_LICENSE_PLATE", echo_first)
    assert run(["鲁A12345"], "CN_LICENSE_PLATE") == ["鲁A00000"]
    assert len(calls) == 2


def test_the_same_surrogate_in_a_column_and_in_free_text():
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    from anonymizers.operators import presidio_operator_class

    engine = AnonymizerEngine()
    engine.add_anonymizer(presidio_operator_class())
    text = "联系人张三，电话13812345678。"
    results = [RecognizerResult("PERSON", 3, 5, 0.9), RecognizerResult("PHONE_NUMBER", 8, 19, 0.9)]
    config = {"DEFAULT": OperatorConfig("kaifang", {"action": "surrogate", "key": KEY})}
    out = engine.anonymize(text, results, config).text
    name = run(["张三"], "PERSON")[0]
    phone = run(["13812345678"], "PHONE_NUMBER")[0]
    assert out == f"联系人{name}，电话{phone}。"
    assert apply_to_text("surrogate", "13812345678", OperatorParams(entity="PHONE_NUMBER", key=KEY)) == phone
    assert mobile_ok(phone) and phone != "13812345678"
