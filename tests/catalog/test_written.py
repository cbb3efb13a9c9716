"""Published files are held to what their writer knew (rows, columns, bytes), not re-read through Frictionless."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from catalog.files import scan_staged
from catalog.staging import write_staged
from catalog.store import CatalogStore, PublishError
from catalog.written import check_written, describe_written
from tests.catalog.helpers import COLUMNS, frame, make_record

SCHEMA = [(c.name, c.type) for c in COLUMNS]


def written(folder: Path, table: pd.DataFrame):
    paths = write_staged(table, folder, COLUMNS)
    return describe_written(folder, paths, len(table), list(table.columns))


def problems(folder: Path, facts) -> list[str]:
    data, _ = scan_staged(folder)
    return check_written(folder, facts, {f.path: (f.bytes, f.sha256) for f in data}, SCHEMA)


def test_files_as_written_pass(tmp_path):
    assert problems(tmp_path, written(tmp_path, frame(5))) == []


def test_a_file_changed_after_writing_is_caught(tmp_path):
    facts = written(tmp_path, frame(5))
    with (tmp_path / "data.csv").open("a", encoding="utf-8") as out:
        out.write("站点9,2024-01-01,109,138****0000\n")
    assert problems(tmp_path, facts) == ["data.csv: bytes differ from what was written"]


def test_a_header_only_table_is_refused_like_frictionless_refuses_it(tmp_path):
    found = problems(tmp_path, written(tmp_path, frame(0)))
    dimensions = {p.split(":")[0] for p in found if "table-dimensions: 0 rows, at least 1 required" in p}
    assert dimensions == {"data.csv", "data.json", "data.parquet"}


def test_a_parquet_column_stored_as_text_where_the_schema_says_integer_is_a_type_error(tmp_path):
    table = frame(3)
    table["客流"] = table["客流"].astype(str)
    found = problems(tmp_path, written(tmp_path, table))
    assert len(found) == 1
    assert found[0].startswith("data.parquet: type-error (field 3): stored as ") and found[0].endswith("integer")
    assert not any("100" in p for p in found)  # positions and types, never a cell


def test_a_csv_whose_rows_differ_from_the_writer_count_is_caught(tmp_path):
    facts = written(tmp_path, frame(4))
    lying = [f if f.path != "data.csv" else type(f)(f.path, 5, f.columns, f.bytes, f.sha256) for f in facts]
    assert problems(tmp_path, lying) == ["data.csv: row count 4, 5 written"]


def test_a_file_nobody_wrote_is_refused(tmp_path):
    facts = written(tmp_path, frame(2))
    frame(2).to_csv(tmp_path / "extra.csv", index=False)
    assert problems(tmp_path, facts) == ["extra.csv: not written by the release (no facts to check it against)"]


def test_the_store_publishes_with_facts_and_the_frictionless_cli_accepts_the_package(tmp_path):
    staged = tmp_path / "staged"
    facts = written(staged, frame(3))
    store = CatalogStore(tmp_path / "catalog")
    record = store.publish(make_record(), staged, facts)
    folder = store.root / record.release_path
    run = subprocess.run([str(Path(sys.executable).with_name("frictionless")), "validate",
                          str(folder / "datapackage.json")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]


def test_the_store_refuses_files_that_changed_after_writing(tmp_path):
    staged = tmp_path / "staged"
    facts = written(staged, frame(3))
    frame(4).to_csv(staged / "data.csv", index=False)
    store = CatalogStore(tmp_path / "catalog")
    with pytest.raises(PublishError, match="data.csv: bytes differ"):
        store.publish(make_record(), staged, facts)
    assert store.latest("bus-ridership") is None
