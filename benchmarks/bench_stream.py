"""Benchmark of the last two stages, validate + publish, streamed chunk by chunk against the whole-table path.

Run from the repository root (one command; the table and its release output are made once and cached
under benchmarks/.cache):

    .venv/bin/python benchmarks/bench_stream.py --rows 100000
    .venv/bin/python benchmarks/bench_stream.py --rows 1000000
    .venv/bin/python benchmarks/bench_stream.py --rows 400000 --chunk 10000   # memory against the 100k run

The output is the social-insurance table (bench_guard.py) taken through extract … privacy by the
pipeline's stage functions; above 100 k rows it is that 100 k output repeated (keys made unique).
Each measurement runs in a child process of its own, so its peak RSS is its own: the baseline
``pandas.read_csv`` → ``to_parquet`` of the same CSV (nothing of Kaifang imported); *whole*, the path
before streaming (the output loaded and typed whole, ``validate_release`` on the frame, ``write_staged``
of the frame, ``describe_written`` re-hashing the files); *stream*, what the flow runs now (a typing
pass, ``validate_release_chunks``, ``write_staged_chunks`` with write-time facts). Figures: CPU-s and
wall s of the two stages (imports excluded: GX is imported before the clock starts), peak RSS of the
child (imports included: Prefect, GX, detectors).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
CACHE = ROOT / "benchmarks" / ".cache"
SPEC = ROOT / "configs" / "datasets" / "social-insurance.yaml"
POLICY = ROOT / "configs" / "policy.yaml"
TILE = 100_000


def output(rows: int) -> Path:
    """The release output (after privacy) of the generated table, made once by the pipeline's stages."""
    from bench_guard import table

    work = CACHE / f"stream_{rows}"
    out = work / "output.parquet"
    if out.is_file():
        return out
    if rows > TILE and rows % TILE == 0:
        return tiled(rows, output(TILE), work)
    from pipelines import stages
    from pipelines.extract import detect_encoding, file_chunks, write_raw
    from pipelines.guarding import required_k, suppression_limit
    from pipelines.plan import build_plan
    from pipelines.spec import load_policy, load_spec

    path = table(rows)
    loaded, (policy, _) = load_spec(SPEC), load_policy(POLICY)
    spec, files = loaded.spec, stages.WorkFiles(work)
    work.mkdir(parents=True, exist_ok=True)
    target = spec.open_class.effective_target
    _, columns = write_raw(file_chunks(path, "csv", detect_encoding(path), None, None), files.raw)
    profile = stages.detect(files.raw, policy.min_share)
    plan = build_plan(spec, policy, profile, columns, loaded.folder)
    (work / "plan.json").write_text(json.dumps([p.model_dump(mode="json") for p in plan]), encoding="utf-8")
    stages.desensitize(files, plan, b"bench-key-0123456789abcdef", date.today(), policy, target.value)
    stages.enforce_privacy(files, spec.privacy, required_k(spec, policy, target), suppression_limit(spec, policy),
                           loaded.folder)
    files.raw.unlink()
    files.desensitized.unlink(missing_ok=True)
    return out


