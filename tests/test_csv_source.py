"""A CSV source reads as the standard library's ``csv.reader`` reads it, in chunks of the pipeline's size.

Arrow's CSV parser does the work (a sixth of the CPU); these tests pin that what reaches the pipeline
is what the standard library's reader gives: every cell a string, an empty cell missing, quotes and
newlines inside quotes, chunks of exactly the configured rows, and the same one-line errors.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import csv_source
from pipelines.extract import SourceError, _dedupe

CELL = st.text(alphabet=st.sampled_from(list('ab张三 ,;"\n\r\t1-')), max_size=8)


def read(path: Path, rows: int = 3, encoding: str = "utf-8", delimiter: str = ",") -> list[pd.DataFrame]:
    return list(csv_source.csv_chunks(path, encoding, delimiter, rows, SourceError, _dedupe))


def standard_library(text: str, delimiter: str = ",") -> pd.DataFrame:
    """The reference: the standard library's rows, blank lines skipped, an empty cell missing."""
    header, *rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    return pd.DataFrame(rows, columns=_dedupe(header), dtype="string").replace("", pd.NA)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(1, 4), data=st.data(), rows=st.integers(1, 4), block=st.sampled_from([64, 256, 1 << 20]),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_table_the_standard_library_writes_reads_back_as_it_reads_it(tmp_path, monkeypatch, width, data,
                                                                          rows, block, delimiter):
    header = data.draw(st.lists(st.text(alphabet="abc名", min_size=1, max_size=3), min_size=width,
                                max_size=width, unique=True))
    body = data.draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=12))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([header, *body])
    path = tmp_path / "t.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    monkeypatch.setattr(csv_source, "BLOCK_BYTES", block)  # 64 bytes: rows straddle blocks, retried larger

    chunks = read(path, rows=rows, delimiter=delimiter)

    expected = standard_library(buffer.getvalue(), delimiter)
    assert [len(c) for c in chunks[:-1]] == [rows] * (len(chunks) - 1) and 0 < len(chunks[-1]) <= rows \
        or (len(expected) == 0 and len(chunks) == 1)
    got = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert all(str(dtype) == "string" for dtype in got.dtypes)


def test_a_quoted_line_break_split_by_arrows_block_boundary_keeps_its_line_feed(tmp_path, monkeypatch):
    """Arrow alone reads the last cell of this file as "1\r" with 256-byte blocks (found by the test above)."""
    rows = [["aaa", "aab", "a名名"], ["", ";", "111111;三"], ["1", "11", '1111""三三'], ["1", "1;", "11111;三三"],
            ["1", "111", '111"三'], [";", "1;", "111111;三"], ["1;", ";三三", '111111""'],
            [";三", "111111;三", "111111;三"], ["11;", "1111;", '11111"三三'], ["11;", "111111;三", "11111;三三"],
            ["", "1\r\n", ""]]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";").writerows(rows)
    path = tmp_path / "t.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    monkeypatch.setattr(csv_source, "BLOCK_BYTES", 256)
    got = pd.concat(read(path, rows=4, delimiter=";"), ignore_index=True)
    assert got.iloc[-1, 1] == "1\r\n"
    pd.testing.assert_frame_equal(got, standard_library(buffer.getvalue(), ";"))


def test_a_ragged_row_far_into_the_file_is_named_by_its_line_without_its_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "BLOCK_BYTES", 1024)
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "1,\"x\ny\"\n" * 500 + "2,3,13812345678\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read(path, rows=100)
    assert str(error.value) == "ragged rows: line 1002 has 3 fields, the header has 2"


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeff姓名,编号\n张三,007\n".encode())
    (frame,) = read(path)
    assert list(frame.columns) == ["姓名", "编号"] and frame.iloc[0].tolist() == ["张三", "007"]


def test_gbk_is_read_through_its_codec(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("姓名,编号\n张三,007\n".encode("gbk"))
    (frame,) = read(path, encoding="gbk")
    assert frame.iloc[0].tolist() == ["张三", "007"]


def test_bytes_the_declared_encoding_cannot_decode_are_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,\xff\xfe\n")
    with pytest.raises(SourceError, match="^cannot decode the file as utf-8$"):
        read(path)


@pytest.mark.parametrize("data, outcome", [
    (b"\na,b\n1,2\n", "ragged rows: line 2 has 2 fields, the header has 0"),  # Arrow alone skips the blank line
    (b"a,b", ["a", "b"]),  # a zero-row export without a final line break: Arrow alone refuses it
    (b'"a,b\n1,2\n', ["a,b\n1,2\n"]),
])
def test_files_arrow_reads_otherwise_read_as_the_standard_library_reads_them(tmp_path, data, outcome):
    """Found by an adversarial review: each of these differed from the standard library's reading."""
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    if isinstance(outcome, str):
        with pytest.raises(SourceError, match=f"^{outcome}$"):
            read(path)
    else:
        (frame,) = read(path)
        assert list(frame.columns) == outcome and len(frame) == 0


def test_a_bad_byte_past_the_first_block_of_a_gbk_file_is_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("姓名,编号\n".encode("gbk") + b"1,2\n" * 5000 + b"3,\xff\n")
    with pytest.raises(SourceError, match="^cannot decode the file as gbk$"):
        read(path, rows=1000, encoding="gbk")


def test_a_carriage_return_is_found_in_any_cell_of_a_parsed_column():
    """The byte search of a column's buffer sees a \\r in any cell, whatever the cell's position or type."""
    import pyarrow as pa

    column = pa.array(["a", None, "b\rc", "d"])
    assert csv_source._holds_carriage_return(column)
    assert not csv_source._holds_carriage_return(pa.array(["a", None, "bc"]))
    assert not csv_source._holds_carriage_return(pa.array([None, None], type=pa.string()))
    assert csv_source._holds_carriage_return(pa.array(["x\r"], type=pa.large_string()))
