"""Benchmark of the release guard: its cost as a share of a release, on a table of N rows × 12 columns.

Run from the repository root:

    .venv/bin/python benchmarks/bench_guard.py                 # 1,000,000 rows (generates and caches the table)
    .venv/bin/python benchmarks/bench_guard.py --rows 100000

The table is the social-insurance sample's generator scaled up (names, resident IDs, phones, addresses,
employers, dates, amounts and a free-text remark column), cached as CSV under benchmarks/.cache. The
release runs the pipeline's own stage functions in this process (no Prefect): extract, detect, plan,
desensitize, privacy (optimal generalization over the sample's hierarchies), guard, quality gate (GX) and
writing the output files. Each stage is timed in CPU seconds (this process) and wall seconds; the
baseline, measured in the same run, is ``pandas.read_csv`` → ``to_parquet`` of the same file.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "benchmarks" / ".cache"


def table(rows: int) -> Path:
    path = CACHE / f"social_insurance_{rows}.csv"
    if path.is_file():
        return path
    import pandas as pd

    from pipelines.samples import social_insurance_rows

    CACHE.mkdir(parents=True, exist_ok=True)
    # Written block by block, so that a 10 M-row table never has to fit in memory; a partial file from an
    # interrupted run is never taken for a finished one.
    partial, done, seed = path.with_suffix(".partial"), 0, 1
    with partial.open("w", encoding="utf-8", newline="") as out:
        while done < rows:
            size = min(50_000, rows - done)
            frame = pd.DataFrame(social_insurance_rows(size, seed=seed))
            frame["参保人编号"] = [f"SI{done + i + 1:09d}" for i in range(size)]
            frame.to_csv(out, index=False, header=done == 0)
            done, seed = done + size, seed + 1
    partial.replace(path)
    return path


class RssPeak:
    """The highest resident set size since the last ``reset``: the kernel's own high-water mark.

    ``reset`` writes 5 to /proc/self/clear_refs, which sets ``VmHWM`` back to the current RSS (Linux
    4.0 and later), and ``peak`` reads it: exact however short a spike, and no sampling thread whose
    wake-ups would count in the stages' CPU. Where clear_refs cannot be written, a thread samples
    the RSS every 20 ms instead (getrusage only gives the peak of the whole process)."""

    def __init__(self) -> None:
        self.sampled = 0
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.exact = self._clear()
        if not self.exact:
            threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def _clear() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            return True
        except OSError:
            return False

    def now(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self.page

    @property
    def peak(self) -> int:
        if not self.exact:
            return self.sampled
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self.now()

    def _watch(self) -> None:
        while True:
            self.sampled = max(self.sampled, self.now())
            time.sleep(0.02)

    def reset(self) -> None:
        if not (self.exact and self._clear()):
            self.sampled = self.now()


RSS = RssPeak()
STAGE_PEAKS: dict[str, float] = {}  # stage -> peak RSS in MB while it ran


@contextmanager
def timed(results: dict, name: str):
    RSS.reset()
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    results[name] = (time.process_time() - cpu, time.perf_counter() - wall)
    STAGE_PEAKS[name] = max(RSS.peak, RSS.now()) / 2**20


def baseline(path: Path, out: Path) -> tuple[float, float]:
    import pandas as pd

    cpu, wall = time.process_time(), time.perf_counter()
    pd.read_csv(path, dtype="string").to_parquet(out)
    return time.process_time() - cpu, time.perf_counter() - wall


def release(path: Path, work: Path) -> dict[str, tuple[float, float]]:
    from catalog.staging import CellFixes, write_staged_chunks
    from pipelines import stages
    from pipelines.extract import detect_encoding, file_chunks, write_raw
    from pipelines.guarding import guard_rules, required_k, suppression_limit
    from pipelines.plan import build_plan
    from pipelines.publish import published_table
    from pipelines.spec import load_policy, load_spec
    from quality import validate_release_chunks

    loaded = load_spec(ROOT / "configs" / "datasets" / "social-insurance.yaml")
    spec = loaded.spec
    policy, policy_sha = load_policy(ROOT / "configs" / "policy.yaml")
    files = stages.WorkFiles(work)
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple[float, float]] = {}
    target = spec.open_class.effective_target
    k = required_k(spec, policy, target)
    with timed(results, "extract"):
        rows, columns = write_raw(file_chunks(path, "csv", detect_encoding(path), None, None), files.raw)
    with timed(results, "detect"):
        profile = stages.detect(files.raw, policy.min_share)
    with timed(results, "plan"):
        plan = build_plan(spec, policy, profile, columns, loaded.folder)
    with timed(results, "desensitize"):
        stages.desensitize(files, plan, b"bench-key-0123456789abcdef", date.today(), policy, target.value)
    with timed(results, "privacy"):
        outcome = stages.enforce_privacy(files, spec.privacy, k, suppression_limit(spec, policy), loaded.folder)
    with timed(results, "guard"):
        model_check = stages.check_privacy_model(files.output, spec.privacy, k)
        verdict = stages.guard(files, profile, plan, guard_rules(spec, policy, policy_sha, rows), rows,
                               outcome.suppressed, model_check)
    with timed(results, "validate"):  # as the flow's validate task: typed by a pass, validated by chunks
        table, published = published_table(files.output, plan)
        validate_release_chunks(table.source, dataset_id=spec.id, types=table.kinds, key=spec.quality.key,
                                expectations=[e.model_dump() for e in spec.quality.expectations],
                                quasi_identifiers=spec.privacy.quasi_identifiers, k=k,
                                docs_dir=files.staged / "quality", profiled=verdict.output_entities)
    with timed(results, "publish"):  # as the flow's publish task, up to the catalog's own bookkeeping
        write_staged_chunks(table.chunks(), files.staged, published, spec.outputs, True, CellFixes())
    results["_verdict"] = verdict.decision.reason  # type: ignore[assignment]
    return results


def print_stages(results: dict[str, tuple[float, float]], base_cpu: float) -> tuple[float, float]:
    """The per-stage table and the release's total; returns the total CPU and wall seconds."""
    total_cpu = sum(c for c, _ in results.values())
    total_wall = sum(w for _, w in results.values())
    print(f"{'stage':<12} {'CPU-s':>8} {'wall s':>8} {'share':>7} {'peak RSS':>9}")
    for name, (cpu, wall) in results.items():
        peak = f"{STAGE_PEAKS[name]:6.0f} MB" if name in STAGE_PEAKS else ""
        print(f"{name:<12} {cpu:8.1f} {wall:8.1f} {cpu / total_cpu:7.1%} {peak:>9}")
    print(f"{'release':<12} {total_cpu:8.1f} {total_wall:8.1f}   ({total_cpu / base_cpu:.1f}× the baseline in CPU)")
    return total_cpu, total_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = table(args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        base_cpu, base_wall = baseline(path, Path(scratch) / "copy.parquet")
        results = release(path, Path(scratch) / "run")
    verdict = results.pop("_verdict")
    print(f"rows {args.rows:,} × 13 columns; baseline read_csv → to_parquet: {base_cpu:.1f} CPU-s, {base_wall:.1f} s")
    total_cpu, _ = print_stages(results, base_cpu)
    guard_cpu = results["guard"][0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"guard: {guard_cpu:.1f} CPU-s = {guard_cpu / total_cpu:.1%} of the release, "
          f"{guard_cpu / base_cpu:.1f}× the baseline; peak RSS {peak:.0f} MB (privacy + guard: "
          f"{max(STAGE_PEAKS['privacy'], STAGE_PEAKS['guard']):.0f} MB)")
    print(f"decision: {verdict}")


if __name__ == "__main__":
    main()
