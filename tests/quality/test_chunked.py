"""A table validated chunk by chunk gets the verdict, figures and messages it gets validated whole."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality import PreviousRelease, validate_release, validate_release_chunks
from tests.quality.conftest import NOW

PHONE = "13912345678"


def table() -> pd.DataFrame:
    rows = 60
    frame = pd.DataFrame({
        "编号": [f"K{i % 50:03d}" if i != 7 else None for i in range(rows)],
        "区县": [f"区{i % 4}" if i != 59 else "稀有区" for i in range(rows)],
        "年龄段": ["20-29" if i % 3 else "30-39" for i in range(rows)],
        "金额": pd.array([float(i) if i % 11 else None for i in range(rows)], dtype="Float64"),
        "状态": ["A" if i % 6 else "C" for i in range(rows)],
        "备注": [f"联系 {PHONE}" if i == 33 else ("" if i % 8 == 0 else f"备注{i % 5}") for i in range(rows)],
        "数量": pd.array([i % 9 for i in range(rows)], dtype="Int64"),
    })
    frame.loc[[20, 45]] = None  # two entirely empty rows, in different chunks
    frame.loc[52] = frame.loc[51]  # an exact duplicate across a chunk edge below
    return frame


OPTIONS = dict(
    dataset_id="chunked-demo", key=["编号"], quasi_identifiers=["区县", "年龄段"], k=3, now=NOW,
    expectations=[
        {"expect": "between", "column": "金额", "min": 0, "max": 40, "mostly": 0.8},
        {"expect": "in_set", "column": "状态", "values": ["A", "B"]},
        {"expect": "not_null", "column": "备注", "mostly": 0.99},
        {"expect": "mean_between", "column": "金额", "min": 0, "max": 20},
        {"expect": "match_regex", "column": "编号", "regex": "^K0"},
        {"expect": "length_between", "column": "备注", "min": 3, "max": 6, "severity": "warning"},
        {"expect": "row_count_between", "min": 10, "max": 50},
        {"expect": "unique", "column": "区县", "severity": "warning"},
    ],
    previous=PreviousRelease(row_count=200, columns={"编号": "string", "区县": "string", "年龄段": "string",
                                                     "金额": "integer", "状态": "string", "备注": "string",
                                                     "数量": "integer"},
                             released_at=NOW - timedelta(days=90)),
    update_frequency="monthly",
)


def chunked(frame: pd.DataFrame, size: int):
    def source(columns=None):
        part = frame[columns] if columns is not None else frame
        for start in range(0, len(part), size):
            yield part.iloc[start:start + size]

    return source


def figures(summary):
    return [(o.expectation, o.column, o.severity, o.success, o.unexpected_count, o.unexpected_percent, o.message)
            for o in summary.outcomes]


@pytest.mark.parametrize("size", [4, 25, 59])
def test_chunks_give_the_whole_table_verdict(size, tmp_path):
    frame = table()
    whole = validate_release(frame, **OPTIONS)
    parts = validate_release_chunks(chunked(frame, size), docs_dir=tmp_path / "quality", **OPTIONS)
    assert not whole.passed and len([o for o in whole.outcomes if not o.success]) >= 10
    assert figures(parts) == figures(whole)
    assert (parts.passed, parts.failed_critical, parts.failed_warning) == (
        whole.passed, whole.failed_critical, whole.failed_warning)


def test_one_chunk_is_the_whole_table_path(tmp_path):
    frame = table()
    whole = validate_release(frame, docs_dir=tmp_path / "a" / "quality", **OPTIONS)
    one = validate_release_chunks(chunked(frame, 1000), docs_dir=tmp_path / "b" / "quality", **OPTIONS)
    assert one == whole


def test_chunked_data_docs_are_one_result_without_values(tmp_path):
    frame = table()
    validate_release_chunks(chunked(frame, 9), docs_dir=tmp_path / "quality", **OPTIONS)
    results = list((tmp_path / "quality" / "validations").rglob("*.html"))
    assert len(results) == 1
    suites = list((tmp_path / "quality" / "expectations").rglob("*.html"))
    assert [p.stem for p in suites] == ["chunked-demo"]
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "quality").rglob("*.html"))
    for value in (PHONE, "K001", "稀有区", "备注1"):
        assert value not in pages
    # every check of the plan is in the one result
    assert "expect_compound_columns_to_be_k_anonymous" in pages or "k-anonymity" in pages
    # nor a fingerprint of one chunk's cells, which GX would otherwise show as the table's
    assert "pandas_data_fingerprint" not in pages


def guard_counts(frame: pd.DataFrame, min_share: float = 0.5):
    """What the guard hands the gate: its profile of the output file (all text) over chunks of it."""
    from detectors import load_lexicon, profile_chunks

    text = frame.astype("string")
    return profile_chunks(chunked(text, 13)(), lexicon=load_lexicon(), min_share=min_share).entity_counts(min_share)


def test_the_guards_profile_of_the_same_output_gives_the_same_verdict(tmp_path):
    frame = table()
    alone = validate_release_chunks(chunked(frame, 25), **OPTIONS)
    reused = validate_release_chunks(chunked(frame, 25), profiled=guard_counts(frame), **OPTIONS)
    assert figures(reused) == figures(alone)
    assert any(o.column == "备注" and not o.success and "PHONE_NUMBER" in o.message for o in alone.outcomes)


def test_the_gate_profiles_a_column_only_when_no_counts_at_its_share_are_given(monkeypatch):
    import quality.privacy

    calls: list[str] = []
    profile_alone = quality.privacy.column_entities_chunks

    def counted(parts, min_share=0.5):
        parts = list(parts)
        calls.append(str(parts[0].name))
        return profile_alone(parts, min_share)

    monkeypatch.setattr(quality.privacy, "column_entities_chunks", counted)
    frame = table()
    validate_release_chunks(chunked(frame, 25), profiled=guard_counts(frame), **OPTIONS)
    assert calls == []
    validate_release_chunks(chunked(frame, 25), profiled=guard_counts(frame, min_share=0.9), **OPTIONS)
    assert "备注" in calls  # counts judged at another share are not this check's


_SPACES_AND_NOT = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000\ufeffa，"  # U+FEFF is no space to Python
_CELL = st.one_of(st.none(), st.text(st.sampled_from(list(_SPACES_AND_NOT)), max_size=5))


@settings(max_examples=80, deadline=None)
@given(st.lists(_CELL, min_size=1, max_size=20), st.sampled_from(["string[python]", "string[pyarrow]", "object"]))
def test_an_empty_cell_is_missing_or_what_str_strip_empties(cells, dtype):
    """`empty_cells` (the not-null and key expectations' idea of empty) matches Python's own definition
    cell by cell, whether the column is Arrow-backed text (matched with RE2), Python text or objects."""
    from quality.privacy import empty_cells

    frame = pd.DataFrame({"c": pd.Series(cells, dtype=dtype)})
    expected = [v is None or not v.strip() for v in cells]
    assert empty_cells(frame)["c"].tolist() == expected
