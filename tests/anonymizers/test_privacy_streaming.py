"""The privacy stage loads only the quasi-identifiers and writes the treated table chunk by chunk,
with exactly the rows and values the whole-table treatment gave."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipelines.extract
from anonymizers.hierarchy import load_hierarchies
from anonymizers.lattice import apply_transformation, search
from anonymizers.privacy_models import check_model
from pipelines import stages
from pipelines.spec import Privacy

ADULT = Path(__file__).resolve().parents[1] / "data" / "arx_adult"
QI = ["sex", "age", "race", "marital-status"]


@pytest.fixture
def files(tmp_path, monkeypatch) -> stages.WorkFiles:
    monkeypatch.setattr(pipelines.extract, "CHUNK_ROWS", 997)  # many chunks, none aligned with anything
    frame = pd.read_csv(ADULT / "adult.csv", sep=";", dtype="string").head(6000)
    work = stages.WorkFiles(tmp_path / "run")
    work.folder.mkdir()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), work.desensitized)
    return work


def whole(files: stages.WorkFiles) -> pd.DataFrame:
    return pd.read_parquet(files.desensitized).astype("string")


def output(files: stages.WorkFiles) -> pd.DataFrame:
    return pd.read_parquet(files.output).astype("string").reset_index(drop=True)


def test_optimal_generalization_applied_chunk_by_chunk_equals_the_whole_table_result(files):
    privacy = Privacy(quasi_identifiers=QI, k=10, hierarchies=str(ADULT), metric="loss")
    outcome = stages.enforce_privacy(files, privacy, 10, 0.05, ADULT)
    frame = whole(files)
    result = search(frame, QI, load_hierarchies(ADULT, QI), stages.privacy_model(privacy, 10), 0.05, "loss")
    expected = apply_transformation(frame, result).astype("string").reset_index(drop=True)
    assert outcome.suppressed == result.suppressed > 0
    assert outcome.kept == len(expected)
    pd.testing.assert_frame_equal(output(files), expected)


def test_l_diversity_suppression_chunk_by_chunk_equals_the_whole_table_result(files):
    privacy = Privacy(quasi_identifiers=QI, k=2, sensitive="occupation", l=2)
    outcome = stages.enforce_privacy(files, privacy, 2, 1.0, ADULT)
    frame = whole(files)
    doomed = check_model(frame, QI, stages.privacy_model(privacy, 2), suppression_limit=1.0).suppressed_rows
    expected = frame.drop(index=frame.index[doomed]).reset_index(drop=True)
    assert outcome.suppressed == len(doomed) > 0
    pd.testing.assert_frame_equal(output(files), expected)


def test_no_solution_writes_an_empty_table_with_every_column(files):
    privacy = Privacy(quasi_identifiers=QI, k=100_000, hierarchies=str(ADULT))
    outcome = stages.enforce_privacy(files, privacy, 100_000, 0.0, ADULT)
    assert outcome.kept == 0
    assert pq.ParquetFile(files.output).schema_arrow.names == pq.ParquetFile(files.desensitized).schema_arrow.names
