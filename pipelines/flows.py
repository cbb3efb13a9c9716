"""Prefect flows: thin wrappers that run the stages in order and report.

`release_dataset` takes one spec through extract → detect → classify → desensitize → verify →
validate → publish. `release_folder` runs every spec in a folder; one dataset's failure does not stop
the others. Tasks pass paths and small summaries only, and persist nothing (no raw value can reach
Prefect's result storage); every error is turned into one safe line before Prefect sees it.

A release that would make a dataset more open waits for a steward's approval (pipelines/approval.py)
after the quality gate, in the flow itself; the extract retries a source that cannot be reached.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from prefect.tasks import exponential_backoff

from anonymizers.dp import DPError
from anonymizers.hierarchy import HierarchyError
from anonymizers.keys import KeyError_, key_fingerprint, load_key
from anonymizers.lattice import NoSolutionError
from anonymizers.operators import OperatorError
from anonymizers.privacy_models import ModelConfigError
from catalog.entry import published_class
from catalog.ledger import BudgetExceeded
from catalog.record import DatasetMeta, ReleaseRecord, utc_now
from catalog.staging import CellFixes, write_staged_chunks
from catalog.store import CatalogStore, PublishError
from detectors import LexiconError
from pipelines import progress as reporting
from pipelines import stages
from pipelines.approval import (
    ApprovalMode,
    ApprovalRequest,
    class_change,
    current_actor,
    resolve_mode,
    review_gate,
    seek_approval,
)
from pipelines.environment import state_dir
from pipelines.extract import SourceError, file_sha256
from pipelines.guarding import guard_rules, required_k, suppression_limit
from pipelines.plan import PlanError, build_plan, findings_from, needs_key
from pipelines.publish import PublishedTable, published_table
from pipelines.scaleout import engine, on_dask, task_runner
from pipelines.spec import LoadedSpec, Policy, SpecError, check_against_policy, load_policy, load_spec, spec_paths
from pipelines.summary import dataset_markdown, quality_rows, run_markdown
from quality.run import QualityError

SAFE_ERRORS: tuple[type[Exception], ...] = (
    SpecError, SourceError, PlanError, OperatorError, KeyError_, LexiconError, PublishError, HierarchyError,
    ModelConfigError, NoSolutionError, QualityError, DPError, BudgetExceeded,
)
DEBUG_ENV = "KAIFANG_DEBUG"
PIPELINE_VERSION = "1"


class StageFailure(Exception):
    """A stage failed; `cause` is one line that names no input value.

    `transient`: the source could not be reached (a network database down or timing out), so the same
    attempt may succeed a little later; the extract task retries only these.
    """

    def __init__(self, stage: str, cause: str, transient: bool = False) -> None:
        super().__init__(f"{stage}: {cause}")
        self.stage, self.cause, self.transient = stage, cause, transient


_TRANSIENT_WORDS = ("connect", "refused", "timeout", "timed out", "resolve", "no such host", "server closed",
                    "terminating", "too many clients", "the database system is starting up")


def _is_transient(exc: BaseException) -> bool:
    """Was this error caused by a source that could not be reached (worth retrying)?

    Follows the chain of causes: the extract stage turns driver errors into one-line SourceErrors
    `from None`, which keeps the driver error as context. A missing SQLite file or a rejected query
    is not transient; neither is anything about a file source.
    """
    import sqlalchemy.exc as sa_exc

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ConnectionError | TimeoutError):
            return True
        if isinstance(seen, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError |
                      sa_exc.TimeoutError):
            text = str(seen).lower()
            return "unable to open" not in text and any(word in text for word in _TRANSIENT_WORDS)
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_if_transient(task, task_run, state) -> bool:
    """Prefect's retry condition for the extract task: retry unreachable sources, nothing else."""
    try:
        state.result()
    except StageFailure as failure:
        return failure.transient
    except Exception:
        return False
    return False


