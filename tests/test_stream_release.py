"""The last two stages stream: validate and publish a release output cut into many chunks and get the
verdict and the bytes one chunk gives; memory follows the chunk size, not the table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines import extract, stages
from pipelines.spec import load_policy, load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "configs" / "datasets" / "social-insurance.yaml"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The social-insurance sample taken through extract … privacy (the output validate and publish read)."""
    from pipelines.guarding import required_k, suppression_limit
    from pipelines.plan import build_plan

    loaded, (policy, _) = load_spec(SPEC), load_policy(ROOT / "configs" / "policy.yaml")
    spec, files = loaded.spec, stages.WorkFiles(tmp_path_factory.mktemp("stream"))
    target = spec.open_class.effective_target
    extracted = stages.extract(loaded, files)
    profile = stages.detect(files.raw, policy.min_share)
    plan = build_plan(spec, policy, profile, extracted.columns, loaded.folder)
    stages.desensitize(files, plan, b"k" * 32, date(2026, 1, 1), policy, target.value)
    stages.enforce_privacy(files, spec.privacy, required_k(spec, policy, target), suppression_limit(spec, policy),
                           loaded.folder)
    return loaded, policy, plan, files


def validate_and_publish(released, folder: Path):
    from catalog.staging import CellFixes, write_staged_chunks
    from pipelines.flows import quality_options
    from pipelines.publish import published_table
    from quality import validate_release_chunks

    loaded, policy, plan, files = released
    table, columns = published_table(files.output, plan)
    summary = validate_release_chunks(table.source, dataset_id=loaded.spec.id, types=table.kinds,
                                      docs_dir=folder / "quality", **quality_options(loaded, policy, plan, None))
    fixes = CellFixes()
    facts = write_staged_chunks(table.chunks(), folder, columns, loaded.spec.outputs, policy.csv_formula_guard,
                                fixes)
    return summary, columns, facts, fixes


def test_many_chunks_give_the_verdict_and_bytes_of_one(released, tmp_path, monkeypatch):
    one = validate_and_publish(released, tmp_path / "one")
    monkeypatch.setattr(extract, "CHUNK_ROWS", 150)
    assert sum(1 for _ in extract.read_chunks(released[3].output)) > 5
    many = validate_and_publish(released, tmp_path / "many")
    summary_one, summary_many = one[0], many[0]
    assert [o.model_dump() for o in summary_many.outcomes] == [o.model_dump() for o in summary_one.outcomes]
    assert summary_many.passed == summary_one.passed
    assert many[1] == one[1] and many[2] == one[2] and many[3] == one[3]  # types, file facts, cell fixes
    for name in ("data.csv", "data.parquet", "data.json"):
        assert (tmp_path / "many" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    rows = json.loads((tmp_path / "many" / "data.json").read_text(encoding="utf-8"))
    assert len(rows) == pd.read_parquet(tmp_path / "many" / "data.parquet").shape[0] == many[2][0].rows


def plain_output(folder: Path, rows: int) -> Path:
    """An output file of `rows` rows without identifiers (so the memory figure is not detection's)."""
    frame = pd.DataFrame({
        "编号": [f"N{i:08d}" for i in range(rows)],
        "区县": [f"区{i % 7}" for i in range(rows)],
        "年份": [str(1950 + i % 50) for i in range(rows)],
        "金额": [f"{i % 1000}.{i % 10}5" for i in range(rows)],
        "日期": [f"2024-0{1 + i % 9}-1{i % 10}" for i in range(rows)],
        "说明": [f"类{i % 97}{'甲乙丙'[i % 3]}" for i in range(rows)],
    }, dtype="string")
    path = folder / f"output_{rows}.parquet"
    frame.to_parquet(path, index=False)
    return path


def traced_peak(path: Path, folder: Path) -> float:
    import tracemalloc

    from catalog.staging import write_staged_chunks
    from pipelines.publish import published_table
    from quality import validate_release_chunks

    tracemalloc.start()
    try:
        table, columns = published_table(path, [])
        summary = validate_release_chunks(table.source, dataset_id="memory", types=table.kinds, key=["编号"],
                                          quasi_identifiers=["区县", "年份"], k=2, docs_dir=folder / "quality")
        write_staged_chunks(table.chunks(), folder, columns, ("csv", "parquet", "json"))
        assert summary.evaluated > 10
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_peak_memory_follows_the_chunk_not_the_table(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "CHUNK_ROWS", 3_000)
    import quality.expectations  # noqa: F401  GX's import is not the stage's memory

    small = traced_peak(plain_output(tmp_path, 6_000), tmp_path / "small")
    large = traced_peak(plain_output(tmp_path, 24_000), tmp_path / "large")
    # Four times the rows; a whole-table path would need about four times the memory.
    assert large < 2.0 * small, (small / 2**20, large / 2**20)


def test_the_gate_reusing_the_guards_counts_reaches_the_verdict_it_reaches_alone(released, tmp_path, monkeypatch):
    """The guard profiles the output file; the gate's residual-identifier checks read the same cells
    typed. Handing the gate the guard's counts (as the flow does) must not change a single outcome."""
    from pipelines.flows import quality_options
    from pipelines.guarding import guard_rules
    from pipelines.publish import published_table
    from quality import validate_release_chunks

    monkeypatch.setattr(extract, "CHUNK_ROWS", 300)  # several chunks: the path that uses the counts
    loaded, policy, plan, files = released
    _, policy_sha = load_policy(ROOT / "configs" / "policy.yaml")
    profile = stages.detect(files.raw, policy.min_share)
    rows = sum(len(c) for c in extract.read_chunks(files.raw))
    verdict = stages.guard(files, profile, plan, guard_rules(loaded.spec, policy, policy_sha, rows), rows, 0, None)
    assert verdict.output_entities is not None and verdict.output_entities.min_share == policy.min_share

    def gate(**extra):
        table, _ = published_table(files.output, plan)
        return validate_release_chunks(table.source, dataset_id=loaded.spec.id, types=table.kinds,
                                       **quality_options(loaded, policy, plan, None), **extra)

    alone, reused = gate(), gate(profiled=verdict.output_entities)
    assert [o.model_dump() for o in reused.outcomes] == [o.model_dump() for o in alone.outcomes]
    assert any(o.expectation.endswith("raw_identifier") for o in alone.outcomes)
