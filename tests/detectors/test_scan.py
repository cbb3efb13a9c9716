"""Free-text scanning through Presidio with the blank jieba pipeline, and the recognizer registry."""

from __future__ import annotations

import pytest

from detectors import scan
from detectors.registry import build_registry, supported_entities
from detectors.scan import ScanError, get_analyzer, scan_text, scan_text_presidio

TEXT = (
    "联系人张伟，电话13812345678，身份证号11010519491231002X，"
    "住址山东省济南市历下区经十路88号3号楼2单元501室，车牌鲁A·D12345，邮箱zhang.wei@example.com。"
)


def spans(text, **kwargs):
    return [(s.type, text[s.start : s.end]) for s in scan_text(text, **kwargs)]


def test_finds_every_kind_in_one_sentence():
    found = spans(TEXT)
    assert ("PERSON", "张伟") in found
    assert ("PHONE_NUMBER", "13812345678") in found
    assert ("CN_RESIDENT_ID", "11010519491231002X") in found
    assert ("LOCATION", "山东省济南市历下区经十路88号3号楼2单元501室") in found
    assert ("CN_LICENSE_PLATE", "鲁A·D12345") in found
    assert ("EMAIL_ADDRESS", "zhang.wei@example.com") in found


def test_boundaries_inside_chinese_text():
    # No \b between a Han character and a digit: look-arounds must do the work.
    assert spans("号11010519491231002X止") == [("CN_RESIDENT_ID", "11010519491231002X")]
    assert spans("单号11010519491231002X9") == []


def test_failing_checks_are_not_reported():
    assert spans("订单号202406011234567890，发票号码12345678，电表号10123456789。") == []


def test_context_words_raise_weak_entities():
    assert spans("护照号码E12345678") == [("CN_PASSPORT", "E12345678")]
    assert spans("编号E12345678") == []
    assert ("PERSON", "王芳") in spans("请王芳女士前来办理")
    assert spans("平安无事，于周一办结") == []


def test_full_width_offsets_point_into_the_original():
    text = "电话：１３８１２３４５６７８"
    (span,) = scan_text(text)
    assert text[span.start : span.end] == "１３８１２３４５６７８"


def test_trade_secret_amounts():
    found = spans("该企业营业收入为1,234.5万元，投标报价98.6万元。")
    assert found == [("TRADE_SECRET", "1,234.5万元"), ("TRADE_SECRET", "98.6万元")]


def test_engine_is_built_once():
    assert get_analyzer() is get_analyzer()


def test_registry_lists_every_entity_with_a_span_pattern():
    # Column-only rules (hashes, social security card numbers, romanized names) have no recognizer.
    assert set(supported_entities()) == {
        "CN_RESIDENT_ID", "CN_USCC", "PHONE_NUMBER", "CN_BANK_CARD", "CN_LICENSE_PLATE", "CN_PASSPORT",
        "CN_HMT_PERMIT", "EMAIL_ADDRESS", "IP_ADDRESS", "PERSON", "LOCATION", "TRADE_SECRET",
        "CN_HMT_RESIDENCE_PERMIT", "CN_FOREIGNER_PR_ID", "CN_HK_MACAU_TRAVEL_PERMIT", "CN_TW_TRAVEL_PERMIT",
        "IMEI", "VEHICLE_VIN", "GEO_COORDINATE",
    }
    assert len(build_registry().recognizers) == 19


def test_errors_never_carry_the_text(monkeypatch):
    analyzer = get_analyzer()

    def boom(*args, **kwargs):
        raise ValueError("Did not find word '13812345678'")

    monkeypatch.setattr(analyzer, "analyze", boom)
    monkeypatch.setattr(analyzer.nlp_engine, "process_text", boom)  # the batch scanner's context step
    monkeypatch.setattr(scan, "_context_artifacts", boom)
    with pytest.raises(ScanError) as info:
        scan_text("电话13812345679")  # not remembered from an earlier test
    assert "13812345679" not in str(info.value)
    with pytest.raises(ScanError) as info:
        scan_text_presidio("电话13812345678")
    assert "13812345678" not in str(info.value)
    assert info.value.__cause__ is None


def test_non_text_gives_nothing():
    assert scan_text("") == []
    assert scan_text(None) == []  # type: ignore[arg-type]


def test_id_number_right_after_its_label_in_prose():
    text = "代办人身份证号11010519491231002X。"
    assert spans(text) == [("CN_RESIDENT_ID", "11010519491231002X")]
    assert spans("代办人身份证号110105194912310021。") == []  # wrong check character


def test_landline_with_an_extension():
    # The extension alone identifies nobody once the number is gone; the span is the number.
    assert spans("电话：0531-88776655转123") == [("PHONE_NUMBER", "0531-88776655")]
    assert spans("电话：（0531）88776655转123，工作日拨打") == [("PHONE_NUMBER", "（0531）88776655")]
    assert spans("电话0531-88776655 转 8001") == [("PHONE_NUMBER", "0531-88776655")]


def test_full_width_digits_in_prose():
    text = (
        "联系人王芳，电话：１３８１２３４５６７８，身份证号：１１０１０５１９４９１２３１００２Ｘ，"
        "座机（０５３１）８８７７６６５５转１２３。"
    )
    assert spans(text) == [
        ("PERSON", "王芳"),
        ("PHONE_NUMBER", "１３８１２３４５６７８"),
        ("CN_RESIDENT_ID", "１１０１０５１９４９１２３１００２Ｘ"),
        ("PHONE_NUMBER", "（０５３１）８８７７６６５５"),
    ]


def test_full_width_digits_in_a_prose_column():
    import pandas as pd

    from detectors import profile_frame

    leak = "代办人身份证号１１０１０５１９４９１２３１００２Ｘ，电话１３８１２３４５６７８。"
    cells = [leak, "材料齐全，准予登记。"] * 10
    column = profile_frame(pd.DataFrame({"备注": cells})).column("备注")
    assert {e.type: e.matches for e in column.evidence} == {"CN_RESIDENT_ID": 10, "PHONE_NUMBER": 10}


def test_a_resident_id_grouped_with_spaces_or_hyphens_in_prose_is_found():
    from stdnum.cn import ric

    body = "37010219840120197"
    valid = body + ric.calc_check_digit(body + "0")
    for text in (f"身份证 {valid[:6]} {valid[6:14]} {valid[14:]}", f"身份证{valid[:6]}-{valid[6:14]}-{valid[14:]}"):
        assert [s.type for s in scan_text(text)] == ["CN_RESIDENT_ID"], text