def _safely(stage: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except StageFailure:
        raise
    except SAFE_ERRORS as exc:
        raise StageFailure(stage, str(exc), transient=_is_transient(exc)) from None
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        # Library messages may quote cell values; only the kind of error leaves this process.
        raise StageFailure(stage, f"unexpected {type(exc).__name__} (rerun with {DEBUG_ENV}=1 to see it)") from None


def _stage_task(name: str, rows: Callable[[Any], int | None] = lambda _: None, **options):
    """A stage as a Prefect task that reports its rows and seconds (display and task log; no values)."""
    def decorate(function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.monotonic()
            reporting.stage_started(name)
            result = function(*args, **kwargs)
            reporting.stage_finished(name, rows(result), time.monotonic() - started)
            return result

        return task(name=name, cache_policy=NO_CACHE, persist_result=False, log_prints=False, **options)(timed)

    return decorate


# Retries are set per run (`release_folder(retries=…, retry_delay_seconds=…)`); the condition is fixed.
@_stage_task("extract", rows=lambda extracted: extracted.rows, retry_condition_fn=_retry_if_transient)
def extract_task(loaded: LoadedSpec, files: stages.WorkFiles, source_roots: list[str] | None = None):
    _safely("extract", loaded.source_path, source_roots or [])  # confined before a byte is read
    return _safely("extract", stages.extract, loaded, files)


@_stage_task("detect", rows=lambda profile: profile.rows)
def detect_task(path: Path, min_share: float):
    return _safely("detect", stages.detect, path, min_share)


@_stage_task("classify")
def classify_task(loaded: LoadedSpec, policy: Policy, profile, columns: list[str]):
    return _safely("classify", build_plan, loaded.spec, policy, profile, columns, loaded.folder)


@_stage_task("desensitize", rows=lambda outcome: outcome.kept)
def desensitize_task(loaded: LoadedSpec, policy: Policy, files: stages.WorkFiles, plan, key: bytes | None, k: int,
                     limit: float, reference: date | None = None, mapped_parts: int | None = None):
    """Desensitize (here, or combine the `mapped_parts` that Dask workers wrote), then the privacy model."""
    def run() -> stages.PrivacyOutcome:
        target = loaded.spec.open_class.effective_target.value
        if mapped_parts is None:
            stages.desensitize(files, plan, key, reference or date.today(), policy, target)
        else:
            stages.combine_parts(files, mapped_parts)
        return stages.enforce_privacy(files, loaded.spec.privacy, k, limit, loaded.folder)

    return _safely("desensitize", run)


@task(name="desensitize-part", cache_policy=NO_CACHE, persist_result=False, log_prints=False)
def desensitize_part_task(files: stages.WorkFiles, index: int, plan, key_file: str | None, fingerprint: str | None,
                          reference: date, policy: Policy, target: str, project: str | None,
                          names_digest: str | None = None) -> int:
    """One part of desensitize on a Dask worker; returns its row count (the rows stay in the run folder)."""
    from pipelines.scaleout import run_part

    return _safely("desensitize", run_part, files, index, plan, key_file, fingerprint, reference, policy, target,
                   project, names_digest)


def _map_parts(loaded: LoadedSpec, policy: Policy, files: stages.WorkFiles, plan, key: bytes | None,
               reference: date) -> int:
    """Send every desensitize part to the flow's Dask cluster and wait for all; returns the part count.

    A worker that dies mid-part has its part rescheduled by Dask; a part that still fails (or a
    cluster that lost it) fails the dataset with one line.
    """
    from prefect.utilities.annotations import unmapped

    from pipelines.project import current

    count = stages.part_count(files)
    names_digest = stages.share_names(files)
    project = current()
    key_file = str(state_dir() / "pseudonym.key") if key is not None else None
    futures = desensitize_part_task.map(
        files=unmapped(files), index=list(range(count)), plan=unmapped(plan), key_file=unmapped(key_file),
        fingerprint=unmapped(key_fingerprint(key) if key is not None else None), reference=unmapped(reference),
        policy=unmapped(policy), target=unmapped(loaded.spec.open_class.effective_target.value),
        project=unmapped(str(project.root) if project is not None else None), names_digest=unmapped(names_digest))
    started = time.monotonic()
    try:
        rows = sum(future.result() for future in futures)
    except StageFailure:
        raise
    except Exception as exc:  # the cluster's own errors (a worker lost too often, a scheduler gone)
        raise StageFailure("desensitize", f"the Dask cluster did not finish a part ({type(exc).__name__})") from None
    reporting.stage_finished("desensitize on Dask", rows, time.monotonic() - started)
    return count


@_stage_task("verify")
def verify_task(loaded: LoadedSpec, files: stages.WorkFiles, record: ReleaseRecord, profile, policy: Policy,
                policy_sha: str, k: int):
    """The guard's verdict on the output: the decision, its checks and the evaluation."""
    def run():
        model_check = stages.check_privacy_model(files.output, loaded.spec.privacy, k)
        rules = guard_rules(loaded.spec, policy, policy_sha, record.rows_in)
        return stages.guard(files, profile, record.plan, rules, record.rows_in or 0, record.suppressed, model_check)

    return _safely("verify", run)


def quality_options(loaded: LoadedSpec, policy: Policy, plan: list, previous: ReleaseRecord | None) -> dict[str, Any]:
    """The quality gate's arguments for this spec and policy, against the dataset's latest release."""
    from quality import PreviousRelease

    before = None
    if previous is not None:
        before = PreviousRelease(row_count=previous.rows_out or 0, columns={c.name: c.type for c in previous.columns},
                                 released_at=previous.finished_at or previous.started_at)
    spec = loaded.spec
    return dict(
        key=spec.quality.key, expectations=[e.model_dump() for e in spec.quality.expectations],
        row_count_tolerance=spec.quality.row_count_tolerance, previous=before,
        update_frequency=spec.update_frequency, quasi_identifiers=spec.privacy.quasi_identifiers,
        k=required_k(spec, policy, spec.open_class.effective_target),
        published_as_is=[p.column for p in plan if p.action == "keep" and p.source == "spec"],
        sensitive_entities=policy.never_publish_raw, min_share=policy.min_share,
        synthetic={p.column: p.entity for p in plan if p.action == "surrogate" and p.entity},
    )


@_stage_task("validate", rows=lambda result: result[0].rows)
def validate_task(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, files: stages.WorkFiles,
                  store: CatalogStore, profiled=None):
    """The quality gate on the output, typed by a first pass and validated chunk by chunk (never whole);
    `profiled`: the guard's entity counts of the same output."""
    def run():
        from quality import validate_release_chunks

        table, columns = published_table(files.output, record.plan)
        summary = validate_release_chunks(table.source, dataset_id=loaded.spec.id, types=table.kinds,
                                          docs_dir=files.staged / "quality", profiled=profiled,
                                          **quality_options(loaded, policy, record.plan, store.latest(loaded.spec.id)))
        return table, columns, summary

    return _safely("validate", run)


@_stage_task("publish", rows=lambda record: record.rows_out)
def publish_task(record: ReleaseRecord, table: PublishedTable | pd.DataFrame | None, files: stages.WorkFiles,
                 store: CatalogStore, formats: list[str], csv_formula_guard: bool = True):
    """Write the files chunk by chunk; their facts (rows, columns, bytes, SHA-256) come from the writer.

    `table`: the record release's output, read a chunk at a time, or a statistics release's small frame.
    """
    def run() -> ReleaseRecord:
        if table is None:
            return store.publish(record, None)
        fixes = CellFixes()
        chunks = iter([table]) if isinstance(table, pd.DataFrame) else table.chunks()
        written = write_staged_chunks(chunks, files.staged, record.columns, formats, csv_formula_guard, fixes)
        record.cell_fixes = fixes.as_dict()
        return store.publish(record, files.staged, written)

    return _safely("publish", run)


def _dataset_meta(loaded: LoadedSpec) -> DatasetMeta:
    spec = loaded.spec
    return DatasetMeta(
        id=spec.id, title=spec.title, description=spec.description, publisher=spec.publisher,
        publisher_code=spec.publisher_code, theme=spec.theme, keywords=spec.keywords,
        update_frequency=spec.update_frequency, licence=spec.licence, contact=spec.contact,
        declared_class=spec.open_class.declared.value, basis=spec.open_class.basis,
        conditions=spec.open_class.conditions,
    )


def _content_key(record: ReleaseRecord, loaded: LoadedSpec, policy_sha: str, key: bytes | None) -> str:
    """Everything that shapes the output: same key, same release (so a rerun is `unchanged`)."""
    from detectors.lexicon import default_path

    files = [*loaded.referenced_files(), default_path()]
    digests = [f"{p.name}:{file_sha256(p) if p.is_file() else 'missing'}" for p in files]
    uses_age = any(p.params.get("to") == "age_band" for p in record.plan)
    parts = [PIPELINE_VERSION, record.spec_sha256, policy_sha, record.input_sha256 or "",
             key_fingerprint(key) if key else "", *digests, date.today().isoformat() if uses_age else ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def assess(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, policy_sha: str, files: stages.WorkFiles,
           key: bytes | None, profile):
    """desensitize → guard for the spec's target class, filling the record's figures, decision and evaluation.

    Needs the extract in `files.raw`, its profile and the plan in the record; publishes nothing (the
    periodic reassessment runs it with a more open target to see whether a dataset would now qualify).
    Returns the guard's entity counts of the output (`detectors.profile.EntityCounts`, or None), which
    the quality gate reuses instead of profiling the same output again.
    """
    spec = loaded.spec
    target = spec.open_class.effective_target
    quasi = list(spec.privacy.quasi_identifiers)
    k = required_k(spec, policy, target)
    limit = suppression_limit(spec, policy)
    record.risk_before = _safely("verify", stages.risk, files.raw, quasi)
    reference = date.today()
    parts = None
    if on_dask():
        parts = _map_parts(loaded, policy, files, record.plan, key, reference)
    outcome = desensitize_task(loaded, policy, files, record.plan, key, k, limit, reference, parts)
    record.rows_out, record.suppressed, record.generalization = outcome.kept, outcome.suppressed, outcome.generalization
    verdict = verify_task(loaded, files, record, profile, policy, policy_sha, k)
    record.decision, record.evaluation = verdict.decision, verdict.evaluation
    record.residual_findings, record.risk_after = verdict.residual, verdict.risk_after
    return verdict.output_entities


def _approved(record: ReleaseRecord, latest: ReleaseRecord | None, policy: Policy, request: ApprovalRequest) -> bool:
    """Does this release change the dataset's open class, and if so, did a steward (or the policy) approve?"""
    assert record.decision is not None
    current = published_class(latest) if latest is not None else record.dataset.declared_class
    change = class_change(current, record.decision.published_class)
    if change is None:
        return True
    record.approval = seek_approval(record, change, policy, request)
    if record.approval.approved:
        return True
    record.status, record.failed_stage = "refused", "approve"
    steward = record.approval.steward
    record.failure = f"not approved by {steward}: {record.approval.reason}" if steward else record.approval.reason
    return False


def prepare(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, files: stages.WorkFiles,
            retries: int = 0, retry_delay_seconds: float = 10.0) -> tuple[bytes | None, Any]:
    """extract → detect → classify, filling the record's input facts, findings and plan; returns the
    pseudonymization key when the plan needs one, and the input's profile for the guard. The extract
    retries an unreachable source `retries` times with exponential backoff (delay, 2 × delay, …)."""
    extract = extract_task
    if retries > 0:
        extract = extract_task.with_options(retries=retries,
                                            retry_delay_seconds=exponential_backoff(retry_delay_seconds))
    extracted = extract(loaded, files, policy.source_roots)
    record.rows_in, record.input_sha256, record.input_encoding = extracted.rows, extracted.sha256, extracted.encoding

    profile = detect_task(extracted.path, policy.min_share)
    record.findings = findings_from(profile)
    record.plan = classify_task(loaded, policy, profile, extracted.columns)

    key = _safely("desensitize", load_key, state_dir() / "pseudonym.key") if needs_key(record.plan, policy) else None
    return key, profile


def _run_stages(record: ReleaseRecord, loaded: LoadedSpec, policy: Policy, policy_sha: str,
                files: stages.WorkFiles, store: CatalogStore, approval: ApprovalRequest | None = None,
                retries: int = 0, retry_delay_seconds: float = 10.0) -> ReleaseRecord:
    spec = loaded.spec
    if spec.release == "aggregate":  # differentially private statistics: pipelines/aggregate_flow.py
        from pipelines.aggregate_flow import run_aggregate

        return run_aggregate(record, loaded, policy, policy_sha, files, store, approval, retries, retry_delay_seconds)
    key, profile = prepare(record, loaded, policy, files, retries, retry_delay_seconds)
    record.content_key = _content_key(record, loaded, policy_sha, key)
    latest = store.latest(spec.id)
    if latest is not None and latest.content_key == record.content_key:
        record.status, record.version = "unchanged", latest.version
        # The files it matches, so the summary lists them as it did for the first run.
        record.release_path, record.outputs = latest.release_path, list(latest.outputs)
        return record

    target = spec.open_class.effective_target
    profiled = assess(record, loaded, policy, policy_sha, files, key, profile)
    assert record.decision is not None
    if record.decision.published_class == "not_open" and target.value != "not_open":
        record.status = "refused"
        record.failure = record.decision.reason
        record.failed_stage = "verify"
        return record
    if record.decision.published_class == "not_open":
        return publish_task(record, None, files, store, spec.outputs)
    table, record.columns, record.quality = validate_task(record, loaded, policy, files, store, profiled)
    if not record.quality.passed:
        record.status, record.failed_stage = "refused", "validate"
        record.failure = "quality gate: " + "; ".join(record.quality.failed_critical)
        return record
    current = published_class(latest) if latest is not None else record.dataset.declared_class
    if (waiting := review_gate(record, current, policy, store)) is not None:
        record.status, record.failed_stage, record.failure = "refused", "review", waiting
        return record
    # Asked last, so the steward sees the decision's checks and the quality results together.
    if not _approved(record, latest, policy, approval or ApprovalRequest()):
        return record
    return publish_task(record, table, files, store, spec.outputs, policy.csv_formula_guard)


@flow(name="release_dataset", persist_result=False, log_prints=False)
def release_dataset(spec_path: str, catalog_dir: str, policy_path: str, run_id: str, approval: ApprovalMode = "auto",
                    approve_as: str | None = None, approve_reason: str | None = None, actor: str | None = None,
                    retries: int = 0, retry_delay_seconds: float = 10.0) -> dict[str, Any]:
    """Release one dataset; never raises, returns the release record as a dict (no raw values).

    `approval`, `approve_as`, `approve_reason`: how a change of open class gets approved (see
    pipelines/approval.py). `retries`, `retry_delay_seconds`: the extract task's retries of a source
    that cannot be reached, with exponential backoff.
    """
    from prefect.runtime import flow_run

    from pipelines.project import current

    current()  # a flow-run process finds the project (its lexicon) from $KAIFANG_PROJECT
    started = time.monotonic()
    store = CatalogStore(Path(catalog_dir))
    try:
        loaded = load_spec(spec_path)
        policy, policy_sha = load_policy(policy_path)
        check_against_policy(loaded, policy, policy_path)
    except SpecError as exc:
        return _dataset_end({"dataset": {"id": Path(spec_path).stem}, "status": "failed", "failed_stage": "check",
                       "failure": str(exc), "spec_path": spec_path, "seconds": round(time.monotonic() - started, 1)})
    record = ReleaseRecord(run_id=run_id, dataset=_dataset_meta(loaded), spec_path=str(loaded.path),
                           spec_sha256=loaded.sha256, policy_version=policy.version,
                           actor=actor or current_actor(), flow_run_id=flow_run.id)
    files = stages.WorkFiles(Path(catalog_dir) / ".runs" / run_id / loaded.spec.id)
    request = ApprovalRequest(mode=approval, approve_as=approve_as, reason=approve_reason)
    try:
        record = _run_stages(record, loaded, policy, policy_sha, files, store, request, retries, retry_delay_seconds)
    except StageFailure as failure:
        record.stage_failed(failure.stage, failure.cause)
    except Exception as exc:  # a defect of ours must not stop the other datasets nor print data
        if os.environ.get(DEBUG_ENV):
            raise
        record.stage_failed("release", f"unexpected {type(exc).__name__} (rerun with {DEBUG_ENV}=1 to see it)")
    finally:
        if not policy.keep_run_folder:
            shutil.rmtree(files.folder, ignore_errors=True)
    record.finished_at = record.finished_at or utc_now()
    if record.status != "published":
        unchanged_version = record.version
        _safely_record_attempt(store, record)
        if record.status == "unchanged":  # the release it matches, for the summary
            record.version = unchanged_version
    _report_dataset(record)
    result = record.model_dump(mode="json")
    result["seconds"] = round(time.monotonic() - started, 1)
    return _dataset_end(result)


# What each flow run of this process returned, by flow run id: a run whose state the server already
# failed (a pause that timed out) no longer carries our data in its state.
_RETURNED: dict[str, Any] = {}


def _ended(result: Any, failed: str | None = None):
    """The flow run's end: Failed with the one-line cause `failed` as its message, so that Prefect's
    notifications and automations fire, else the result itself; callers get it back with `_state_data`."""
    from prefect.runtime import flow_run

    _RETURNED[str(flow_run.id)] = result
    return Failed(message=failed, data=result) if failed else result


def _dataset_end(result: dict[str, Any]):
    failed = result["status"] in {"failed", "refused"}
    return _ended(result, f"{result['status']}: {result.get('failure') or 'no cause recorded'}" if failed else None)


def _state_data(state) -> Any:
    """What a flow run returned, whether it ended Completed or Failed (a crash is raised)."""
    run_id = str(state.state_details.flow_run_id)
    if run_id in _RETURNED:
        return _RETURNED.pop(run_id)
    data = state.result(raise_on_failure=False)
    if isinstance(data, BaseException):
        raise data
    return data


def _safely_record_attempt(store: CatalogStore, record: ReleaseRecord) -> None:
    try:
        store.record_attempt(record)
    except Exception as exc:  # the attempt log must not hide the dataset's own outcome
        print(f"warning: could not log the attempt for {record.dataset.id}: {type(exc).__name__}", file=sys.stderr)


def _report_dataset(record: ReleaseRecord) -> None:
    slug = "".join(c if c.isalnum() else "-" for c in record.dataset.id.lower())
    create_markdown_artifact(key=f"release-{slug}", markdown=dataset_markdown(record.model_dump(mode="json")),
                             description=f"Release summary of {record.dataset.id}")
    if record.quality is not None:
        create_table_artifact(key=f"quality-{slug}", table=quality_rows(record.quality.model_dump(mode="json")),
                              description=f"Expectations of {record.dataset.id}")


_OWNER_FILE = ".owner"
_SWEEP_MIN_AGE_SECONDS = 60


@contextmanager
def claimed_run_folder(folder: Path) -> Iterator[Path]:
    """Hold a run folder for this process's lifetime (flock on its owner file), then delete it.

    A process that dies midway (killed, out of memory, machine restart) leaves its raw extracts
    behind; the lock dies with it, so the next run's `sweep_dead_runs` can tell the folder is orphaned.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / _OWNER_FILE, "a+b") as owner:
        fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def sweep_dead_runs(runs: Path) -> list[str]:
    """Delete run folders whose owning process is gone (raw data must not outlive its run)."""
    removed: list[str] = []
    if not runs.is_dir():
        return removed
    for folder in runs.iterdir():
        try:
            if not folder.is_dir() or time.time() - folder.stat().st_mtime < _SWEEP_MIN_AGE_SECONDS:
                continue
            with open(folder / _OWNER_FILE, "a+b") as owner:
                try:
                    fcntl.flock(owner.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live run holds it
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        except OSError:
            continue
    return removed


def _runner_choice(policy_path: str, dask_address: str | None, workers: int | None) -> tuple[str | None, int]:
    """The run's Dask scheduler and local cluster size: the arguments, else the policy's `runner`."""
    from pipelines.scaleout import chosen

    try:
        runner = load_policy(policy_path)[0].runner
    except SpecError:  # each dataset then fails on the policy with its own line
        runner = None
    return chosen(runner, dask_address, workers)


def _project_root() -> Path | None:
    from pipelines.project import current

    project = current()
    return project.root if project is not None else None


def release_folder(target: str, catalog_dir: str, policy_path: str, **options: Any) -> list[dict[str, Any]]:
    """Run the `release_folder` flow and return its records, whether its run ended Completed or Failed.

    Options as for `release_folder_flow`. The Prefect flow run ends Failed when a dataset failed or was
    refused; callers in Python get the records either way.
    """
    return _state_data(release_folder_flow(target, catalog_dir, policy_path, return_state=True, **options))


@flow(name="release_folder", persist_result=False, log_prints=False)
def release_folder_flow(target: str, catalog_dir: str, policy_path: str, progress: bool = False,
                        approval: ApprovalMode = "auto",
                        approve_as: str | None = None, approve_reason: str | None = None, retries: int = 0,
                        retry_delay_seconds: float = 10.0, dask_address: str | None = None,
                        workers: int | None = None):
    """Release every spec under target, one after the other; a failure does not stop the rest.

    A release that would make a dataset more open needs approval. `approval` says how to get it:
    `auto` (default) waits for a steward in a Prefect deployment run and records the operator
    otherwise, `wait` always pauses for a steward, `operator` records the person running it, `refuse`
    refuses; `approve_as` names the approving steward (policy pre-approvals come first). `retries`
    retries the extract of an unreachable source with exponential backoff from `retry_delay_seconds`.
    `dask_address` (a Dask scheduler, tcp://HOST:PORT) or `workers` (a local cluster of that many
    processes) run the desensitize parts on Dask (pipelines/scaleout.py); unset, the policy's `runner` decides.
    """
    paths = spec_paths(target)
    run_id = utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()
    actor = current_actor()
    approval = resolve_mode(approval)  # here, where a deployment run is the current flow run
    results = []
    sweep_dead_runs(Path(catalog_dir) / ".runs")
    shown = reporting.use_display("auto" if progress else None)
    address, count = _runner_choice(policy_path, dask_address, workers)
    with claimed_run_folder(Path(catalog_dir) / ".runs" / run_id), engine(address, count, _project_root()) as cluster:
        runner = task_runner(cluster)
        dataset_flow = release_dataset.with_options(task_runner=runner) if runner is not None else release_dataset
        for number, path in enumerate(paths, start=1):
            shown.dataset_started(number, len(paths), path.name)
            result = _state_data(dataset_flow(str(path), catalog_dir, policy_path, run_id, approval=approval,
                                                 approve_as=approve_as, approve_reason=approve_reason, actor=actor,
                                                 retries=retries, retry_delay_seconds=retry_delay_seconds,
                                                 return_state=True))
            results.append(result)
            outcome = result["status"] + (f": {result['failure']}" if result.get("failure") else "")
            shown.dataset_finished(f"{result['dataset']['id']}: {outcome} ({result['seconds']} s)")
    reporting.use_display(None)
    create_markdown_artifact(key="release-run-summary", markdown=run_markdown(results),
                             description="Kaifang release run")
    failed = [r["dataset"]["id"] for r in results if r["status"] in {"failed", "refused"}]
    cause = f"{len(failed)} of {len(results)} datasets failed or were refused: " + ", ".join(failed)
    return _ended(results, cause if failed else None)
