"""Benchmark of free-text scrubbing: the vectorised operators against Presidio's engine span by span.

Run from the repository root (the table is generated once and cached, see bench_guard.py):

    .venv/bin/python benchmarks/bench_scrub.py --rows 100000 [--spans-only]

Finding spans: the batch scanner (``scan_texts``: all distinct remarks in one batch) against
Presidio's ``AnalyzerEngine.analyze`` text by text with the same recognizers (``scan_text_presidio``,
what ``scan_texts`` did before), on the same distinct texts; the spans must be identical. The batch
runs first, on cold caches (Presidio, after it, reuses the jieba blocks the batch remembered, which
if anything flatters Presidio). Presidio runs on the first ``--presidio-texts`` distinct texts (it
is slow) and is scaled per text.

The spans found are then shared by both scrubbing paths, so that comparison is of applying the
operators: ``scrub_text`` (one operator call per entity over all spans, spliced back by offset)
against ``scrub_text_presidio`` (Presidio's AnonymizerEngine with the Kaifang operator, one call
per cell, one one-element Series per span). The outputs must be identical; the script says so.
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
    parser.add_argument("--presidio-texts", type=int, default=3_000)
    parser.add_argument("--spans-only", action="store_true", help="measure finding spans only, not the operators")
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
    from detectors.scan import get_analyzer, scan_text_presidio

    get_analyzer()
    sample = distinct[: args.presidio_texts]
    cpu = time.process_time()
    found = dict(zip(distinct, scan_texts(distinct), strict=True))
    scan = time.process_time() - cpu
    cpu = time.process_time()
    reference = [scan_text_presidio(t) for t in sample]
    before = (time.process_time() - cpu) / max(len(sample), 1)
    same = all(found[t] == r for t, r in zip(sample, reference, strict=True))
    print(f"{args.rows:,} remarks, {len(distinct):,} distinct. Finding spans: batch scanner {scan:.1f} CPU-s "
          f"({scan / max(len(distinct), 1) * 1e3:.2f} ms per distinct text); Presidio text by text "
          f"{before * 1e3:.2f} ms per text on {len(sample):,} texts = {before * len(distinct):.1f} CPU-s scaled "
          f"({before * len(distinct) / scan:.1f}x); identical spans: {same}")
    if args.spans_only:
        return
    cpu = time.process_time()
    new = scrub_text(remarks, found.__getitem__, actions)
    vectorised = time.process_time() - cpu
    cpu = time.process_time()
    old = scrub_text_presidio(remarks, found.__getitem__, actions)
    presidio = time.process_time() - cpu
    print(f"operators: Presidio span by span {presidio:.2f} CPU-s, vectorised {vectorised:.2f} CPU-s "
          f"({presidio / vectorised:.0f}× faster); identical output: {new.equals(old)}")

if __name__ == "__main__":
    main()
