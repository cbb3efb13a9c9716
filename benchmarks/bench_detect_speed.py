"""Full-scan speed of the column profiler against Presidio's BatchAnalyzerEngine.

Run:  .venv/bin/python benchmarks/bench_detect_speed.py [--rows 1000000] [--chunk 100000] [--presidio-rows 2000]

The table is the 12-column agency table of benchmarks/detect_data/agency.py (names, gender,
birth date, resident ID, mobile, address, ethnicity, plate, decoy order number, amount,
district, free-text remarks with embedded identifiers), generated deterministically and
vectorized, one chunk at a time, so memory is bounded by a chunk: generation time is not
counted. Every cell goes through ``profile_chunks``.

Presidio runs ``BatchAnalyzerEngine.analyze_dict`` with the *same* Kaifang recognizers on the
first ``--presidio-rows`` rows (it is too slow for the whole table) and its rate is scaled to
the full table; both its no-model engine (NoOpNlpEngine, no context words) and the blank jieba
pipeline that ``scan_text`` uses are measured.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import pandas as pd  # noqa: E402
from detect_data.agency import speed_table  # noqa: E402

from detectors import profile_chunks  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Chunks:
    """Chunks generated on demand; the time spent generating is kept apart from profiling."""

    def __init__(self, rows: int, chunk: int, seed: int) -> None:
        self.rows, self.chunk, self.seed = rows, chunk, seed
        self.generating = 0.0
        self.generating_cpu = 0.0

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for i, start in enumerate(range(0, self.rows, self.chunk)):
            started, cpu = time.perf_counter(), time.process_time()
            frame = speed_table(min(self.chunk, self.rows - start), seed=self.seed * 1000 + i)
            self.generating += time.perf_counter() - started
            self.generating_cpu += time.process_time() - cpu
            yield frame


def presidio_rate(rows: int, engine: str) -> tuple[float, float]:
    """Cells per second (wall, CPU) of BatchAnalyzerEngine.analyze_dict with Kaifang's recognizers."""
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    from detectors.registry import build_registry
    from detectors.scan import get_analyzer

    if engine == "noop":
        nlp = NoOpNlpEngine(models=[{"lang_code": "zh", "model_name": "none"}])
        analyzer = AnalyzerEngine(registry=build_registry(), nlp_engine=nlp, supported_languages=["zh"])
    else:
        analyzer = get_analyzer()
    frame = speed_table(rows, seed=0)
    data = {k: [v if isinstance(v, str) else "" for v in col] for k, col in frame.to_dict("list").items()}
    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in batch.analyze_dict(data, language="zh"):
        pass
    return frame.size / (time.perf_counter() - started), frame.size / (time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--presidio-rows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--prose-limit",
        default=None,
        help="distinct prose cells per column sent to the Presidio analyzer (default: the library's; 'all')",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from detectors.scan import get_analyzer

    get_analyzer()  # built once per process in real runs too; not part of the scan time
    baseline_rss = peak_rss_mb()
    chunks = Chunks(args.rows, args.chunk, args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    options = {}
    if args.prose_limit is not None:
        options["prose_limit"] = None if args.prose_limit == "all" else int(args.prose_limit)
    profile = profile_chunks(chunks, **options)
    wall = time.perf_counter() - started - chunks.generating
    cpu = time.process_time() - cpu_started - chunks.generating_cpu
    cells = args.rows * 12
    ours, ours_cpu = cells / wall, cells / cpu

    figures = {
        "rows": args.rows,
        "cells": cells,
        "chunk_rows": args.chunk,
        "prose_limit": args.prose_limit or "default",
        "kaifang_seconds": round(wall, 2),
        "kaifang_cells_per_s": round(ours),
        "kaifang_cpu_seconds": round(cpu, 2),
        "kaifang_cells_per_cpu_s": round(ours_cpu),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_scan_mb": round(baseline_rss, 1),
        "columns": {c.name: c.primary for c in profile.columns},
    }
    if args.presidio_rows:
        for engine in ("noop", "blank_zh_jieba"):
            rate, rate_cpu = presidio_rate(args.presidio_rows, engine)
            figures[f"presidio_{engine}_cells_per_s"] = round(rate)
            figures[f"presidio_{engine}_cells_per_cpu_s"] = round(rate_cpu)
            figures[f"presidio_{engine}_scaled_seconds"] = round(cells / rate, 1)
            figures[f"speedup_vs_presidio_{engine}"] = round(ours / rate, 1)
            figures[f"cpu_speedup_vs_presidio_{engine}"] = round(ours_cpu / rate_cpu, 1)

    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    print(f"Table: {args.rows:,} rows x 12 columns = {cells:,} cells, chunks of {args.chunk:,} rows")
    print(f"Kaifang profile_chunks (every cell): {wall:.1f} s wall = {ours:,.0f} cells/s; "
          f"{cpu:.1f} CPU s = {ours_cpu:,.0f} cells per CPU second")
    print(f"Peak RSS {figures['peak_rss_mb']:.0f} MB (before the scan, with the analyzer loaded: "
          f"{baseline_rss:.0f} MB)")
    for engine in ("noop", "blank_zh_jieba"):
        key = f"presidio_{engine}_cells_per_s"
        if key in figures:
            print(f"Presidio BatchAnalyzerEngine.analyze_dict, same recognizers, {engine} NLP engine: "
                  f"{figures[key]:,} cells/s measured on {args.presidio_rows:,} rows, scaled to the table: "
                  f"{figures[f'presidio_{engine}_scaled_seconds']:,} s -> Kaifang is "
                  f"{figures[f'speedup_vs_presidio_{engine}']}x faster (CPU time: "
                  f"{figures[f'cpu_speedup_vs_presidio_{engine}']}x)")
    print("Columns:", ", ".join(f"{k}={v}" for k, v in figures["columns"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
