"""Column decisions beyond identifiers: trade secrets, quasi-identifiers, free text, decoys, propose."""

from __future__ import annotations

import pandas as pd
import pytest

from detectors import LexiconError, load_lexicon, profile_frame, propose_columns
from detectors.lexicon import DEFAULT_PATH
from tests.detectors.conftest import make_mobile, make_ric, make_uscc


def test_decoy_numbers_are_not_identifiers(rng):
    n = 400
    df = pd.DataFrame(
        {
            "订单号": [f"2024{rng.randint(0, 10**14 - 1):014d}" for _ in range(n)],
            "发票代码": [f"{rng.choice('01')}3700{rng.randint(0, 10**7 - 1):07d}" for _ in range(n)],
            "发票号码": [f"{rng.randint(0, 10**8 - 1):08d}" for _ in range(n)],
            "电表号": [f"{rng.choice(['10', '11', '12'])}{rng.randint(0, 10**9 - 1):09d}" for _ in range(n)],
            "条码": [f"69{rng.randint(0, 9)}{rng.randint(0, 10**10 - 1):010d}" for _ in range(n)],
            "行政区划代码": [rng.choice(["370102", "110105", "440305"]) for _ in range(n)],
            "邮编": [f"{rng.randint(10000, 999999):06d}" for _ in range(n)],
        }
    )
    profile = profile_frame(df)
    for column in profile.columns:
        assert column.entities == (), column.name


def test_trade_secret_needs_enterprise_context(rng):
    revenue = [str(rng.randint(10**5, 10**8)) for _ in range(100)]
    alone = profile_frame(pd.DataFrame({"区县": ["历下区"] * 100, "营业收入": revenue}))
    assert alone.column("营业收入").primary is None
    assert [e.type for e in alone.column("营业收入").evidence] == ["TRADE_SECRET"]
    firms = pd.DataFrame(
        {
            "统一社会信用代码": [make_uscc(rng) for _ in range(100)],
            "企业名称": [f"济南{i}号科技有限公司" for i in range(100)],
            "营业收入": revenue,
            "主要客户": [f"客户{i}" for i in range(100)],
            "价格指数": ["101.2"] * 100,
        }
    )
    profile = profile_frame(firms)
    assert profile.column("统一社会信用代码").primary == "CN_USCC"
    assert profile.column("营业收入").primary == "TRADE_SECRET"
    assert profile.column("主要客户").primary == "TRADE_SECRET"
    assert profile.column("价格指数").primary is None


