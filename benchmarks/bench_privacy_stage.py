"""Benchmark of the release's privacy stage streaming: CPU and peak RSS against the whole-table path.

Run from the repository root:

    .venv/bin/python benchmarks/bench_privacy_stage.py                  # 1,000,000 rows × 12 columns
    .venv/bin/python benchmarks/bench_privacy_stage.py --rows 100000

The table is bench_anonymize's deterministic synthetic census table (5 quasi-identifiers with their
hierarchies) plus a sensitive column and 6 payload columns of text, written as the run folder's
desensitized Parquet file in 100,000-row chunks. Measured in this process, in order:

* the stage as the release runs it (``pipelines.stages``): the optimal generalization (k = 10, 1 %
  suppression) from class counts summed chunk by chunk, applied chunk by chunk; the l-diversity check
  of the output and its risk figures, both from chunked class counts;
* the whole-table path it replaces: the quasi-identifiers (and sensitive column) of every row loaded
  into one frame for ``lattice.search`` and ``privacy_models.check_model``, the same answers asserted;
* the copy baseline, last: the whole file read into pandas and written back (``read_parquet`` →
  ``to_parquet``).

``--path streamed`` / ``--path whole`` run one path (with the copy) in a process of its own, so
neither inherits the other's freed memory.

Peak RSS is sampled every 20 ms (``bench_guard.RssPeak``) and printed as is and as the rise over the
RSS before each step.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_anonymize import synthetic  # noqa: E402
from bench_guard import RSS  # noqa: E402

from pipelines import stages  # noqa: E402
from pipelines.spec import Privacy  # noqa: E402

CHUNK = 100_000


def measure(name: str, run, figures: list) -> object:
    RSS.reset()
    start_rss = RSS.now()
    cpu, wall = time.process_time(), time.perf_counter()
    out = run()
    peak = max(RSS.peak, RSS.now())
    figures.append((name, time.process_time() - cpu, time.perf_counter() - wall, (peak - start_rss) / 2**20,
                    peak / 2**20))
    return out


def write_table(rows: int, folder: Path) -> tuple[stages.WorkFiles, Path]:
    df, hierarchies = synthetic(rows)
    rng = np.random.default_rng(7)
    df["diagnosis"] = rng.choice([f"d{i:02d}" for i in range(12)], size=rows)
    for j in range(6):
        df[f"payload{j}"] = pd.Series(rng.integers(0, 10**9, size=rows)).map(lambda v, j=j: f"text {j} {v:09d}")
    files = stages.WorkFiles(folder / "run")
    files.folder.mkdir(parents=True)
    stages._write_stream((df.iloc[i:i + CHUNK] for i in range(0, rows, CHUNK)), files.desensitized)
    base = folder / "hierarchies"
    base.mkdir()
    for column, hierarchy in hierarchies.items():
        with open(base / f"{column}.csv", "w", newline="", encoding="utf-8") as out:
            csv.writer(out, delimiter=";").writerows(hierarchy.table.tolist())
    return files, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--path", choices=["both", "streamed", "whole"], default="both",
                        help="run one path only (each in a process of its own gives clean peaks)")
    args = parser.parse_args()
    from anonymizers.hierarchy import load_hierarchies
    from anonymizers.lattice import search
    from anonymizers.privacy_models import check_model

    figures: list[tuple[str, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        files, base = write_table(args.rows, Path(scratch))
        qi = ["age", "zip", "sex", "education", "occupation"]
        privacy = Privacy(quasi_identifiers=qi, k=10, hierarchies=str(base), metric="entropy")
        checked = Privacy(quasi_identifiers=qi, k=10, sensitive="diagnosis", l=2)
        result = whole = outcome = streamed = None
        if args.path in ("whole", "both"):
            def whole_search():
                frame = pd.read_parquet(files.desensitized, columns=qi)
                return search(frame, qi, load_hierarchies(base, qi), stages.privacy_model(privacy, 10), 0.01,
                              "entropy")

            result = measure("whole-table: QIs loaded, search", whole_search, figures)
        if args.path in ("streamed", "both"):
            outcome = measure("privacy stage, streamed: search + apply",
                              lambda: stages.enforce_privacy(files, privacy, 10, 0.01, base), figures)
            streamed = measure("l-diversity check of the output, streamed",
                               lambda: stages.check_privacy_model(files.output, checked, 10), figures)
            measure("risk of the output, streamed", lambda: stages.risk(files.output, qi), figures)
        if args.path in ("whole", "both"):
            if outcome is None:  # the output the check reads, written without measuring
                stages.enforce_privacy(files, privacy, 10, 0.01, base)
            whole = measure("whole-table: QIs + sensitive loaded, check",
                            lambda: check_model(pd.read_parquet(files.output, columns=[*qi, "diagnosis"]), qi,
                                                stages.privacy_model(checked, 10), 0.0), figures)
        copy = Path(scratch) / "copy.parquet"
        measure("copy baseline (read_parquet → to_parquet)",
                lambda: pd.read_parquet(files.desensitized).to_parquet(copy), figures)
        if outcome is not None:
            print(f"streamed: optimum {outcome.generalization['levels']}, {outcome.suppressed:,} suppressed; "
                  f"l-diversity (anonymous, violating) {streamed}")
        if result is not None and whole is not None:
            print(f"whole table: optimum {list(result.levels)}, {result.suppressed:,} suppressed; l-diversity "
                  f"(anonymous, violating) {(whole.anonymous, whole.suppressed)}")
        if outcome is not None and result is not None and whole is not None:
            assert outcome.suppressed == result.suppressed
            assert list(result.levels) == outcome.generalization["levels"]
            assert outcome.kept == pq.ParquetFile(files.output).metadata.num_rows == args.rows - result.suppressed
            assert streamed == (whole.anonymous, whole.suppressed)
    base_cpu = figures[-1][1]
    print(f"rows {args.rows:,} × 12 columns, chunks of {CHUNK:,}; copy baseline measured last")
    print(f"{'step':<46} {'CPU-s':>7} {'wall s':>7} {'× copy':>7} {'RSS rise':>9} {'peak RSS':>9}")
    for name, cpu, wall, rise, peak in figures:
        print(f"{name:<46} {cpu:7.2f} {wall:7.2f} {cpu / base_cpu:7.2f} {rise:6.0f} MB {peak:6.0f} MB")


if __name__ == "__main__":
    main()
