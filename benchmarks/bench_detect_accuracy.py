"""Column-level detection accuracy of Kaifang's detectors against Presidio's built-in recognizers.

Run:  .venv/bin/python benchmarks/bench_detect_accuracy.py [--seed N] [--json]

The labelled set (benchmarks/detect_data/labelled.py) is generated deterministically: persons
(GBK file), enterprises, vehicles, travellers, decoy numbers that fail their checks, dirty and
masked formats, sparse columns and aggregate statistics. Each column's truth is the set of
entity types it holds. A detector "reports" a type for a column when it calls it present.

Baseline: Presidio's out-of-the-box predefined recognizers (RecognizerRegistry.load_predefined_
recognizers, NoOpNlpEngine since no spaCy model may be downloaded; its e-mail recognizer is
pointed at tldextract's bundled suffix list so it runs offline), applied to up to 200 cells per
column; a type is reported when it is found in at least half the cells, or in any cell of a
column whose cells average 15+ characters (prose). Presidio types with no Kaifang counterpart
(DATE_TIME, US_*, UK_*, …) count as false positives under OTHER.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from detect_data.labelled import Table, build  # noqa: E402

from detectors import profile_frame  # noqa: E402

PRESIDIO_TO_KAIFANG = {
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CN_BANK_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
}
SAMPLE = 200


def kaifang_predictions(tables: list[Table]) -> tuple[dict[tuple[str, str], set[str]], dict[str, float]]:
    """Column decisions, plus cell-level figures from the evidence.

    ``coverage``: in single-entity truth columns, the share of unmasked non-empty cells validated as
    the true type (dirty or garbage cells lower it). ``decoy_cells``: cells of the decoy and
    statistics tables validated as any identifier (these would be false alarms in the verify stage).
    """
    out = {}
    covered = total = decoy_cells = decoy_total = 0
    for table in tables:
        profile = profile_frame(table.frame)
        for column in profile.columns:
            out[(table.name, column.name)] = {e.type for e in column.entities}
            truth = table.truth.get(column.name, set())
            unmasked = column.non_empty - column.masked
            if len(truth) == 1 and not column.free_text:
                (kind,) = truth
                covered += sum(e.matches for e in column.evidence if e.type == kind)
                total += unmasked
            if not table.truth:
                decoy_cells += sum(e.matches for e in column.evidence if e.type != "TRADE_SECRET")
                decoy_total += column.non_empty
    cells = {"coverage": covered / total if total else 1.0, "decoy_cells": decoy_cells, "decoy_total": decoy_total}
    return out, cells


def presidio_engine():
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    offline = tldextract.TLDExtract(suffix_list_urls=())  # bundled snapshot, no download
    tldextract.extract = offline
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    nlp.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=None)
    registry.recognizers = [r for r in registry.recognizers if type(r).__name__ != "SpacyRecognizer"]
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def presidio_predictions(tables: list[Table]) -> dict[tuple[str, str], set[str]]:
    engine = presidio_engine()
    out = {}
    for table in tables:
        for name in table.frame.columns:
            cells = table.frame[name].dropna().astype(str).tolist()[:SAMPLE]
            found: Counter = Counter()
            for cell in cells:
                types = {PRESIDIO_TO_KAIFANG.get(r.entity_type, "OTHER") for r in engine.analyze(cell, language="en")}
                found.update(types)
            prose = bool(cells) and sum(map(len, cells)) / len(cells) >= 15
            out[(table.name, name)] = {
                t for t, count in found.items() if cells and (count / len(cells) >= 0.5 or prose)
            }
    return out


def score(tables: list[Table], predictions: dict[tuple[str, str], set[str]]) -> dict[str, dict[str, float]]:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for table in tables:
        for name in table.frame.columns:
            truth = table.truth.get(name, set())
            predicted = predictions[(table.name, name)]
            for t in predicted & truth:
                tp[t] += 1
            for t in predicted - truth:
                fp[t] += 1
            for t in truth - predicted:
                fn[t] += 1
    rows = {}
    for t in sorted(set(tp) | set(fp) | set(fn)) + ["overall"]:
        a, b, c = (sum(x.values()) for x in (tp, fp, fn)) if t == "overall" else (tp[t], fp[t], fn[t])
        precision = a / (a + b) if a + b else 1.0
        recall = a / (a + c) if a + c else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[t] = {"tp": a, "fp": b, "fn": c, "precision": precision, "recall": recall, "f1": f1}
    return rows


def decoy_reports(tables: list[Table], predictions: dict[tuple[str, str], set[str]]) -> int:
    """Columns of checksum-failing numbers (the decoy table) on which any identifier was reported."""
    return sum(1 for t in tables if t.name == "decoys" for c in t.frame.columns if predictions[(t.name, c)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-presidio", action="store_true", help="skip the Presidio baseline")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        tables = build(Path(folder), seed=args.seed)
    columns = sum(len(t.frame.columns) for t in tables)
    cells = sum(t.frame.size for t in tables)

    started = time.perf_counter()
    ours, cell_figures = kaifang_predictions(tables)
    ours_seconds = time.perf_counter() - started
    results = {"kaifang": score(tables, ours)}
    decoys = {"kaifang": decoy_reports(tables, ours)}
    if not args.no_presidio:
        started = time.perf_counter()
        theirs = presidio_predictions(tables)
        theirs_seconds = time.perf_counter() - started
        results["presidio_builtin"] = score(tables, theirs)
        decoys["presidio_builtin"] = decoy_reports(tables, theirs)

    if args.json:
        print(json.dumps({"tables": len(tables), "columns": columns, "cells": cells, "results": results,
                          "decoy_columns_with_reports": decoys, "kaifang_cells": cell_figures},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"Labelled set: {len(tables)} tables, {columns} columns, {cells} cells (seed {args.seed}).")
    print(f"Kaifang profile_frame: {ours_seconds:.2f} s (every cell).")
    if not args.no_presidio:
        print(f"Presidio built-in recognizers: {theirs_seconds:.2f} s (up to {SAMPLE} cells per column).")
    print()
    entities = sorted({t for r in results.values() for t in r} - {"overall"}) + ["overall"]
    header = f"{'entity':18s}" + "".join(f" | {name:^32s}" for name in results)
    print(header)
    print(f"{'':18s}" + "".join(f" | {'P':>6s} {'R':>6s} {'F1':>6s} {'tp/fp/fn':>11s}" for _ in results))
    print("-" * len(header))
    for t in entities:
        line = f"{t:18s}"
        for r in results.values():
            row = r.get(t)
            if row is None:
                line += f" | {'-':>6s} {'-':>6s} {'-':>6s} {'':>11s}"
            else:
                counts = f"{row['tp']}/{row['fp']}/{row['fn']}"
                line += f" | {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} {counts:>11s}"
        print(line)
    print()
    for name, count in decoys.items():
        print(f"{name}: decoy columns (checksum-failing numbers) with an identifier reported: {count}")
    print(f"kaifang cell level: {cell_figures['coverage']:.3%} of cells in identifier columns validated; "
          f"{cell_figures['decoy_cells']} of {cell_figures['decoy_total']} decoy/statistics cells validated "
          "as an identifier (evidence, below the presence threshold)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
