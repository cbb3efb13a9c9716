"""Periodic re-assessment (Art. 9 of the measures): which datasets would now qualify for a more open class.

The measures ask agencies to revisit not-open and conditional data as policy and techniques change.
`reassess_catalog` takes every spec in a folder whose dataset is not open or conditional now (its
latest published class, else its declared one), runs extract → detect → classify → desensitize →
verify → decide in a scratch folder with the target set one step more open, and reports the decision
with its checks. It publishes nothing and records no attempt: changing a class stays a steward's
decision (edit the spec's `open_class.target`, then release; the change is approved as usual).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from catalog.entry import published_class
from catalog.record import ReleaseRecord, utc_now
from catalog.store import CatalogStore
from catalog.vocab import class_label
from pipelines import stages
from pipelines.flows import StageFailure, _dataset_meta, assess, claimed_run_folder, prepare, sweep_dead_runs
from pipelines.spec import LoadedSpec, OpenClass, SpecError, load_policy, load_spec, spec_paths

NEXT_CLASS = {"not_open": "conditional", "conditional": "unconditional"}
PLACEHOLDER_CONDITIONS = "（开放条件待数据管理员确定）"


def _one_step_more_open(loaded: LoadedSpec, candidate: str) -> LoadedSpec:
    """The same spec with `open_class.target` set to the candidate class (not validated: a what-if)."""
    declaration = loaded.spec.open_class
    conditions = declaration.conditions or (PLACEHOLDER_CONDITIONS if candidate == "conditional" else None)
    hypothetical = declaration.model_copy(update={"target": OpenClass(candidate), "conditions": conditions})
    return loaded.model_copy(update={"spec": loaded.spec.model_copy(update={"open_class": hypothetical})})


def reassess_dataset(path: Path, store: CatalogStore, policy, policy_sha: str, scratch: Path,
                     run_id: str) -> dict[str, Any]:
    """One dataset's row of the report (names, classes, checks and figures; no raw values)."""
    try:
        loaded = load_spec(path)
    except SpecError as exc:
        return {"dataset": path.stem, "spec_path": str(path), "status": "failed", "reason": str(exc)}
    spec = loaded.spec
    latest = store.latest(spec.id)
    current = published_class(latest) if latest is not None else spec.open_class.declared.value
    row: dict[str, Any] = {"dataset": spec.id, "title": spec.title, "spec_path": str(loaded.path),
                           "current": current, "current_from": "catalog" if latest is not None else "declared",
                           "candidate": NEXT_CLASS.get(current), "failed_checks": []}
    if row["candidate"] is None:
        return row | {"status": "already unconditional", "reason": "unconditionally open: nothing to reassess"}
    if spec.release == "aggregate":  # DP statistics: the class is the policy's to bound, not a rerun's
        bound = f"at most {policy.aggregate_max_class} (policy aggregate_max_class)"
        return row | {"status": "not reassessed", "reason": f"differentially private statistics: {bound}"}
    what_if = _one_step_more_open(loaded, row["candidate"])
    record = ReleaseRecord(run_id=run_id, dataset=_dataset_meta(what_if), spec_path=str(loaded.path),
                           spec_sha256=loaded.sha256, policy_version=policy.version)
    files = stages.WorkFiles(scratch / spec.id)
    try:
        key, profile = prepare(record, what_if, policy, files)
        assess(record, what_if, policy, policy_sha, files, key, profile)
    except StageFailure as failure:
        return row | {"status": "failed", "reason": f"{failure.stage}: {failure.cause}"}
    finally:
        shutil.rmtree(files.folder, ignore_errors=True)
    decision = record.decision
    assert decision is not None
    qualifies = decision.published_class == row["candidate"]
    risk = record.risk_after
    return row | {
        "status": "qualifies" if qualifies else "does not qualify",
        "reason": decision.reason,
        "failed_checks": [f"{c.name}: {c.figure} (needs {c.requirement})" for c in decision.checks if not c.passed],
        "checks": [c.model_dump() for c in decision.checks],
        "rows_in": record.rows_in, "suppressed": record.suppressed,
        "highest_risk": risk.prosecutor_highest if risk else None,
        "smallest_class": risk.min_class_size if risk else None,
    }




def report_rows(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """(dataset, now, could be, result, why) per dataset, for the terminal and the artifact."""
    out = []
    for row in rows:
        why = "; ".join(row.get("failed_checks") or []) or row.get("reason", "")
        current, candidate = class_label(row.get("current")), class_label(row.get("candidate"))
        out.append((row["dataset"], current, candidate, row["status"], why))
    return out


def reassessment_markdown(rows: list[dict[str, Any]], policy_version: str) -> str:
    qualifying = [r["dataset"] for r in rows if r["status"] == "qualifies"]
    head = (f"## Periodic re-assessment (Art. 9), policy {policy_version}\n\n"
            + (f"**Now qualify for a more open class:** {', '.join(qualifying)}. A steward decides: set the "
               "spec's `open_class.target` and release (the change of class is approved as usual).\n\n"
               if qualifying else "No dataset qualifies for a more open class under the current policy.\n\n")
            + "| dataset | now | could be | result | why |\n|---|---|---|---|---|\n")
    body = "\n".join("| " + " | ".join(cell.replace("|", "/") for cell in line) + " |" for line in report_rows(rows))
    return head + body + "\n\nNothing was published; the scratch files were deleted.\n"


@flow(name="reassess_catalog", persist_result=False, log_prints=False)
def reassess_catalog(target: str, catalog_dir: str, policy_path: str) -> list[dict[str, Any]]:
    """Re-evaluate not-open and conditional datasets against the current policy; publish nothing."""
    policy, policy_sha = load_policy(policy_path)
    store = CatalogStore(Path(catalog_dir))
    run_id = "reassess-" + utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()
    sweep_dead_runs(Path(catalog_dir) / ".runs")
    with claimed_run_folder(Path(catalog_dir) / ".runs" / run_id) as scratch:
        rows = [reassess_dataset(path, store, policy, policy_sha, scratch, run_id) for path in spec_paths(target)]
    create_markdown_artifact(key="reassessment", markdown=reassessment_markdown(rows, policy.version),
                             description="Kaifang periodic re-assessment of open classes (Art. 9)")
    return rows
