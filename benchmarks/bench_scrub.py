"""Benchmark of free-text scrubbing: the vectorised operators against Presidio's engine span by span.

Run from the repository root (the table is generated once and cached, see bench_guard.py):

    .venv/bin/python benchmarks/bench_scrub.py --rows 100000

The spans of the remark column's distinct texts are found once (``scan_texts``) and shared by both
paths, so the comparison is of applying the operators: ``scrub_text`` (one operator call per entity
over all spans, spliced back by offset) against ``scrub_text_presidio`` (Presidio's AnonymizerEngine
with the Kaifang operator, one call per cell, one one-element Series per span). The outputs must be
identical; the script says so.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_guard import table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import pandas as pd

    from anonymizers.text import scrub_text, scrub_text_presidio
    from detectors import scan_texts
    from pipelines.plan import span_actions
    from pipelines.spec import load_policy

    remarks = pd.read_csv(table(args.rows), dtype="string", usecols=["备注"])["备注"]
    policy, _ = load_policy(ROOT / "configs" / "policy.yaml")
    actions = span_actions(policy, b"bench-key-0123456789abcdef", date(2024, 6, 30), "conditional")
    distinct = [str(v) for v in remarks.dropna().unique()]
    cpu = time.process_time()
    found = dict(zip(distinct, scan_texts(distinct), strict=True))
    scan = time.process_time() - cpu
    cpu = time.process_time()
    new = scrub_text(remarks, found.__getitem__, actions)
    vectorised = time.process_time() - cpu
    cpu = time.process_time()
    old = scrub_text_presidio(remarks, found.__getitem__, actions)
    presidio = time.process_time() - cpu
    print(f"{args.rows:,} remarks, {len(distinct):,} distinct; finding spans {scan:.1f} CPU-s "
          f"({scan / max(len(distinct), 1) * 1e3:.2f} ms per distinct text)")
    print(f"operators: Presidio span by span {presidio:.2f} CPU-s, vectorised {vectorised:.2f} CPU-s "
          f"({presidio / vectorised:.0f}× faster); identical output: {new.equals(old)}")


if __name__ == "__main__":
    main()
