"""The column profiler on the three entities the release flow depends on first."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from detectors import profile_chunks, profile_frame
from tests.detectors.conftest import make_mobile, make_ric


def _people(n: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return pd.DataFrame(
        {
            "姓名": [fake.name() for _ in range(n)],
            "身份证号": [make_ric(rng) for _ in range(n)],
            "mobile": [make_mobile(rng) for _ in range(n)],
            "性别": [rng.choice(["男", "女"]) for _ in range(n)],
            "金额": [str(rng.randint(1, 9999)) for _ in range(n)],
        },
        dtype="str",
    )


def test_detects_id_phone_person():
    profile = profile_frame(_people(300))
    assert profile.rows == 300
    assert profile.column("姓名").primary == "PERSON"
    assert profile.column("身份证号").primary == "CN_RESIDENT_ID"
    assert profile.column("mobile").primary == "PHONE_NUMBER"
    assert profile.column("金额").primary is None
    assert profile.column("性别").quasi_identifier
    assert not profile.column("身份证号").quasi_identifier


def test_values_win_over_a_misleading_header(rng):
    orders = [f"{rng.randint(10**17, 10**18 - 1)}" for _ in range(300)]
    profile = profile_frame(pd.DataFrame({"身份证号": orders, "联系电话": ["2024" + o[:8] for o in orders]}))
    assert profile.column("身份证号").primary is None
    assert profile.column("联系电话").primary is None


def test_headers_do_not_matter_when_values_are_clear(rng):
    df = pd.DataFrame({"col1": [make_ric(rng) for _ in range(50)], "c2": [make_mobile(rng) for _ in range(50)]})
    profile = profile_frame(df)
    assert profile.column("col1").primary == "CN_RESIDENT_ID"
    assert profile.column("c2").primary == "PHONE_NUMBER"


def test_dirty_formats(rng):
    mobiles = [make_mobile(rng) for _ in range(40)]
    written = []
    for i, m in enumerate(mobiles):
        forms = [
            m,
            f"{m[:3]}-{m[3:7]}-{m[7:]}",
            f"{m[:3]} {m[3:7]} {m[7:]}",
            f"+86 {m}",
            f"86-{m}",
            m.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
        ]
        written.append(forms[i % len(forms)])
    ids = [make_ric(rng) for _ in range(40)]
    ids = [i.lower() if i.endswith("X") else f" {i} " for i in ids]
    landlines = ["0531-86123456", "(0531)86123457", "010 62345678", "021-54321098", "053186123459"] * 8
    profile = profile_frame(pd.DataFrame({"a": written, "b": ids, "c": landlines}))
    for name, entity in [("a", "PHONE_NUMBER"), ("b", "CN_RESIDENT_ID"), ("c", "PHONE_NUMBER")]:
        column = profile.column(name)
        assert column.primary == entity
        assert column.entities[0].matches == 40


def test_masked_values_are_counted_apart(rng):
    masked = [make_mobile(rng) for _ in range(10)]
    cells = [m[:3] + "****" + m[7:] for m in masked] + ["370113********7973", "张*", "欧阳**"]
    profile = profile_frame(pd.DataFrame({"x": cells}))
    column = profile.column("x")
    assert column.masked == len(cells)
    assert column.evidence == () and column.entities == ()


def test_every_mask_mark_is_recognised(rng):
    """Stars, X and x runs and multiplication signs all mark a masked value (one search finds any of them)."""
    phones = [make_mobile(rng) for _ in range(8)]
    cells = [p[:3] + mark + p[7:] for p in phones[:4] for mark in ("****", "XXXX")]
    cells += [p[:3] + mark + p[7:] for p in phones[4:] for mark in ("xxxx", "××××")]
    column = profile_frame(pd.DataFrame({"手机": cells})).column("手机")
    assert column.masked == len(cells)
    assert column.entities == ()


def test_residual_raw_identifier_shows_in_evidence(rng):
    cells = [m[:3] + "****" + m[7:] for m in (make_mobile(rng) for _ in range(99))] + [make_mobile(rng)]
    column = profile_frame(pd.DataFrame({"手机": cells})).column("手机")
    assert column.masked == 99
    assert [(e.type, e.matches) for e in column.evidence] == [("PHONE_NUMBER", 1)]


def test_chunks_equal_whole_frame():
    df = _people(250)
    whole = profile_frame(df)
    chunked = profile_chunks([df.iloc[:100], df.iloc[100:200], df.iloc[200:]])
    assert whole == chunked
    assert profile_chunks([df]) == whole


def test_any_dtype_and_empty_cells(rng):
    ric = make_ric(rng)
    df = pd.DataFrame(
        {
            "ints": [13812345678, 13912345678, None, 15012345678],
            "floats": [np.nan, 1.5, 2.0, np.inf],
            "mixed": [b"\xd5\xc5\xc8\xfd", ric.encode(), 3, None],
            "empty": [None, np.nan, "", "  "],
            7: ["a", "b", "c", "d"],
        }
    )
    profile = profile_frame(df)
    assert profile.column("ints").primary == "PHONE_NUMBER"
    assert profile.column("empty").non_empty == 0
    assert profile.column("7").non_empty == 4
    assert profile.column("mixed").non_empty == 3
    assert any(e.type == "CN_RESIDENT_ID" for e in profile.column("mixed").evidence)


def test_to_dict_shape_and_no_values(rng):
    df = _people(60)
    profile = profile_frame(df)
    data = profile.to_dict()
    assert set(data) == {"rows", "columns"}
    assert set(data["columns"][0]) == {"name", "entities", "free_text", "quasi_identifier"}
    assert set(data["columns"][0]["entities"][0]) == {"type", "share", "score"}
    text = repr(profile) + repr(data)
    for value in df.to_numpy().ravel():
        if len(value) > 4:
            assert value not in text


def test_unknown_column_raises_with_name_only():
    profile = profile_frame(pd.DataFrame({"a": ["1"]}))
    with pytest.raises(KeyError, match="nope"):
        profile.column("nope")
