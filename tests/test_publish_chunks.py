"""Typing and writing a published table chunk by chunk gives what typing and writing it whole gives."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.staging import CellFixes, write_staged, write_staged_chunks
from catalog.written import describe_written
from pipelines.publish import _kind, column_kinds, typed_chunk, typed_table

CELLS = st.one_of(
    st.none(), st.sampled_from(["0", "007", "12", "-3", "1.5", "-0.25", "2024-01-31", "1999-12-01", "2024-13-01",
                                "", " ", "x", "1e5", "=1+2", "a\x00b", "12345678901234567"]),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True), st.text(max_size=4),
)


def cut(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    edges = sorted({0, len(frame), *(c % (len(frame) + 1) for c in cuts)})
    return [frame.iloc[a:b] for a, b in zip(edges, edges[1:], strict=False)] or [frame]


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=0, max_size=30), st.lists(st.integers(0, 30), max_size=6))
def test_the_chunked_kind_is_the_whole_column_kind(values, cuts):
    column = pd.Series(values, dtype="string", name="c")
    chunks = cut(column.to_frame(), cuts)
    assert column_kinds(chunks) == {"c": _kind(column)}


def test_a_column_empty_in_one_chunk_keeps_the_kind_of_the_others():
    frame = pd.DataFrame({"n": [None, None, "3", "4.5"], "d": [None, None, "2024-01-01", None]}, dtype="string")
    assert column_kinds([frame.iloc[:2], frame.iloc[2:]]) == {"n": "number", "d": "date"}


def test_a_value_past_the_first_cells_still_decides_the_kind():
    """The first cells are tested alone first (a text column fails there); a pass decides the rest."""
    numbers = ["7"] * 2000
    late = pd.Series([*numbers[:1500], "2.5", *numbers[1500:]], dtype="string", name="c")
    text = pd.Series([*numbers[:1500], "x", *numbers[1500:]], dtype="string", name="c")
    assert column_kinds([late.to_frame()]) == {"c": "number"}
    assert column_kinds([text.iloc[:1000].to_frame(), text.iloc[1000:].to_frame()]) == {"c": "string"}
    assert column_kinds([text.to_frame(), late.to_frame()]) == {"c": "string"}


def table(rows: int) -> pd.DataFrame:
    text = ["普通", "=SUM(A1)", "带\x00控制", " -1", "逗号, 引号\"", "换行\r\n", None]
    frame = pd.DataFrame({
        "站点": [f"站点{i % 13}" for i in range(rows)],
        "日期": [None if i % 9 == 0 else f"2024-0{1 + i % 9}-1{i % 10}" for i in range(rows)],
        "数量": [str(i) if i % 5 else None for i in range(rows)],
        "金额": [f"{i}.{i % 7}5" for i in range(rows)],
        "备注": [text[i % len(text)] for i in range(rows)],
    }, dtype="string")
    return frame


def test_files_written_chunk_by_chunk_are_the_files_written_whole(tmp_path):
    raw = table(1000)
    typed, columns = typed_table(raw, [])
    whole_fixes = CellFixes()
    whole = write_staged(typed, tmp_path / "whole", columns, ("csv", "parquet", "json"), fixes=whole_fixes)
    kinds = {c.name: c.type for c in columns}
    fixes = CellFixes()
    chunks = (typed_chunk(part, kinds) for part in cut(raw, [1, 17, 300, 301, 999]))
    facts = write_staged_chunks(chunks, tmp_path / "chunked", columns, ("csv", "parquet", "json"), fixes=fixes)
    for path in whole:
        assert (tmp_path / "chunked" / path.name).read_bytes() == path.read_bytes(), path.name
    assert fixes == whole_fixes and fixes.control_characters and fixes.formulas_neutralised
    # The facts gathered while writing are the facts of the files as they lie on disk.
    assert facts == describe_written(tmp_path / "chunked", [tmp_path / "chunked" / p.name for p in whole],
                                     len(raw), list(raw.columns))


def test_parquet_row_groups_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from catalog import staging

    monkeypatch.setattr(staging, "PARQUET_ROW_GROUP_ROWS", 100)
    raw = table(450)
    typed, columns = typed_table(raw, [])
    kinds = {c.name: c.type for c in columns}
    for name, cuts in (("a", [7, 130, 131]), ("b", [250])):
        write_staged_chunks((typed_chunk(p, kinds) for p in cut(raw, cuts)), tmp_path / name, columns, ("parquet",))
    a, b = (tmp_path / n / "data.parquet" for n in "ab")
    assert a.read_bytes() == b.read_bytes()
    assert [pq.ParquetFile(a).metadata.row_group(i).num_rows for i in range(5)] == [100, 100, 100, 100, 50]


def test_an_empty_table_is_written_as_pandas_writes_it(tmp_path):
    empty = typed_table(table(0), [])[0]
    columns = typed_table(table(0), [])[1]
    whole = write_staged(empty, tmp_path / "whole", columns)
    write_staged_chunks(iter([]), tmp_path / "none", columns)
    for path in whole:
        if path.suffix != ".parquet":  # no chunk: no pandas metadata to copy
            assert (tmp_path / "none" / path.name).read_bytes() == path.read_bytes(), path.name


def test_one_chunk_gives_the_bytes_pandas_gave_before_streaming(tmp_path):
    """The writer before streaming wrote each format with pandas in one call; a table of one row group
    keeps exactly those bytes."""
    import json

    from catalog.staging import _as_text, _native, neutralise_formulas, replace_control_characters

    typed, columns = typed_table(table(200), [])
    write_staged(typed, tmp_path, columns)
    safe = replace_control_characters(typed, columns, CellFixes())
    text = _as_text(safe, columns)
    neutralise_formulas(text, columns, CellFixes()).to_csv(tmp_path / "ref.csv", index=False, encoding="utf-8",
                                                          lineterminator="\r\n")
    _native(safe, columns).to_parquet(tmp_path / "ref.parquet", index=False)
    rows = json.loads(text.to_json(orient="records", force_ascii=False))
    (tmp_path / "ref.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    for fmt in ("csv", "parquet", "json"):
        assert (tmp_path / f"data.{fmt}").read_bytes() == (tmp_path / f"ref.{fmt}").read_bytes(), fmt


def test_full_width_digits_are_published_as_the_text_they_are():
    """Python's \\d reads １２３ as digits, pandas' to_numeric does not: the column was called an integer
    and typing the chunk raised. It is text, published as written; ASCII integers stay integers."""
    frame = pd.DataFrame({"编号": ["１２３", "４５６"], "数量": ["1", "22"],
                          "日期": ["２０２４-０１-３１", "2024-02-01"]}, dtype="string")
    kinds = column_kinds([frame])
    assert kinds == {"编号": "string", "数量": "integer", "日期": "string"}
    assert typed_chunk(frame, kinds)["编号"].tolist() == ["１２３", "４５６"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.from_regex(r"-?(0|[1-9][0-9]{0,14})", fullmatch=True)), max_size=30))
def test_an_integer_column_is_typed_to_the_numbers_pandas_reads(values):
    """The Arrow cast that types integer columns gives pandas' own reading of them, missing cells included."""
    text = pd.Series(values, dtype="string", index=range(3, 3 + len(values)))
    typed = typed_chunk(text.to_frame("n"), {"n": "integer"})["n"]
    expected = pd.to_numeric(text).astype("Int64").reset_index(drop=True)
    pd.testing.assert_series_equal(typed, expected, check_names=False)
