"""Cell validators: the same rule decides a whole cell in the profiler and a span in free text."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from detectors import validate
from detectors.checks import bank_cards, resident_ids
from tests.detectors.conftest import luhn_complete, make_mobile, make_ric, make_uscc, ric_check


@pytest.mark.parametrize(
    ("entity", "text"),
    [
        ("CN_RESIDENT_ID", "11010519491231002X"),  # the standard's own example
        ("CN_RESIDENT_ID", "11010519491231002x"),
        ("CN_RESIDENT_ID", "110105 19491231 002X"),
        ("CN_RESIDENT_ID", "370113491231002"),  # legacy 15 digits
        ("CN_USCC", "91110000600037341L"),
        ("PHONE_NUMBER", "13812345678"),
        ("PHONE_NUMBER", "+86 138 1234 5678"),
        ("PHONE_NUMBER", "０５３１－８６１２３４５６"),
        ("PHONE_NUMBER", "(0531)86123456"),
        ("PHONE_NUMBER", "4008123123"),
        ("CN_BANK_CARD", "6222 0202 0011 2233 445"[:-3] + "4"),
        ("CN_LICENSE_PLATE", "鲁A·D12345"),
        ("CN_LICENSE_PLATE", "京A12345"),
        ("CN_LICENSE_PLATE", "粤B12345D"),
        ("CN_LICENSE_PLATE", "鲁A1234学"),
        ("CN_PASSPORT", "E12345678"),
        ("CN_PASSPORT", "EA1234567"),
        ("CN_HMT_PERMIT", "H12345678"),
        ("EMAIL_ADDRESS", "zhang.san@example.com.cn"),
        ("IP_ADDRESS", "192.168.1.20"),
        ("IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("PERSON", "张伟"),
        ("PERSON", "欧阳娜娜"),
        ("PERSON", "阿卜杜拉·买买提"),
        ("PERSON", "张 伟"),
        ("LOCATION", "山东省济南市历下区经十路88号3号楼2单元501室"),
        ("LOCATION", "幸福家园5栋2单元301"),
    ],
)
def test_valid(entity, text):
    if entity == "CN_BANK_CARD":
        text = luhn_complete("622202020011223344")
    assert validate(entity, text)


@pytest.mark.parametrize(
    ("entity", "text"),
    [
        ("CN_RESIDENT_ID", "110105194912310021"),  # wrong check character
        ("CN_RESIDENT_ID", "990105194912310024"),  # no such province
        ("CN_RESIDENT_ID", "110105194902300026"),  # 30 February
        ("CN_RESIDENT_ID", "202406011234567890"),  # an order number
        ("CN_USCC", "91110000600037341A"),
        ("PHONE_NUMBER", "10123456789"),  # meter number (11 digits starting 10)
        ("PHONE_NUMBER", "12012345678"),
        ("PHONE_NUMBER", "86123456"),  # local number without area code
        ("PHONE_NUMBER", "6901234567892"),  # EAN-13 barcode
        ("CN_BANK_CARD", "6222020200112233440"),  # fails Luhn
        ("CN_LICENSE_PLATE", "鲁AI2345"),  # I is never used
        ("EMAIL_ADDRESS", "a..b@example.com"),
        ("IP_ADDRESS", "12:30"),
        ("IP_ADDRESS", "256.1.1.1"),
        ("PERSON", "历下区"),
        ("PERSON", "高中"),
        ("PERSON", "申请人"),
        ("PERSON", "欧阳"),
        ("LOCATION", "历下区"),
        ("LOCATION", "经十路"),
        ("LOCATION", "山东省济南市"),
    ],
)
def test_invalid(entity, text):
    assert not validate(entity, text)


def test_birth_date_in_the_future_is_invalid():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    body = f"110105{tomorrow:%Y%m%d}001"
    assert not resident_ids([body + ric_check(body)])[0]
    body = f"110105{dt.date.today() - dt.timedelta(days=1):%Y%m%d}001"
    assert resident_ids([body + ric_check(body)])[0]


def test_generated_identifiers_validate():
    rng = random.Random(3)
    for _ in range(200):
        assert validate("CN_RESIDENT_ID", make_ric(rng))
        assert validate("CN_USCC", make_uscc(rng))
        assert validate("PHONE_NUMBER", make_mobile(rng))


def test_bank_card_rejects_repetitive_placeholders():
    assert not bank_cards(["6200000000000000000"])[0]
