"""`kaifang scan` full against Presidio's BatchAnalyzerEngine.analyze_dict with the same recognizers.

Run from the repository root:

    .venv/bin/python benchmarks/bench_scan.py                       # 1,000,000 rows x 12 columns
    .venv/bin/python benchmarks/bench_scan.py --rows 100000 --presidio-rows 1000

The table is benchmarks/detect_data/agency.py's 12-column agency table (names, IDs, phones, addresses,
plates, free-text remarks with embedded identifiers …), written once as CSV under benchmarks/.cache.
Measured in one run, CPU seconds (user + system):

* whole process: ``kaifang scan FILE --json`` as a child process (imports, reading, every cell), and a
  child process that imports Presidio, builds an ``AnalyzerEngine`` with Kaifang's registry and jieba
  pipeline (what ``scan_text`` used to call) and runs ``analyze_dict`` over the first ``--presidio-rows``
  rows of the same file;
* in process: ``profile_chunks`` over the file's chunks, against ``analyze_dict`` on the same sample.

Presidio is too slow for the whole table; its cells per CPU-second on the sample stand for the table
(its cost per cell does not fall with size). The ratio is Kaifang's cells per CPU-second over Presidio's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
CACHE = HERE / ".cache"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PRESIDIO_CHILD = """
import sys, time, resource
import pandas as pd
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from detectors.nlp import BlankChineseNlpEngine
from detectors.registry import build_registry
frame = pd.read_csv(sys.argv[1], dtype=str, nrows=int(sys.argv[2])).fillna("")
engine = AnalyzerEngine(registry=build_registry("zh"), nlp_engine=BlankChineseNlpEngine(), supported_languages=["zh"],
                        default_score_threshold=0.5,
                        context_aware_enhancer=LemmaContextAwareEnhancer(0.35, 0.5, 6, 2))
for _ in BatchAnalyzerEngine(analyzer_engine=engine).analyze_dict(frame.to_dict("list"), language="zh"):
    pass
"""


def table(rows: int) -> Path:
    """The agency table as CSV, generated chunk by chunk (deterministic) and cached."""
    from detect_data.agency import speed_table

    path = CACHE / f"agency_{rows}.csv"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for i, start in enumerate(range(0, rows, 100_000)):
        frame = speed_table(min(100_000, rows - start), seed=1000 + i)
        frame.to_csv(partial, mode="a", header=i == 0, index=False)
    partial.rename(path)
    return path


def child_cpu(command: list[str]) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"child failed: {' '.join(command[:3])} …")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started, usage.ru_maxrss / 1024


def in_process_kaifang(path: Path) -> float:
    from detectors import load_lexicon, profile_chunks
    from detectors.scan import get_analyzer
    from pipelines.extract import text_chunks

    get_analyzer()  # built once per process in real runs too
    cpu = time.process_time()
    profile_chunks(text_chunks(path), lexicon=load_lexicon())
    return time.process_time() - cpu


def in_process_presidio(path: Path, rows: int) -> float:
    import pandas as pd
    from presidio_analyzer import BatchAnalyzerEngine

    from detectors.scan import get_analyzer

    frame = pd.read_csv(path, dtype=str, nrows=rows).fillna("")
    data = frame.to_dict("list")
    batch = BatchAnalyzerEngine(analyzer_engine=get_analyzer())
    cpu = time.process_time()
    for _ in batch.analyze_dict(data, language="zh"):
        pass
    return time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--presidio-rows", type=int, default=2_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    path = table(args.rows)
    columns = 12
    cells, sample_cells = args.rows * columns, args.presidio_rows * columns
    kaifang = str(Path(sys.executable).with_name("kaifang"))
    k_cpu, k_wall, k_rss = child_cpu([kaifang, "scan", str(path), "--json"])
    p_cpu, p_wall, _ = child_cpu([sys.executable, "-c", PRESIDIO_CHILD, str(path), str(args.presidio_rows)])
    k_in = in_process_kaifang(path)
    p_in = in_process_presidio(path, args.presidio_rows)
    figures = {
        "rows": args.rows, "cells": cells, "presidio_rows": args.presidio_rows,
        "whole_process": {
            "kaifang_cpu_s": round(k_cpu, 1), "kaifang_wall_s": round(k_wall, 1), "kaifang_peak_rss_mb": round(k_rss),
            "kaifang_cells_per_cpu_s": round(cells / k_cpu),
            "presidio_cpu_s_on_sample": round(p_cpu, 1), "presidio_cells_per_cpu_s": round(sample_cells / p_cpu),
            "ratio": round((cells / k_cpu) / (sample_cells / p_cpu), 1),
        },
        "in_process": {
            "kaifang_cpu_s": round(k_in, 1), "kaifang_cells_per_cpu_s": round(cells / k_in),
            "presidio_cpu_s_on_sample": round(p_in, 1), "presidio_cells_per_cpu_s": round(sample_cells / p_in),
            "ratio": round((cells / k_in) / (sample_cells / p_in), 1),
        },
        "peak_rss_mb_this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"Table: {args.rows:,} rows x {columns} columns = {cells:,} cells ({path.name}); "
          f"Presidio on the first {args.presidio_rows:,} rows")
    for name, f in (("whole process", figures["whole_process"]), ("in process", figures["in_process"])):
        print(f"{name:>13}: kaifang scan {f['kaifang_cpu_s']} CPU-s = {f['kaifang_cells_per_cpu_s']:,} cells/CPU-s; "
              f"Presidio analyze_dict {f['presidio_cpu_s_on_sample']} CPU-s on the sample = "
              f"{f['presidio_cells_per_cpu_s']:,} cells/CPU-s -> {f['ratio']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