def test_quasi_identifiers_from_headers_and_values(rng):
    n = 200
    df = pd.DataFrame(
        {
            "出生日期": [f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" for _ in range(n)],
            "年龄": [str(rng.randint(1, 99)) for _ in range(n)],
            "col_x": [rng.choice(["男", "女"]) for _ in range(n)],
            "col_y": [rng.choice(["汉族", "回族", "满族"]) for _ in range(n)],
            "col_z": [rng.choice(["历下区", "市中区", "槐荫区"]) for _ in range(n)],
            "职业": [rng.choice(["教师", "工人"]) for _ in range(n)],
            "金额": [str(rng.randint(1, 100)) for _ in range(n)],
        }
    )
    profile = profile_frame(df)
    quasi = {c.name for c in profile.columns if c.quasi_identifier}
    assert quasi == {"出生日期", "年龄", "col_x", "col_y", "col_z", "职业"}
    assert all(c.primary is None for c in profile.columns)


def test_free_text_column_with_embedded_identifiers(rng):
    remarks = ["材料齐全，准予登记。", "已电话告知办理结果。", "退回补充材料，原因：证明过期。"] * 30
    remarks[5] = f"申请人来电（{make_mobile(rng)}）询问进度，已答复。"
    remarks[9] = f"经核对，身份证号{make_ric(rng)}与户籍信息一致。"
    remarks[11] = "联系人王芳女士，请尽快补交材料。"
    column = profile_frame(pd.DataFrame({"备注": remarks})).column("备注")
    assert column.free_text
    assert {e.type for e in column.entities} == {"PHONE_NUMBER", "CN_RESIDENT_ID", "PERSON"}
    assert all(e.matches == 1 for e in column.evidence)


def test_free_text_scan_can_be_turned_off(rng):
    remarks = [f"申请人来电（{make_mobile(rng)}）询问进度，已答复。"] * 10
    column = profile_frame(pd.DataFrame({"备注": remarks}), scan_free_text=False).column("备注")
    assert column.free_text and column.evidence == ()


def test_person_column_needs_variety_without_a_header():
    same = profile_frame(pd.DataFrame({"c": ["张三", "李四"] * 200})).column("c")
    assert same.primary is None
    named = profile_frame(pd.DataFrame({"姓名": ["张三", "李四"] * 200})).column("姓名")
    assert named.primary == "PERSON"


def test_dirty_hinted_column_still_detected(rng):
    cells = [make_mobile(rng) for _ in range(35)] + ["不详", "无", "-", "暂无"] * 10 + [""] * 20
    column = profile_frame(pd.DataFrame({"联系电话": cells})).column("联系电话")
    assert column.non_empty == 75
    assert column.primary == "PHONE_NUMBER"


def test_min_share_is_the_policy_threshold(rng):
    cells = [make_mobile(rng) for _ in range(40)] + ["备用"] * 60
    assert profile_frame(pd.DataFrame({"c": cells})).column("c").primary is None
    assert profile_frame(pd.DataFrame({"c": cells}), min_share=0.3).column("c").primary == "PHONE_NUMBER"


def test_gbk_round_trip(tmp_path, rng):
    df = pd.DataFrame({"姓名": ["张伟", "王芳", "李娜"] * 20, "身份证号": [make_ric(rng) for _ in range(60)]})
    path = tmp_path / "gbk.csv"
    df.to_csv(path, index=False, encoding="gbk")
    back = pd.read_csv(path, dtype=str, encoding="gbk")
    profile = profile_frame(back)
    assert profile.column("姓名").primary == "PERSON"
    assert profile.column("身份证号").primary == "CN_RESIDENT_ID"


def test_propose_columns(rng):
    df = pd.DataFrame(
        {
            "姓名": ["张伟", "王芳", "李娜", "刘洋"] * 25,
            "性别": ["男", "女"] * 50,
            "手机": [make_mobile(rng) for _ in range(100)],
            "备注": ["无"] * 100,
        }
    )
    proposal = propose_columns(profile_frame(df))
    assert proposal["姓名"]["entity"] == "PERSON"
    assert proposal["手机"]["entity"] == "PHONE_NUMBER"
    assert proposal["性别"] == {
        "entity": None, "score": None, "quasi_identifier": True, "free_text": False, "masked": 0, "also": [],
    }


def test_lexicon_default_and_errors(tmp_path):
    lexicon = load_lexicon()
    assert lexicon.source == str(DEFAULT_PATH)
    assert lexicon.category_for("投标报价（万元）").name == "pricing"
    assert lexicon.category_for("居民消费价格指数") is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  x:\n    weight: 2\n    keywords: [a]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"categories\.x\.weight"):
        load_lexicon(bad)
    bad.write_text("categories: [\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="invalid YAML"):
        load_lexicon(bad)
    with pytest.raises(LexiconError, match="file not found"):
        load_lexicon(tmp_path / "missing.yaml")


def test_custom_lexicon_changes_the_decision(tmp_path):
    path = tmp_path / "lex.yaml"
    path.write_text("threshold: 0.5\ncategories:\n  recipe:\n    weight: 0.9\n    keywords: [秘方]\n", encoding="utf-8")
    df = pd.DataFrame({"秘方编号": ["A1", "B2"] * 10})
    assert profile_frame(df).column("秘方编号").primary is None
    assert profile_frame(df, lexicon=load_lexicon(path)).column("秘方编号").primary == "TRADE_SECRET"




def test_taiwan_permit_numbers_need_the_header(rng):
    numbers = [f"{rng.randint(10**7, 10**8 - 1)}" for _ in range(50)]
    assert profile_frame(pd.DataFrame({"台胞证号码": numbers})).column("台胞证号码").primary == "CN_HMT_PERMIT"
    assert profile_frame(pd.DataFrame({"编号": numbers})).column("编号").primary is None


def test_prose_limit_caps_the_analyzer_only(rng):
    remarks = [f"联系人王芳，电话{make_mobile(rng)}，请尽快补交材料。" for _ in range(20)]
    full = profile_frame(pd.DataFrame({"备注": remarks})).column("备注")
    capped = profile_frame(pd.DataFrame({"备注": remarks}), prose_limit=0).column("备注")
    assert {e.type for e in full.entities} == {"PERSON", "PHONE_NUMBER"}
    assert {e.type for e in capped.entities} == {"PHONE_NUMBER"}
