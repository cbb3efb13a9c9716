"""Extract: every supported source becomes one raw Parquet file of text columns, or one clear line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.extract import SourceError, detect_encoding, file_chunks, read_chunks, sql_chunks, write_raw

ROWS = "姓名,身份证号,金额\n张三,11010519491231002X,0012\n李四,,35.5\n"


def extract(path: Path, fmt: str = "csv", encoding: str | None = None) -> pd.DataFrame:
    encoding = encoding or (detect_encoding(path) if fmt == "csv" else "utf-8")
    out = path.with_suffix(".raw.parquet")
    write_raw(file_chunks(path, fmt, encoding), out)
    return pd.concat(list(read_chunks(out)), ignore_index=True)


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk")],
)
def test_encodings_are_detected_and_values_kept_as_text(tmp_path, encoding, detected):
    path = tmp_path / "t.csv"
    path.write_bytes(ROWS.encode(encoding))
    assert detect_encoding(path) == detected
    frame = extract(path)
    assert list(frame.columns) == ["姓名", "身份证号", "金额"]
    assert frame.loc[0, "金额"] == "0012"  # leading zeros survive
    assert frame.loc[0, "身份证号"] == "11010519491231002X"
    assert pd.isna(frame.loc[1, "身份证号"])


def test_gb18030_only_characters_are_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("名称\n𠀀字\n".encode("gb18030"))  # outside GBK
    assert detect_encoding(path) == "gb18030"
    assert extract(path).iloc[0, 0] == "𠀀字"


def test_undecodable_bytes_give_an_offset_not_the_bytes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"\xff\xfe\xfd\x80\x81" * 3 + b"\n")
    with pytest.raises(SourceError, match=r"cannot decode the file as UTF-8, GBK or GB18030 \(first bad byte"):
        detect_encoding(path)


def test_empty_and_header_only_files_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="the file is empty"):
        extract(empty, encoding="utf-8")
    header = tmp_path / "header.csv"
    header.write_text("姓名,手机号码\n", encoding="utf-8")
    with pytest.raises(SourceError, match="has a header but no data rows"):
        extract(header)


def test_ragged_rows_name_the_line_and_counts(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6,13812345678\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        extract(path)
    assert str(error.value) == "ragged rows: line 3 has 4 fields, the header has 3"
    assert "13812345678" not in str(error.value)


def test_duplicate_and_blank_headers_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("姓名,姓名\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="names column '姓名' twice"):
        extract(path)


def test_xlsx_parquet_and_json_sources(tmp_path):
    frame = pd.DataFrame({"姓名": ["张三"], "编号": ["007"], "数量": [3]})
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_json(tmp_path / "t.json", orient="records", force_ascii=False)
    for name, fmt in [("t.xlsx", "xlsx"), ("t.parquet", "parquet"), ("t.json", "json")]:
        out = extract(tmp_path / name, fmt)
        assert out.loc[0, "姓名"] == "张三", name
        assert out.loc[0, "数量"] == "3", name


def test_semicolon_files_are_sniffed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    assert list(extract(path).columns) == ["a", "b"]


def test_sqlite_table_and_query(tmp_path):
    import sqlite3

    db = tmp_path / "t.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("create table t (name text, amount real)")
        connection.execute("insert into t values ('王五', 12.0), ('赵六', 3.5)")
    connection.close()
    url = f"sqlite:///{db}"
    table = pd.concat(list(sql_chunks(url, "t", None)))
    assert table["name"].tolist() == ["王五", "赵六"]
    query = pd.concat(list(sql_chunks(url, None, "select name from t where amount > 5")))
    assert query["name"].tolist() == ["王五"]


def test_an_unreachable_database_is_one_line_without_password():
    with pytest.raises(SourceError) as error:
        list(sql_chunks("postgresql://kaifang:s3cret@127.0.0.1:1/nowhere", "t", None))
    message = str(error.value)
    assert message.startswith("the SQL source cannot be reached")
    assert "s3cret" not in message and "\n" not in message


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path):
    missing = tmp_path / "nowhere.sqlite"
    with pytest.raises(SourceError, match="the SQLite database file does not exist"):
        list(sql_chunks(f"sqlite:///{missing}", "t", None))
    assert not missing.exists()


def test_a_file_without_a_header_row_is_refused_without_quoting_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("张三,13812345678\n李四,13987654321\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        extract(path)
    assert str(error.value) == ("the header of column 2 holds an identifier (a PHONE_NUMBER): a column name is "
                                "published, so rename it, or the file lacks a header row")


def test_a_header_holding_an_identifier_is_refused_by_position(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("编号,联系人13812345678\nA1,x\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        extract(path)
    assert "column 2" in str(error.value) and "13812345678" not in str(error.value)


def test_a_first_row_of_names_and_dates_is_taken_for_data(tmp_path):
    """No identifier in it, yet clearly a record: a name, a date and a number."""
    path = tmp_path / "t.csv"
    path.write_text("徐浩,1995-08-13,14200\n何秀云,1965-05-28,21000\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        extract(path)
    assert "lack a header row" in str(error.value)
    assert "徐浩" not in str(error.value) and "1995" not in str(error.value)


def test_long_cells_are_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("备注\n" + "很长的说明" * 60_000 + "\n", encoding="utf-8")
    assert len(extract(path).iloc[0, 0]) == 300_000


def test_a_header_that_is_a_personal_name_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("区县,徐浩\n历下区,是\n", encoding="utf-8")
    with pytest.raises(SourceError) as error:
        extract(path)
    assert "column 2 holds a personal name" in str(error.value) and "徐浩" not in str(error.value)


def test_pivot_tables_and_ordinary_words_make_good_headers(tmp_path):
    for header in ("区县,2020,2021,2022", "项目,费用", "项目,任务,完成情况", "月份,2023-01,2023-02"):
        path = tmp_path / "t.csv"
        path.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n", encoding="utf-8")
        assert len(extract(path)) == 1, header


def test_a_pass_over_the_run_files_holds_one_batch_of_arrow_memory_not_the_file(tmp_path, monkeypatch):
    """Seen at 10 M rows: pyarrow's pre-buffering batch reader kept the row groups it had read until the
    pass ended (600 MB of Arrow memory by the end of one pass), so each pass over the extract grew with
    the file instead of the chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import pipelines.extract

    monkeypatch.setattr(pipelines.extract, "CHUNK_ROWS", 10_000)
    rng = np.random.default_rng(7)
    path = tmp_path / "raw.parquet"
    with pq.ParquetWriter(path, pa.schema([("t", pa.string()), ("u", pa.string())])) as writer:
        for _ in range(40):
            texts = [f"{a:016x}{b:016x}" for a, b in rng.integers(0, 2**62, (10_000, 2)).tolist()]
            writer.write_table(pa.table({"t": texts, "u": texts[::-1]}))
    before, held = pa.total_allocated_bytes(), []
    for chunk in read_chunks(path):
        held.append(pa.total_allocated_bytes() - before)
        del chunk
    assert len(held) == 40
    assert max(held) < path.stat().st_size / 4
