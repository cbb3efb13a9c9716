"""Differentially private counts against small-cell suppression, on the social-insurance sample at 1 M rows.

Run from the repository root:  .venv/bin/python benchmarks/bench_dp.py [--rows N] [--trials N]

The rows come from the sample generator (pipelines/samples.py, the same seed as configs/samples),
scaled to ``--rows`` (1,000,000 by default; generated once, about 3-4 minutes, then cached in
.kaifang/bench/). Two count tables over public key lists:

* coarse: 区县 × 参保险种 × 参保年份 (12 × 5 × 10 = 600 cells);
* fine: 区县 × 参保险种 × 参保年份 × 性别 × 出生年份 (12 × 5 × 10 × 2 × 50 = 60,000 cells), where small
  cells appear.

For each table it prints what each method loses and what it protects:

* DP (anonymizers.dp, OpenDP's discrete Laplace) at ε = 0.1, 0.5, 1, 2: the mean relative error per
  cell (|noisy - true| / max(true, 1), over every cell of the grid, averaged over ``--releases``
  releases) and OpenDP's 95 % accuracy;
* suppression of cells under 10 (the usual statistical-office rule): cells and people suppressed,
  and the mean relative error when a reader takes a suppressed cell as unknown (error 100 %).
* The differencing attack: the attacker gets the table with and without one target person (a later
  release after the person left, say) and knows the target's cell. Suppression publishes both
  tables exactly, so the cell's difference (or its disappearance at 10 → 9) tells whether the target
  is in the data, unless the cell is suppressed in both. Under DP each table has fresh OpenDP noise;
  the attacker guesses "in the data" when the first table's cell is larger. The success rate is over
  ``--trials`` random targets (50 % is a coin toss); DP's bound for two releases at ε each is
  e^(2ε) / (1 + e^(2ε)).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anonymizers.dp import Budget, Dimension, Measure, Query, accumulate, noisy_vector, plan_grid_measures  # noqa: E402
from pipelines.samples import INSURANCE_TYPES, JINAN_DISTRICTS, social_insurance_rows  # noqa: E402

EPSILONS = (0.1, 0.5, 1.0, 2.0)
THRESHOLD = 10
COLUMNS = ["区县", "参保险种", "参保日期", "性别", "出生日期"]
CACHE = ROOT / ".kaifang" / "bench"


def sample(rows: int, cache: Path = CACHE) -> pd.DataFrame:
    """The generator's rows (the columns the tables use), cached as Parquet after the first run."""
    path = cache / f"social_insurance_{rows}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    started = time.monotonic()
    frame = pd.DataFrame(social_insurance_rows(rows))[COLUMNS]
    cache.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    print(f"generated {rows:,} rows in {time.monotonic() - started:.0f} s (cached in {path})", flush=True)
    return frame


def tables() -> dict[str, tuple[Dimension, ...]]:
    districts = Dimension("区县", tuple(JINAN_DISTRICTS.values()), "区县")
    kinds = Dimension("参保险种", tuple(INSURANCE_TYPES), "参保险种")
    years = Dimension("参保日期", tuple(str(y) for y in range(2015, 2025)), "参保年份", part="year")
    sexes = Dimension("性别", ("男", "女"), "性别")
    births = Dimension("出生日期", tuple(str(y) for y in range(1955, 2005)), "出生年份", part="year")
    return {"coarse (600 cells)": (districts, kinds, years),
            "fine (60,000 cells)": (districts, kinds, years, sexes, births)}


def relative_error(noisy: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(np.abs(noisy - true) / np.maximum(true, 1)))


def dp_rows(query: Query, true: np.ndarray, releases: int, trials: int, targets: np.ndarray) -> list[list[str]]:
    rows = []
    for epsilon in EPSILONS:
        q = Query(dimensions=query.dimensions, measures=query.measures, budget=Budget(epsilon=epsilon))
        (plan,) = plan_grid_measures(q, len(true))
        errors = [relative_error(np.array(noisy_vector(true.tolist(), plan, zcdp=False)), true)
                  for _ in range(releases)]
        # The attack needs only the target's cell in each of the two tables (other cells do not help).
        with_target = np.array(noisy_vector(targets.tolist(), plan, zcdp=False))
        without = np.array(noisy_vector((targets - 1).tolist(), plan, zcdp=False))
        ties = with_target == without
        success = float(np.mean(with_target > without) + 0.5 * np.mean(ties))
        bound = math.exp(2 * epsilon) / (1 + math.exp(2 * epsilon))
        rows.append([f"DP ε={epsilon:g}", f"{np.mean(errors):.2%}", f"±{plan.accuracy:.1f}", "0", "0",
                     f"{success:.1%} (bound {bound:.1%})"])
    return rows


def suppression_row(true: np.ndarray, targets: np.ndarray) -> list[str]:
    suppressed = (true < THRESHOLD) & (true > 0)
    people = float(true[suppressed].sum() / true.sum())
    published = np.where(true < THRESHOLD, 0, true)
    error = relative_error(published, true)
    # Revealed unless the target's cell is suppressed with and without the target (count ≤ 9).
    revealed = targets >= THRESHOLD
    success = float(np.mean(revealed) + 0.5 * np.mean(~revealed))
    return [f"suppress < {THRESHOLD}", f"{error:.2%}", "exact or missing", f"{int(suppressed.sum()):,}",
            f"{people:.2%}", f"{success:.1%}"]


def print_table(title: str, rows: list[list[str]]) -> None:
    header = ["method", "mean rel. error", "95 % accuracy", "cells suppressed", "people suppressed",
              "differencing attack success"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--releases", type=int, default=3, help="DP releases averaged per ε")
    parser.add_argument("--trials", type=int, default=20_000, help="targets of the differencing attack")
    parser.add_argument("--cache", type=Path, default=CACHE, help="folder of the generated rows")
    args = parser.parse_args()
    frame = sample(args.rows, args.cache)
    rng = np.random.default_rng(20261201)
    print(f"social-insurance sample: {len(frame):,} rows; DP: OpenDP discrete Laplace, counts, 1 row per person")
    for title, dimensions in tables().items():
        query = Query(dimensions=dimensions, measures=(Measure("count", "人数"),), budget=Budget(epsilon=1.0))
        started = time.monotonic()
        chunks = (frame.iloc[i:i + 100_000] for i in range(0, len(frame), 100_000))
        exact = accumulate(chunks, query)
        seconds = time.monotonic() - started
        grid = query.grid or []
        true = np.array([exact.counts.get(k, 0) for k in grid], dtype=np.int64)
        # Targets: random people, each in their own cell (cells weighted by how many people they hold).
        targets = rng.choice(true, size=args.trials, p=true / true.sum())
        rows = dp_rows(query, true, args.releases, args.trials, targets) + [suppression_row(true, targets)]
        print_table(f"{title}: median {int(np.median(true))} people per cell, {int((true == 0).sum()):,} empty, "
                    f"exact cells of {len(frame):,} rows in {seconds:.1f} s", rows)


if __name__ == "__main__":
    main()
