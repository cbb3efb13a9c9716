"""The flow of an aggregate release (`release: aggregate`): thin Prefect tasks over pipelines.aggregate.

extract → aggregate (OpenDP noise on every cell) → guard (anonymizers.guard.aggregate) → validate (the
quality gate on the noisy table) → approve → spend from the ledger → publish. The exact input row count
is a statistic too, so the record keeps only the cells published, never it.
"""

from __future__ import annotations

from catalog.ledger import BudgetExceeded, Ledger
from catalog.record import ReleaseRecord
from catalog.store import CatalogStore
from pipelines import aggregate as agg
from pipelines import stages
from pipelines.approval import ApprovalRequest
from pipelines.flows import (
    StageFailure,
    _approved,
    _content_key,
    _safely,
    _stage_task,
    extract_task,
    publish_task,
)
from pipelines.spec import LoadedSpec, Policy


@_stage_task("aggregate")
def aggregate_task(loaded: LoadedSpec, extracted):
    return _safely("aggregate", agg.compute, extracted.path, extracted.columns, loaded)


@_stage_task("verify")
def verify_aggregate_task(loaded: LoadedSpec, policy: Policy, policy_sha: str, table, query, ledger: Ledger):
    def run():
        from anonymizers.guard.aggregate import AggregateFacts, decide_aggregate

        cost = agg.ledger_cost(table, query)
        limit = agg.allowance(policy, loaded.spec.id)
        state, status = agg.budget_state(ledger, loaded.spec.id, limit, *cost)
        facts = AggregateFacts(table=table, query=query, asked_epsilon=cost[0], asked_delta=cost[1], budget=state)
        rules = agg.aggregate_rules(loaded, policy, policy_sha)
        verdict = decide_aggregate(facts, agg.typed_frame(table, query), rules)
        use = agg.budget_use(status, *cost) if status is not None else None
        return verdict, agg.dp_record(table, query, loaded, cost, use)

    return _safely("verify", run)


@_stage_task("validate")
def validate_aggregate_task(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, frame,
                            files: stages.WorkFiles, store: CatalogStore):
    def run():
        from quality import PreviousRelease, validate_release

        previous = store.latest(loaded.spec.id)
        before = None if previous is None else PreviousRelease(
            row_count=previous.rows_out or 0, columns={c.name: c.type for c in previous.columns},
            released_at=previous.finished_at or previous.started_at)
        assert loaded.spec.aggregate is not None
        keys = [d.name or d.column for d in loaded.spec.aggregate.dimensions]
        return validate_release(
            frame, dataset_id=loaded.spec.id, key=keys,
            expectations=[e.model_dump() for e in loaded.spec.quality.expectations],
            row_count_tolerance=loaded.spec.quality.row_count_tolerance, previous=before,
            update_frequency=loaded.spec.update_frequency, sensitive_entities=policy.never_publish_raw,
            docs_dir=files.staged / "quality", min_share=policy.min_share)

    return _safely("validate", run)


def _refuse(record: ReleaseRecord, stage: str, cause: str) -> ReleaseRecord:
    record.status, record.failed_stage, record.failure = "refused", stage, cause
    return record


def run_aggregate(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, policy_sha: str,
                  files: stages.WorkFiles, store: CatalogStore, approval: ApprovalRequest | None = None,
                  retries: int = 0, retry_delay_seconds: float = 10.0) -> ReleaseRecord:
    """One aggregate release through its stages; the same contract as the record release's `_run_stages`."""
    from prefect.tasks import exponential_backoff

    spec = loaded.spec
    extract = extract_task if retries <= 0 else extract_task.with_options(
        retries=retries, retry_delay_seconds=exponential_backoff(retry_delay_seconds))
    extracted = extract(loaded, files, policy.source_roots)
    record.input_sha256, record.input_encoding = extracted.sha256, extracted.encoding
    record.content_key = _content_key(record, loaded, policy_sha, None)
    latest = store.latest(spec.id)
    if latest is not None and latest.content_key == record.content_key:
        record.status, record.version, record.release_path = "unchanged", latest.version, latest.release_path
        return record

    table, query = aggregate_task(loaded, extracted)
    ledger = Ledger(store)
    verdict, record.aggregate = verify_aggregate_task(loaded, policy, policy_sha, table, query, ledger)
    record.decision, record.evaluation = verdict.decision, verdict.evaluation
    frame = agg.typed_frame(table, query)
    record.columns, record.rows_out = agg.published_columns(table, query), len(frame)
    target = spec.open_class.effective_target.value
    if record.decision.published_class == "not_open":
        if target != "not_open":
            return _refuse(record, "verify", record.decision.reason)
        record.columns, record.rows_out = [], None
        return publish_task(record, None, files, store, spec.outputs)
    record.quality = validate_aggregate_task(record, loaded, policy, frame, files, store)
    if not record.quality.passed:
        return _refuse(record, "validate", "quality gate: " + "; ".join(record.quality.failed_critical))
    if not _approved(record, latest, policy, approval or ApprovalRequest()):
        return record
    limit = agg.allowance(policy, spec.id)
    assert limit is not None and record.aggregate is not None
    try:
        _safely("budget", ledger.spend, record, limit, record.aggregate.ledger_epsilon,
                record.aggregate.ledger_delta, rho=record.aggregate.rho,
                mechanism=", ".join(sorted({m.mechanism for m in record.aggregate.measures})))
    except StageFailure as failure:
        return _refuse(record, "budget", failure.cause)
    return publish_task(record, frame, files, store, spec.outputs, policy.csv_formula_guard)


__all__ = ["BudgetExceeded", "run_aggregate"]
