"""The release record: the one document that travels with a run and grows at each stage.

The catalog entry, the run summary, Prefect artifacts and the audit trail are all views of it,
which is why it lives here: `catalog` depends on this record and nothing else of the pipeline.
It holds names, counts, figures and checksums, never a cell value of the input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OpenClassName = Literal["not_open", "conditional", "unconditional"]
Status = Literal["running", "published", "unchanged", "refused", "failed"]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetMeta(_Model):
    id: str
    title: str
    description: str
    publisher: str
    publisher_code: str | None = None
    theme: str
    keywords: list[str] = Field(default_factory=list)
    update_frequency: str
    licence: str
    contact: str | None = None
    declared_class: OpenClassName
    basis: list[str] = Field(default_factory=list)
    conditions: str | None = None


class ColumnFinding(_Model):
    column: str
    entity: str
    share: float
    score: float


class ColumnPlan(_Model):
    """What happens to one input column, and why."""

    column: str
    entity: str | None = None
    detected: str | None = Field(default=None, description="What detection found, whatever the spec says.")
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    source: Literal["spec", "policy", "default"] = "default"
    quasi_identifier: bool = False
    trade_secret: bool = False


class PublishedColumn(_Model):
    name: str
    type: Literal["string", "integer", "number", "boolean", "date", "datetime"]
    action: str
    entity: str | None = None


class RiskFigures(_Model):
    quasi_identifiers: list[str]
    records: int
    classes: int
    min_class_size: int
    prosecutor_average: float
    prosecutor_highest: float
    records_at_risk_share: float
    sample_uniques: int
    journalist_highest: float | None = None
    marketer_average: float | None = None


class Check(_Model):
    name: str
    passed: bool
    figure: str
    requirement: str


class Waiver(_Model):
    """A column the guard would refuse to publish raw, published as is on the steward's stated reason."""

    column: str
    reason: str
    kind: str = Field(description="What the guard found in the column: quasi_identifier or record_identifier.")


class EvaluationSection(_Model):
    """One part of the de-identification effect evaluation (GB/T 42460-2023), in Chinese."""

    key: str
    title: str
    passed: bool | None = Field(default=None, description="None: assessed, no requirement applies.")
    findings: list[str] = Field(default_factory=list)


class Evaluation(_Model):
    """De-identification effect evaluation in the shape of GB/T 42460-2023: scope, qualitative and
    quantitative evaluation, residual risk and conclusion. Figures only, never values."""

    standard: str = "GB/T 42460-2023"
    scenario: str
    sections: list[EvaluationSection] = Field(default_factory=list)
    residual_risk: str
    conclusion: str
    passed: bool
    figures: dict[str, Any] = Field(default_factory=dict)


class Decision(_Model):
    declared_class: OpenClassName
    basis: list[str]
    target_class: OpenClassName
    published_class: OpenClassName
    reclassified: bool
    reason: str
    checks: list[Check] = Field(default_factory=list)
    waivers: list[Waiver] = Field(default_factory=list)
    policy_version: str
    policy_sha256: str


class ExpectationOutcome(_Model):
    expectation: str
    column: str | None = None
    severity: Literal["critical", "warning"]
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    message: str


class QualitySummary(_Model):
    passed: bool
    evaluated: int
    failed_critical: list[str] = Field(default_factory=list)
    failed_warning: list[str] = Field(default_factory=list)
    outcomes: list[ExpectationOutcome] = Field(default_factory=list)
    docs_index: str | None = Field(
        default=None, description="Data Docs index, relative to the release folder."
    )


class Approval(_Model):
    """A steward's decision on a change of open class (or the policy's standing pre-approval)."""

    change: str = Field(description="The change decided on, e.g. 'not_open->conditional'.")
    approved: bool
    steward: str | None = Field(default=None, description="Who decided; None when nobody answered in time.")
    reason: str
    at: datetime = Field(default_factory=utc_now)
    via: Literal["policy", "command_line", "prefect"] = Field(
        description="policy: pre-approved; command_line: --approve-as or the operator; prefect: the paused run's form."
    )


class OutputFile(_Model):
    name: str
    path: str = Field(description="Relative to the release folder.")
    format: str
    media_type: str
    bytes: int
    sha256: str


class Coverage(_Model):
    """Temporal coverage of the published data (dct:temporal): ISO dates, or year-months when coarsened."""

    start: str
    end: str


class ReleaseRecord(_Model):
    run_id: str
    dataset: DatasetMeta
    status: Status = "running"
    failure: str | None = Field(default=None, description="One-line cause, safe to show.")
    failed_stage: str | None = None
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    spec_path: str
    spec_sha256: str
    policy_version: str
    input_sha256: str | None = None
    input_encoding: str | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    suppressed: int = 0
    findings: list[ColumnFinding] = Field(default_factory=list)
    plan: list[ColumnPlan] = Field(default_factory=list)
    residual_findings: list[ColumnFinding] = Field(default_factory=list)
    generalization: dict[str, Any] | None = Field(
        default=None, description="The optimal search's outcome: levels per quasi-identifier, metric, nodes."
    )
    risk_before: RiskFigures | None = None
    risk_after: RiskFigures | None = None
    decision: Decision | None = None
    evaluation: Evaluation | None = Field(
        default=None, description="The guard's de-identification effect evaluation (GB/T 42460-2023)."
    )
    approval: Approval | None = Field(
        default=None, description="The steward's decision, when the release changes the dataset's open class."
    )
    quality: QualitySummary | None = None
    columns: list[PublishedColumn] = Field(default_factory=list)
    outputs: list[OutputFile] = Field(default_factory=list)
    audit_anchor: dict[str, Any] | None = Field(
        default=None, description="The audit trail's newest entry (seq, hash) when this release was written."
    )
    cell_fixes: dict[str, int] = Field(
        default_factory=dict,
        description="Cells made safe in the outputs: control_characters replaced, formulas_neutralised (CSV).",
    )
    content_key: str | None = Field(
        default=None, description="Hash of spec, policy, input and key fingerprint: same key, same release."
    )
    version: int | None = None
    release_path: str | None = None
    published_at: datetime | None = Field(
        default=None, description="When the catalog published this version."
    )
    issued: datetime | None = Field(
        default=None, description="When the dataset was first published: stable across versions (dct:issued)."
    )
    previous_version: int | None = Field(
        default=None, description="The published version this one replaces (dcat:previousVersion)."
    )
    version_notes: str | None = Field(
        default=None, description="What changed since the previous version (adms:versionNotes); names and counts only."
    )
    temporal: Coverage | None = Field(
        default=None, description="Earliest and latest date in the published date columns (dct:temporal)."
    )
    catalog_entry: dict[str, Any] | None = Field(
        default=None, description="Chinese open-catalog fields (数据名称, 开放属性, …), set by the catalog."
    )
    actor: str | None = Field(
        default=None, description="Who started the attempt: a Prefect deployment, or user@host for a manual run."
    )
    flow_run_id: str | None = Field(default=None, description="The Prefect flow run of this dataset's release.")

    def stage_failed(self, stage: str, cause: str) -> None:
        self.status = "failed"
        self.failed_stage = stage
        self.failure = cause
        self.finished_at = utc_now()