def tiled(rows: int, base: Path, work: Path) -> Path:
    """A larger output made of copies of the 100 k one (keys made unique): validate + publish see a
    realistic released table without running the earlier stages on a million rows."""
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (pa.compute)
    import pyarrow.parquet as pq

    work.mkdir(parents=True, exist_ok=True)
    (work / "plan.json").write_bytes((base.parent / "plan.json").read_bytes())
    table = pq.read_table(base)
    key = table.schema.get_field_index("参保人编号")
    with pq.ParquetWriter(work / "output.parquet", table.schema) as writer:
        for copy in range(rows // TILE):
            kind = table.schema.field(key).type
            keys = pa.compute.binary_join_element_wise(table.column(key), pa.scalar(f"-{copy}", kind),
                                                       pa.scalar("", kind))
            writer.write_table(table.set_column(key, table.field(key), keys))
    csv = CACHE / f"social_insurance_{rows}.csv"
    if not csv.is_file():  # the baseline copies a CSV of the same size
        from bench_guard import table as generated

        generated(rows)
    return work / "output.parquet"


def measure(mode: str, out: Path, scratch: Path, chunk: int | None, trace: bool) -> dict:
    """One measurement in this (child) process."""
    import pandas as pd

    if mode == "copy":  # nothing of Kaifang imported: the baseline's peak RSS is pandas' own
        csv = CACHE / f"social_insurance_{out.parent.name.split('_')[1]}.csv"
        cpu, wall = time.process_time(), time.perf_counter()
        pd.read_csv(csv, dtype="string").to_parquet(scratch / "copy.parquet")
        return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "passed": None}
    from catalog.record import ColumnPlan
    from pipelines import extract
    from pipelines.flows import quality_options
    from pipelines.spec import load_policy, load_spec
    from quality.run import quiet_gx_environment

    if mode != "copy":
        quiet_gx_environment()
        import great_expectations  # noqa: F401  imported before the clock (the import is not the stage)

        import quality.expectations  # noqa: F401

    if chunk:
        extract.CHUNK_ROWS = chunk
    loaded, (policy, _) = load_spec(SPEC), load_policy(POLICY)
    plan = [ColumnPlan(**p) for p in json.loads((out.parent / "plan.json").read_text(encoding="utf-8"))]
    options = quality_options(loaded, policy, plan, None)
    staged = scratch / "staged"
    if trace:
        import tracemalloc

        tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    if mode == "whole":
        from catalog.staging import write_staged
        from catalog.written import describe_written
        from pipelines.publish import typed_table
        from quality import validate_release

        frame, columns = typed_table(extract_all(out), plan)
        summary = validate_release(frame, dataset_id=loaded.spec.id, docs_dir=staged / "quality", **options)
        paths = write_staged(frame, staged, columns, loaded.spec.outputs, policy.csv_formula_guard)
        describe_written(staged, paths, len(frame), [str(c) for c in frame.columns])
        passed = summary.passed
    else:
        from catalog.staging import write_staged_chunks
        from pipelines.publish import published_table
        from quality import validate_release_chunks

        table, columns = published_table(out, plan)
        summary = validate_release_chunks(table.source, dataset_id=loaded.spec.id, types=table.kinds,
                                          docs_dir=staged / "quality", **options)
        write_staged_chunks(table.chunks(), staged, columns, loaded.spec.outputs, policy.csv_formula_guard)
        passed = summary.passed
    figures = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "passed": passed}
    if trace:
        figures["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return figures


def extract_all(out: Path):
    import pandas as pd

    from pipelines.extract import read_chunks

    return pd.concat(list(read_chunks(out)), ignore_index=True)


def child(mode: str, out: Path, scratch: Path, chunk: int | None = None, trace: bool = False) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory(dir=scratch) as work:
        command = [sys.executable, __file__, "--child", mode, "--output", str(out), "--scratch", work]
        command += ["--chunk", str(chunk)] if chunk else []
        command += ["--trace"] if trace else []
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"},
                              check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=None, help="rows per chunk (default: pipelines.extract's)")
    parser.add_argument("--child", choices=("copy", "whole", "stream"))
    parser.add_argument("--output", type=Path)
    parser.add_argument("--scratch", type=Path)
    parser.add_argument("--trace", action="store_true", help="also tracemalloc's peak (slow: GX allocates a lot)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.output, args.scratch, args.chunk, args.trace)))
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    out = output(args.rows)
    base = child("copy", out, CACHE)
    print(f"rows {args.rows:,}; baseline read_csv → to_parquet: {base['cpu']:.1f} CPU-s, {base['wall']:.1f} s, "
          f"peak RSS {base['rss_mb']:.0f} MB")
    print(f"{'validate+publish':<18} {'CPU-s':>7} {'wall s':>7} {'peak RSS MB':>12} {'× copy CPU':>11} {'passed':>7}")
    for mode in ("whole", "stream"):
        got = child(mode, out, CACHE, chunk=args.chunk, trace=args.trace)
        traced = f"  tracemalloc peak {got['traced_mb']:.0f} MB" if args.trace else ""
        print(f"{mode:<18} {got['cpu']:7.1f} {got['wall']:7.1f} {got['rss_mb']:12.0f} "
              f"{got['cpu'] / base['cpu']:11.1f} {got['passed']!s:>7}{traced}")


if __name__ == "__main__":
    main()
