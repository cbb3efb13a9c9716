"""Benchmark of a whole release against a plain copy: CPU, wall and peak RSS, as ratios to the baseline.

Run from the repository root (one command; the table is generated once and cached under benchmarks/.cache):

    .venv/bin/python benchmarks/bench_release.py --rows 100000
    .venv/bin/python benchmarks/bench_release.py --rows 1000000
    .venv/bin/python benchmarks/bench_release.py --rows 10 --whole-only      # the fixed cost, first release
    .venv/bin/python benchmarks/bench_release.py --rows 10 --whole-only --warm   # …a project's later releases

The table is the social-insurance sample's generator scaled up (12 columns and a free-text remark
column; see bench_guard.py). Two measurements, each against the baseline ``pandas.read_csv`` →
``to_parquet`` of the same file measured in the same run:

- *whole process*: ``kaifang release SPEC --catalog DIR`` in a child process (the spec is the shipped
  social-insurance spec pointed at the generated file), CPU-seconds of the child and everything it
  starts (its Prefect API server included), wall seconds and the largest child's peak RSS;
- *in process*: the pipeline's stage functions called here (no Prefect), per stage, as bench_guard.py
  runs them, plus publishing into a catalog with the files checked against their write-time facts.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_guard import baseline, print_stages, release, table  # noqa: E402

BENCH_KEY = "62656e63682d6b65792d30313233343536373839616263646566303132333435"


def bench_spec(data: Path, folder: Path) -> Path:
    """The shipped social-insurance spec, reading ``data``; hierarchies stay where the repository has them."""
    text = (ROOT / "configs" / "datasets" / "social-insurance.yaml").read_text(encoding="utf-8")
    text = text.replace("path: ../samples/social_insurance.csv", f"path: {data}")
    text = text.replace("hierarchies: ../hierarchies/social-insurance",
                        f"hierarchies: {ROOT / 'configs' / 'hierarchies' / 'social-insurance'}")
    spec = folder / "bench.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def child(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """CPU-s (the child and all it waited for) and wall s of a command; its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    run = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, run.returncode


def whole_baseline(data: Path, scratch: Path) -> tuple[float, float]:
    """The copy as a process of its own, interpreter and imports included (the issue's baseline)."""
    code = f"import pandas as pd; pd.read_csv({str(data)!r}, dtype='string').to_parquet({str(scratch / 'c.parquet')!r})"
    cpu, wall, _ = child([sys.executable, "-c", code], dict(os.environ), scratch)
    return cpu, wall


def whole_process(data: Path, scratch: Path, warm: bool = False) -> tuple[float, float, float, int]:
    """CPU-s, wall s and peak RSS (MB, the largest child so far) of ``kaifang release``; its exit code.

    ``warm``: measure a second release in the same state folder, as a project's later releases run
    (Prefect's database migrated, jieba's dictionary cache written); else a fresh state folder."""
    spec = bench_spec(data, scratch)
    env = {**os.environ, "KAIFANG_PSEUDONYM_KEY": BENCH_KEY, "KAIFANG_STATE": str(scratch / "state")}
    env.pop("PREFECT_API_URL", None)
    kaifang = Path(sys.executable).with_name("kaifang")
    command = [str(kaifang), "release", str(spec), "--catalog", str(scratch / "catalog"),
               "--policy", str(ROOT / "configs" / "policy.yaml")]
    if warm:
        child(command, env, scratch)
    cpu, wall, code = child(command, env, scratch)
    return cpu, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, code


def publish_in_process(work: Path) -> tuple[float, float]:
    """What publishing adds to writing: hash the staged files, measure them again, check them against the facts."""
    import pyarrow.parquet as pq

    from catalog.files import scan_staged
    from catalog.written import check_written, describe_written

    staged = work / "staged"
    paths = sorted(p for p in staged.iterdir() if p.is_file() and p.name.startswith("data."))
    meta = pq.ParquetFile(staged / "data.parquet")
    cpu, wall = time.process_time(), time.perf_counter()
    facts = describe_written(staged, paths, meta.metadata.num_rows, meta.schema_arrow.names)
    data, _ = scan_staged(staged)
    schema = [(name, "") for name in meta.schema_arrow.names]
    problems = check_written(staged, facts, {f.path: (f.bytes, f.sha256) for f in data}, schema)
    assert not problems, problems
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--whole-only", action="store_true", help="only the whole-process release")
    parser.add_argument("--warm", action="store_true", help="time a second release in the same state folder")
    args = parser.parse_args()
    data = table(args.rows)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        base_cpu, base_wall = baseline(data, scratch / "copy.parquet")
        proc_cpu, proc_wall = whole_baseline(data, scratch)
        cpu, wall, rss, code = whole_process(data, scratch, args.warm)
        print(f"rows {args.rows:,}; baseline read_csv → to_parquet: in process {base_cpu:.2f} CPU-s, "
              f"{base_wall:.2f} s; as a process {proc_cpu:.2f} CPU-s, {proc_wall:.2f} s")
        print(f"whole process  kaifang release: {cpu:8.1f} CPU-s ({cpu / proc_cpu:5.1f}× the copy process), "
              f"{wall:7.1f} s wall ({wall / proc_wall:5.1f}×), peak RSS {rss:.0f} MB, exit {code}; "
              f"{cpu / max(args.rows, 1) * 1e6:.0f} CPU-µs per row")
        if args.whole_only:
            return
        results = release(data, scratch / "run")
        verdict = results.pop("_verdict")
        results["check files"] = publish_in_process(scratch / "run")
    print(f"in process (stage functions, no Prefect), decision: {verdict}")
    _, total_wall = print_stages(results, base_cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"in-process wall {total_wall / base_wall:.1f}× the baseline; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
