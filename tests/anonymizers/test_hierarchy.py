"""Loading ARX hierarchy files and the one-line errors that never show a data value."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from anonymizers.hierarchy import (
    Hierarchy,
    HierarchyError,
    MissingValueError,
    load_hierarchies,
    load_hierarchy,
    sniff_delimiter,
)

ADULT = Path(__file__).resolve().parents[1] / "data" / "arx_adult"
ADULT_QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
            "occupation", "salary-class"]


def test_adult_hierarchies_load_and_cover_the_data():
    hierarchies = load_hierarchies(ADULT, ADULT_QI)
    assert [hierarchies[c].levels for c in ADULT_QI] == [2, 5, 2, 3, 4, 3, 3, 3, 2]
    assert math.prod(h.levels for h in hierarchies.values()) == 12960
    df = pd.read_csv(ADULT / "adult.csv", sep=";")
    for column in ADULT_QI:
        assert len(hierarchies[column].rows_for(df[column], column)) == len(df)
    assert hierarchies["age"].generalize(pd.Series([39, 5]), 2, "age").tolist() == ["30-39", "0-9"]


def test_attribution_notice_is_kept_verbatim_with_the_data():
    notice = (ADULT / "NOTICE.md").read_text(encoding="utf-8")
    assert "Apache License 2.0" in notice and "CC BY 4.0" in notice


@pytest.mark.parametrize("delimiter", [";", ","])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    path = tmp_path / f"h{ord(delimiter)}.csv"
    path.write_text(f"a{delimiter}g1{delimiter}*\nb{delimiter}g1{delimiter}*\nc{delimiter}g2{delimiter}*\n")
    hierarchy = load_hierarchy(path)
    assert hierarchy.levels == 3 and hierarchy.domain_size == 3
    assert hierarchy.table[2].tolist() == ["c", "g2", "*"]


def test_semicolon_wins_when_labels_contain_commas():
    assert sniff_delimiter("Married, spouse;*\nSingle;*\n") == ";"
    assert sniff_delimiter("a,b\nc,d\n") == ","


def test_byte_order_mark_and_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeffa;*\n\nb;*\n".encode())
    assert load_hierarchy(path).table[:, 0].tolist() == ["a", "b"]


def test_files_found_by_arx_name_or_column_name(tmp_path):
    (tmp_path / "adult_hierarchy_age.csv").write_text("1;*\n2;*\n")
    (tmp_path / "zip.csv").write_text("1;*\n")
    (tmp_path / "adult_hierarchy_zip.csv").write_text("9;*\n")  # the exact name wins
    found = load_hierarchies(tmp_path, ["age", "zip"])
    assert found["age"].table[:, 0].tolist() == ["1", "2"]
    assert found["zip"].table[:, 0].tolist() == ["1"]


def test_missing_file_names_column_and_directory(tmp_path):
    with pytest.raises(HierarchyError) as info:
        load_hierarchies(tmp_path, ["salary"])
    message = str(info.value)
    assert "'salary'" in message and str(tmp_path) in message and "\n" not in message
    with pytest.raises(HierarchyError, match="does not exist"):
        load_hierarchy(tmp_path / "nope.csv")


def test_arx_style_name_beats_a_longer_column_with_the_same_ending(tmp_path):
    (tmp_path / "adult_hierarchy_salary_class.csv").write_text("a;*\n")
    (tmp_path / "adult_hierarchy_class.csv").write_text("b;*\n")
    found = load_hierarchies(tmp_path, ["class", "salary_class"])
    assert found["class"].table[0, 0] == "b" and found["salary_class"].table[0, 0] == "a"


def test_ambiguous_files_are_reported(tmp_path):
    (tmp_path / "a_age.csv").write_text("1;*\n")
    (tmp_path / "b_age.csv").write_text("1;*\n")
    with pytest.raises(HierarchyError, match="several"):
        load_hierarchies(tmp_path, ["age"])


def test_value_missing_from_hierarchy_names_column_and_file_not_the_value(tmp_path):
    path = tmp_path / "h_name.csv"
    path.write_text("Alice;*\nBob;*\n")
    hierarchy = load_hierarchy(path)
    with pytest.raises(MissingValueError) as info:
        hierarchy.rows_for(pd.Series(["Alice", "Zhang Wei 13800138000", None]), "name")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "'name'" in message and str(path) in message and "2 value(s)" in message and "1 of them" in message
    assert "Zhang" not in message and "13800138000" not in message and "\n" not in message


def test_nulls_match_an_empty_row_and_integral_floats_match_integers():
    hierarchy = Hierarchy.from_rows([["", "*"], ["39", "*"]])
    assert hierarchy.rows_for(pd.Series([39.0, None, float("nan")]), "age").tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a;b;*\nc;*\n", "row 2 has 2 levels"),
        ("a;*\na;*\n", "repeats a value"),
        ("a;g1;*\nb;g1;x\n", "not a tree"),
        ("", "empty"),
    ],
)
def test_malformed_files_are_rejected_in_one_line(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(HierarchyError, match=match) as info:
        load_hierarchy(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
