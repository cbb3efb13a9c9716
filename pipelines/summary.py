"""The run summary: views of release records for the terminal and for Prefect artifacts.

Works on the records' JSON form so the same code renders a live run and a stored one.
"""

from __future__ import annotations

from typing import Any

from catalog.vocab import class_label

REPORT_LABEL = "quality report (中文)"
NONE = "—"


def shown(value: Any) -> str:
    """A value as a person reads it: '—' for a missing one, never 'None'."""
    return NONE if value is None or value == "" else str(value)


def _risk(record: dict[str, Any]) -> str:
    before, after = record.get("risk_before"), record.get("risk_after")
    if not before and not after:
        return "—"

    def fmt(r: dict | None) -> str:
        return "—" if not r else f"highest {r['prosecutor_highest']:.3f}, smallest class {r['min_class_size']}"

    return f"{fmt(before)} → {fmt(after)}"


def dataset_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Label/value pairs describing one dataset's release, in reading order."""
    decision = record.get("decision") or {}
    quality = record.get("quality") or {}
    dataset = record.get("dataset", {})
    treated = [p for p in record.get("plan", []) if p["action"] != "keep" or p.get("entity")]
    actions = ", ".join(
        f"{p['column']}" + (f" [{p['entity']}]" if p.get("entity") else "") + f" → {p['action']}" for p in treated
    ) or "—"
    sensitive = sorted({f"{f['column']} [{f['entity']}]" for f in record.get("findings", [])})
    lines = [
        ("dataset", f"{dataset.get('id', '?')} {dataset.get('title', '')}".strip()),
        ("status", record["status"] + (f" (version {record['version']})" if record.get("version") else "")),
        ("rows in → out", f"{shown(record.get('rows_in'))} → {shown(record.get('rows_out'))}"
                          + (f" ({record['suppressed']} suppressed)" if record.get("suppressed") else "")),
        ("sensitive columns", ", ".join(sensitive) or "none found"),
        ("actions", actions),
        ("class", f"{class_label(decision.get('declared_class') or dataset.get('declared_class'))} → "
                  f"{class_label(decision.get('published_class'))}"),
        ("why", shown(decision.get("reason"))),
        ("risk before → after", _risk(record)),
    ]
    approval = record.get("approval")
    if approval:
        verdict = "approved" if approval["approved"] else "not approved"
        lines.append(("approval", f"{approval['change']} {verdict} by {approval.get('steward') or 'nobody'} "
                                  f"({approval['via']}): {shown(approval.get('reason'))}"))
    evaluation = record.get("evaluation")
    if evaluation and evaluation.get("sections"):
        figures = evaluation.get("figures") or {}
        unique = figures.get("uniqueness") or {}
        parts = [f"{evaluation['standard']}: {'passed' if evaluation['passed'] else 'NOT passed'}"]
        if unique:
            parts.append(f"{unique['unique_records']} of {unique['records']} records unique on up to "
                         f"{unique['max_size']} columns")
        waivers = decision.get("waivers") or []
        if waivers:
            parts.append("waived: " + ", ".join(w["column"] for w in waivers))
        lines.append(("evaluation", "; ".join(parts)))
    dp = record.get("aggregate")
    if dp:  # differentially private statistics
        loss = f"ρ {dp['rho']:.4g}" if dp.get("rho") is not None else f"ε {dp.get('epsilon') or 0:.4g}"
        text = f"{dp['library']}, {dp['privacy_measure']}, {loss}, {dp['cells']} cells noised"
        if dp.get("budget"):
            b = dp["budget"]
            text += f"; budget {b['period']}: ε {b['remaining_epsilon']:.4g} of {b['budget_epsilon']:.4g} left"
        lines.append(("dp statistics", text))
    search = record.get("generalization")
    if search:
        levels = ", ".join(f"{q} level {lv}" for q, lv in zip(search["qi"], search["levels"], strict=True))
        lines.append(("generalization", f"{levels} ({search['model']}, {search['metric']} {search['value']:,.2f}; "
                                        f"{search['nodes_checked']} of {search['lattice_size']} nodes checked)"))
    if quality:
        failed = quality.get("failed_critical", []) + quality.get("failed_warning", [])
        verdict = "passed" if quality.get("passed") else "FAILED"
        lines.append(("quality", f"{verdict}: {quality.get('evaluated', 0)} expectations"
                                 + (f"; failed: {'; '.join(failed)}" if failed else "")))
    if record.get("failure"):
        lines.append(("cause", f"{shown(record.get('failed_stage'))}: {record['failure']}"))
    if record.get("release_path") and quality and record.get("outputs"):  # written with the data files
        lines.append((REPORT_LABEL, f"{record['release_path']}/quality/report.html"))
    if record.get("release_path"):
        lines.append(("outputs", record["release_path"]))
        for output in record.get("outputs", []):
            lines.append(("", output["path"]))
    return lines


def dataset_text(record: dict[str, Any]) -> str:
    lines = dataset_lines(record)
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in lines)


def _cell(label: str, value: str) -> str:
    """A markdown table cell; the quality report's path becomes a link relative to the catalog folder."""
    value = value.replace("|", "/")
    return f"[{value}]({value})" if label == REPORT_LABEL else value


def dataset_markdown(record: dict[str, Any]) -> str:
    rows = "\n".join(f"| {label} | {_cell(label, value)} |" for label, value in dataset_lines(record))
    return f"### {record.get('dataset', {}).get('id', '?')}\n\n| | |\n|---|---|\n{rows}\n"


def run_markdown(records: list[dict[str, Any]]) -> str:
    head = "| dataset | status | rows in → out | class | quality | cause |\n|---|---|---|---|---|---|\n"
    rows = []
    for r in records:
        decision = r.get("decision") or {}
        quality = r.get("quality") or {}
        rows.append(
            f"| {r.get('dataset', {}).get('id', '?')} | {r['status']} | {shown(r.get('rows_in'))} → "
            f"{shown(r.get('rows_out'))} | {shown(decision.get('declared_class'))} → "
            f"{shown(decision.get('published_class'))} | "
            f"{'passed' if quality.get('passed') else ('failed' if quality else '—')} | "
            f"{(r.get('failure') or '').replace('|', '/')} |"
        )
    details = "\n".join(dataset_markdown(r) for r in records)
    return "## Kaifang release run\n\n" + head + "\n".join(rows) + "\n\n" + details


def quality_rows(quality: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"expectation": o["expectation"], "column": o.get("column") or NONE, "severity": o["severity"],
         "outcome": "passed" if o["success"] else "failed", "message": o["message"]}
        for o in quality.get("outcomes", [])
    ]
