"""Release specs and the global policy, as pydantic models.

Stewards edit YAML, not code, so every key is checked here and a mistake is reported
as one line naming the file, the key and what was expected (never a stack trace).
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalog.vocab import BASIS_ZH


class SpecError(ValueError):
    """A spec or policy file that cannot be used; the message is one line, safe to show.

    ``lines``: each problem as its own line (file, key, what was expected), for `kaifang check`.
    """

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or [message]


class OpenClass(StrEnum):
    NOT_OPEN = "not_open"
    CONDITIONAL = "conditional"
    UNCONDITIONAL = "unconditional"

    @property
    def openness(self) -> int:
        """Order used to tell whether a release opens a dataset further."""
        return {"not_open": 0, "conditional": 1, "unconditional": 2}[self.value]


# Grounds for the not-open and conditional classes, as listed in the measures (Art. 6-7).
NOT_OPEN_BASIS = {k: BASIS_ZH[k] for k in ("security", "trade_secret", "personal_information", "agreement", "law")}
CONDITIONAL_BASIS = {k: BASIS_ZH[k] for k in ("consent", "infrastructure", "risk_unassessed", "other_law")}
# Only these not-open grounds can be cured by desensitization (脱敏) or de-secretization (脱密), Art. 9.
CURABLE_BASIS = {"trade_secret", "personal_information"}

UpdateFrequency = Literal[
    "realtime", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual", "irregular", "never"
]

Action = Literal[
    "keep", "drop", "redact", "mask", "pseudonymize", "surrogate", "generalize", "aggregate",
    "date_shift", "noise", "scrub",
]
OutputFormat = Literal["csv", "parquet", "json"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSource(_Strict):
    path: str = Field(description="File path, relative to the spec file's folder.")
    format: Literal["csv", "xlsx", "parquet", "json"] | None = None
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    sheet: str | None = None
    delimiter: str | None = None


class SqlSource(_Strict):
    url: str = Field(description="SQLAlchemy URL; a relative sqlite path is taken from the spec's folder.")
    table: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSource:
        if bool(self.table) == bool(self.query):
            raise ValueError("give exactly one of 'table' or 'query'")
        return self


class Source(_Strict):
    file: FileSource | None = None
    sql: SqlSource | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if (self.file is None) == (self.sql is None):
            raise ValueError("give exactly one of 'file' or 'sql'")
        return self


class OpenClassDeclaration(_Strict):
    declared: OpenClass
    basis: list[str] = Field(default_factory=list)
    conditions: str | None = None
    target: OpenClass | None = Field(
        default=None, description="Class sought after desensitization; defaults to the declared class."
    )

    @model_validator(mode="after")
    def _basis_fits_class(self) -> OpenClassDeclaration:
        allowed = {OpenClass.NOT_OPEN: NOT_OPEN_BASIS, OpenClass.CONDITIONAL: CONDITIONAL_BASIS}.get(
            self.declared, {}
        )
        if self.declared != OpenClass.UNCONDITIONAL and not self.basis:
            raise ValueError(f"a {self.declared.value} class needs a basis: one or more of {sorted(allowed)}")
        unknown = [b for b in self.basis if b not in allowed]
        if unknown:
            raise ValueError(f"unknown basis {unknown} for {self.declared.value}; expected {sorted(allowed)}")
        target = self.target or self.declared
        if target == OpenClass.CONDITIONAL and not (self.conditions or "").strip():
            raise ValueError("a conditional release needs 'conditions' (the text shown to applicants)")
        if target.openness < self.declared.openness:
            raise ValueError("'target' may not be less open than 'declared'")
        return self

    @property
    def effective_target(self) -> OpenClass:
        return self.target or self.declared


def entity_names() -> set[str]:
    from detectors import vocabulary

    return set(vocabulary.names())


class ColumnRule(_Strict):
    action: Action
    entity: str | None = Field(default=None, description="Entity type, when detection should not decide.")

    @model_validator(mode="after")
    def _keep_needs_reason(self) -> ColumnRule:
        if self.action == "keep" and not (self.reason or "").strip():
            raise ValueError("a column published as is ('keep') needs a 'reason' for the decision record")
        return self

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str | None) -> str | None:
        if value is not None and value not in entity_names():
            raise ValueError(f"expected one of {sorted(entity_names())}")
        return value

    keep_first: int | None = Field(default=None, ge=0)
    keep_last: int | None = Field(default=None, ge=0)
    to: str | None = Field(default=None, description="Generalization target, e.g. birth_year, district, band.")
    width: float | None = Field(default=None, gt=0)
    digits: int | None = Field(default=None, ge=0)
    top: float | None = None
    bottom: float | None = None
    hierarchy: str | None = None
    level: int | None = Field(default=None, ge=0)
    reason: str | None = Field(default=None, description="Why a column is published as is.")
    quasi_identifier: bool | None = None


class Privacy(_Strict):
    quasi_identifiers: list[str] = Field(default_factory=list)
    k: int = Field(default=5, ge=1)
    suppression_limit: float | None = Field(default=None, ge=0, le=1)
    hierarchies: str | None = Field(
        default=None,
        description="Folder of ARX-format hierarchies, one per quasi-identifier: enables the optimal search.",
    )
    metric: Literal["entropy", "loss", "discernibility", "precision"] = "entropy"
    sensitive: str | None = Field(default=None, description="Sensitive column for l-diversity and t-closeness.")
    l: int | None = Field(default=None, ge=2)  # noqa: E741 - the model's own name
    l_variant: Literal["distinct", "entropy"] = "distinct"
    t: float | None = Field(default=None, gt=0, le=1)
    t_distance: Literal["equal", "ordered"] = "equal"
    waivers: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> reason: a column the guard finds to be a quasi-identifier or record identifier, "
                    "published as is on purpose (recorded in the decision and shown on the portal).",
    )
    population_size: int | None = Field(
        default=None, ge=1,
        description="Size of the population the records are drawn from, for the population-uniqueness estimate "
                    "(default: the table is the whole population, the conservative choice).",
    )

    @field_validator("waivers")
    @classmethod
    def _waivers_have_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        empty = [name for name, reason in value.items() if not str(reason or "").strip()]
        if empty:
            raise ValueError(f"a waiver needs a reason (waiver {len(value) - len(empty) + 1} has none)")
        return value

    @model_validator(mode="after")
    def _sensitive_for_l_and_t(self) -> Privacy:
        if (self.l is not None or self.t is not None) and not self.sensitive:
            raise ValueError("'l' and 't' need the 'sensitive' column")
        if self.hierarchies and not self.quasi_identifiers:
            raise ValueError("'hierarchies' needs 'quasi_identifiers'")
        return self


class Expectation(_Strict):
    expect: Literal[
        "not_null", "unique", "between", "in_set", "match_regex", "length_between",
        "row_count_between", "mean_between",
    ]
    column: str | None = None
    min: float | None = None
    max: float | None = None
    values: list[Any] | None = None
    regex: str | None = None
    mostly: float | None = Field(default=None, gt=0, le=1)
    severity: Literal["critical", "warning"] = "critical"

    @model_validator(mode="after")
    def _arguments(self) -> Expectation:
        if self.expect != "row_count_between" and not self.column:
            raise ValueError(f"'{self.expect}' needs a 'column'")
        if self.expect == "in_set" and not self.values:
            raise ValueError("'in_set' needs 'values'")
        if self.expect == "match_regex":
            if not self.regex:
                raise ValueError("'match_regex' needs 'regex'")
            re.compile(self.regex)
        if self.expect in {"between", "length_between", "row_count_between", "mean_between"} and (
            self.min is None and self.max is None
        ):
            raise ValueError(f"'{self.expect}' needs 'min' and/or 'max'")
        return self


class Quality(_Strict):
    key: list[str] = Field(default_factory=list, description="Columns that together identify a row.")
    row_count_tolerance: float = Field(default=0.5, ge=0)
    expectations: list[Expectation] = Field(default_factory=list)


class DimensionSpec(_Strict):
    """One axis of an aggregate table, with the public key list its cells come from (never the data)."""

    column: str = Field(min_length=1)
    name: str | None = Field(default=None, description="Column name in the published table (default: column).")
    codes: str | None = Field(default=None, description="A public code list, e.g. gb2260:370100 (Jinan's "
                                                         "county-level divisions, GB/T 2260 via python-stdnum).")
    months: str | None = Field(default=None, description="YYYY-MM..YYYY-MM: the months of a date column.")
    years: str | None = Field(default=None, description="YYYY..YYYY: the years of a date column.")
    values: list[str] | None = Field(default=None, description="An explicit public category list.")
    codes_file: str | None = Field(default=None, description="A UTF-8 text file, one key per line.")

    @model_validator(mode="after")
    def _one_key_source(self) -> DimensionSpec:
        from pipelines.codelists import check_range

        given = [k for k in ("codes", "months", "years", "values", "codes_file") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one key list per dimension, not {' and '.join(given)}")
        if self.values is not None and (not self.values or len(set(self.values)) != len(self.values)):
            raise ValueError("'values' must list distinct keys")
        for key in ("months", "years"):
            if getattr(self, key) is not None:
                check_range(key, getattr(self, key))
        if self.codes is not None and not re.fullmatch(r"gb2260:\d{6}", self.codes):
            raise ValueError("'codes' expects gb2260:<6-digit region code>, e.g. gb2260:370100")
        return self

    @property
    def has_keys(self) -> bool:
        return any(getattr(self, k) is not None for k in ("codes", "months", "years", "values", "codes_file"))


class MeasureSpec(_Strict):
    kind: Literal["count", "sum", "mean"]
    name: str | None = Field(default=None, description="Column name in the published table.")
    column: str | None = Field(default=None, description="The measured column (sum and mean).")
    clamp: tuple[int, int] | None = Field(default=None, description="[lower, upper]: each row's value is clamped "
                                                                    "to these bounds the steward sets.")

    @model_validator(mode="after")
    def _arguments(self) -> MeasureSpec:
        if self.kind == "count":
            if self.column is not None or self.clamp is not None:
                raise ValueError("a count takes no 'column' nor 'clamp'")
            return self
        if not self.column:
            raise ValueError(f"a {self.kind} needs a 'column'")
        if self.clamp is None:
            raise ValueError(f"a {self.kind} needs 'clamp: [lower, upper]' (the bounds of one row's value)")
        if self.clamp[0] >= self.clamp[1]:
            raise ValueError("'clamp' needs lower < upper")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return "count" if self.kind == "count" else f"{self.column}_{self.kind}"


class BudgetSpec(_Strict):
    epsilon: float | None = Field(default=None, gt=0, le=20, description="Pure ε-DP (discrete Laplace).")
    rho: float | None = Field(default=None, gt=0, le=20, description="ρ-zCDP (discrete Gaussian).")
    delta: float | None = Field(default=None, gt=0, lt=1e-2, description="δ: key selection; for a zCDP release, the "
                                                                         "δ at which the ledger counts its ε.")

    @model_validator(mode="after")
    def _one_measure(self) -> BudgetSpec:
        if (self.epsilon is None) == (self.rho is None):
            raise ValueError("give exactly one of 'epsilon' or 'rho'")
        if self.rho is not None and self.delta is None:
            raise ValueError("a 'rho' budget needs 'delta' (the ledger counts (ε, δ))")
        return self


class KeySelection(_Strict):
    threshold: int = Field(ge=1, description="Publish only keys whose noisy count reaches this value.")


MAX_AGGREGATE_CELLS = 1_000_000


class AggregateSpec(_Strict):
    dimensions: list[DimensionSpec] = Field(min_length=1, max_length=6)
    measures: list[MeasureSpec] = Field(min_length=1)
    budget: BudgetSpec
    contributions: int = Field(default=1, ge=1, le=1000, description="Most rows one person adds to the table.")
    person: str | None = Field(default=None, description="Column naming the person: rows beyond 'contributions' "
                                                         "per person are left out, so the bound holds.")
    key_selection: KeySelection | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AggregateSpec:
        if sum(m.kind == "count" for m in self.measures) > 1:
            raise ValueError("list at most one count measure")
        labels = [d.name or d.column for d in self.dimensions] + [m.label for m in self.measures]
        from anonymizers.dp import accuracy_label

        labels += [accuracy_label(m.label) for m in self.measures]  # each measure's accuracy column
        if len(set(labels)) != len(labels):
            raise ValueError("dimension and measure names (and their '_95%误差' accuracy columns) must be distinct")
        if len({d.column for d in self.dimensions}) != len(self.dimensions):
            raise ValueError("each dimension needs its own column")
        clamps: dict[str, tuple[int, int]] = {}
        for measure in self.measures:
            if measure.column and clamps.setdefault(measure.column, measure.clamp or (0, 0)) != measure.clamp:
                raise ValueError("a sum and a mean of one column need the same 'clamp'")
        if self.key_selection is None and not all(d.has_keys for d in self.dimensions):
            raise ValueError("every dimension needs a public key list (codes, months, years, values or codes_file) "
                             "unless key_selection is set")
        if self.key_selection is not None and (self.budget.epsilon is None or self.budget.delta is None):
            raise ValueError("key_selection needs an 'epsilon' budget with a 'delta'")
        return self


class ReleaseSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")]
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    publisher_code: str | None = None
    theme: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    update_frequency: UpdateFrequency
    licence: str = "CC-BY-4.0"
    contact: str | None = Field(default=None, description="Objection channel: e-mail or URL.")
    schedule: str | None = Field(default=None, description="Cron expression overriding the frequency.")
    source: Source
    open_class: OpenClassDeclaration
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    privacy: Privacy = Field(default_factory=Privacy)
    quality: Quality = Field(default_factory=Quality)
    outputs: list[OutputFormat] = Field(default_factory=lambda: ["csv", "parquet", "json"])
    release: Literal["records", "aggregate"] = Field(
        default="records", description="records: the desensitized table; aggregate: DP statistics ('aggregate').")
    aggregate: AggregateSpec | None = None

    # Not part of the YAML: where the spec came from, to resolve relative paths.
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("outputs")
    @classmethod
    def _outputs_unique(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one output format")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _aggregate_block(self) -> ReleaseSpec:
        if (self.release == "aggregate") != (self.aggregate is not None):
            raise ValueError("'release: aggregate' and the 'aggregate' block go together")
        if self.aggregate is not None and self.columns:
            raise ValueError("'columns' does not apply to an aggregate release (no record is published)")
        return self


class EntityDefault(_Strict):
    action: Action
    keep_first: int | None = None
    keep_last: int | None = None
    to: str | None = None
    width: float | None = None
    digits: int | None = None


# A change of open class that needs a steward's approval: only towards a more open class.
ClassChange = Literal["not_open->conditional", "not_open->unconditional", "conditional->unconditional"]


class ClassPolicy(_Strict):
    k: int = Field(ge=1)
    max_risk: float = Field(gt=0, le=1, description="Highest prosecutor re-identification risk allowed.")
    direct_identifier_actions: list[Action]
    max_unique_share: float = Field(
        default=0.0, ge=0, le=1,
        description="Largest share of records unique on a combination of a few published columns (the guard's "
                    "uniqueness attack).")
    max_population_unique_share: float = Field(
        default=0.0, ge=0, le=1, description="Largest estimated share of records unique in the population.")


class GuardPolicy(_Strict):
    """The guard's attack settings."""

    uniqueness_max_columns: int = Field(default=3, ge=1, le=5,
                                        description="Largest combination of published columns the uniqueness "
                                                    "attack tries.")
    mask_min_candidates: float = Field(default=1000, ge=1,
                                       description="Originals a masked value must stay consistent with.")
    mask_max_shown: dict[str, int] = Field(
        default_factory=dict, description="Entity -> most characters a mask may show (adds to the built-in caps).")


ReviewRoleName = Literal["agency_steward", "authority_reviewer", "expert_panel"]


class ReviewRole(_Strict):
    label: str = Field(min_length=1, max_length=50)
    token_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,63}$", description="Environment variable holding its token.")


def _default_roles() -> dict[str, ReviewRole]:
    return {
        "agency_steward": ReviewRole(label="数据提供单位", token_env="KAIFANG_AGENCY_TOKEN"),
        "authority_reviewer": ReviewRole(label="大数据主管部门", token_env="KAIFANG_AUTHORITY_TOKEN"),
        "expert_panel": ReviewRole(label="专家评审", token_env="KAIFANG_EXPERT_TOKEN"),
    }


class ReviewChainPolicy(_Strict):
    """Who reviews an open class (Art. 8 ¶4-5) and what the checks before opening tick (Art. 18)."""

    required: bool = Field(default=False, description="Refuse a conditional release, or any change of class, "
                                                      "until a finished review chain settled that class.")
    roles: dict[ReviewRoleName, ReviewRole] = Field(default_factory=_default_roles)
    formal_review: list[str] = Field(default_factory=lambda: [
        "开放类别及依据已记录", "有条件开放的条件已列明", "合法性审查已完成（需要时）", "已完成开放前风险评估",
        "目录信息（类别、类型、条件、更新频率）完整"], min_length=1)
    technical_check: list[str] = Field(default_factory=lambda: [
        "脱敏（去标识化）效果评估通过", "发布守卫各项检查通过", "数据质量检查通过", "机器可读格式与元数据校验通过",
        "审计记录可验证"], min_length=1)

    @model_validator(mode="after")
    def _every_role(self) -> ReviewChainPolicy:
        missing = {"agency_steward", "authority_reviewer", "expert_panel"} - set(self.roles)
        if missing:
            raise ValueError(f"roles: name every role ({', '.join(sorted(missing))} missing)")
        if len({r.token_env for r in self.roles.values()}) < len(self.roles):
            raise ValueError("roles: each role needs its own token_env")
        return self


class DPBudget(_Strict):
    """What a dataset may spend on differentially private releases per period (the ledger's limit)."""

    epsilon: float = Field(gt=0, le=100)
    delta: float = Field(default=0.0, ge=0, lt=1e-2)
    period: Literal["year", "quarter", "month", "ever"] = "year"


class RunnerPolicy(_Strict):
    """Where a release's chunk functions run: in the release's own process (the default), on an
    existing Dask cluster, or on a local cluster of worker processes started for the run."""

    dask_address: str | None = Field(
        default=None, description="Scheduler of an existing Dask cluster (tcp://HOST:PORT); its workers need the "
                                  "same code and lock, the Prefect API and the run folder on shared storage.")
    workers: int = Field(default=0, ge=0, le=256, description="Without an address: start a local cluster of this "
                                                              "many worker processes (0: run in one process).")


class Policy(_Strict):
    version: str
    suppression_limit: float = Field(default=0.05, ge=0, le=1)
    keep_run_folder: bool = False
    min_share: float = Field(default=0.5, gt=0, le=1, description="Share of cells to call a column an entity.")
    entity_defaults: dict[str, EntityDefault]
    direct_identifiers: list[str]
    never_publish_raw: list[str] = Field(
        default_factory=lambda: ["CN_RESIDENT_ID", "CN_BANK_CARD", "CN_PASSPORT", "CN_HMT_PERMIT"],
        description="Entities no spec may publish as is, whatever its reason.",
    )
    trade_secret_actions: list[Action] = Field(default_factory=lambda: ["drop", "aggregate", "generalize"])
    guard: GuardPolicy = Field(default_factory=GuardPolicy)
    classes: dict[Literal["conditional", "unconditional"], ClassPolicy]
    pre_approved: list[ClassChange] = Field(
        default_factory=list,
        description="Changes of open class that need no steward's approval (standing approval by the policy).",
    )
    approval_timeout_seconds: int = Field(
        default=86400, ge=1, description="How long a paused release waits for a steward before it is refused."
    )
    dp_budget: DPBudget | None = Field(
        default=None, description="Each dataset's differential-privacy budget per period (aggregate releases).")
    dp_budgets: dict[str, DPBudget] = Field(default_factory=dict, description="Dataset id -> its own budget.")
    aggregate_max_class: Literal["conditional", "unconditional"] = Field(
        default="conditional", description="The most open class an aggregate (DP statistics) release may reach.")
    source_roots: list[str] = Field(
        default_factory=list,
        description="Folders (relative to the policy file's) besides the spec's own that sources may be read from.",
    )
    csv_formula_guard: bool = Field(
        default=True,
        description="Prefix CSV cells a spreadsheet would run as a formula (= + - @ tab CR) with a quote.",
    )
    command_line_approval: bool = Field(
        default=True,
        description="May the person who runs `kaifang release` by hand approve a change of class (recorded)?",
    )
    request_response_days: int = Field(
        default=15, ge=1, le=90,
        description="Days within which the agency answers a data request (Art. 10 ¶3, Art. 20); later is overdue.",
    )
    review_chain: ReviewChainPolicy = Field(default_factory=ReviewChainPolicy)
    runner: RunnerPolicy = Field(default_factory=RunnerPolicy)


def dp_allowance(policy: Policy, dataset_id: str) -> DPBudget | None:
    """The dataset's own DP budget, else the policy's default (None: aggregate releases are refused)."""
    return policy.dp_budgets.get(dataset_id, policy.dp_budget)


def _unwrap(annotation: Any) -> Any:
    """The model, list or dict inside Optional[...] / Annotated[...]."""
    import typing

    for arg in (typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, UnionType) else ()):
        if arg is not type(None):
            return _unwrap(arg)
    return annotation


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose keys are valid at ``path`` of the YAML (list indexes and dict keys stepped over)."""
    import typing

    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = _unwrap(field.annotation)
        elif typing.get_origin(current) in (list, dict):
            current = _unwrap(typing.get_args(current)[-1])
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def near_miss(word: str, choices: list[str] | set[str]) -> str:
    """' (did you mean 'x'?)' for the closest of ``choices``, or ''."""
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{found[0]}'?)" if found else ""


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    parent = _model_at(model, tuple(p for p in loc[:-1] if not str(p).startswith("function-after")))
    return "unknown key" + (near_miss(str(loc[-1]), set(parent.model_fields)) if parent is not None else "")


def _format_error(path: Path, error: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"] if not str(p).startswith("function-after"))
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = _unknown_key(model, item["loc"]) if model is not None else "unknown key"
        elif item["type"] == "missing":
            msg = "required key is missing"
        elif item["type"] == "literal_error":
            msg = "expected " + msg.removeprefix("Input should be ")
        parts.append(f"{loc or '(top level)'}: {msg}")
    return [f"{path}: {part}" for part in parts]


def _invalid(path: Path, error: ValidationError, model: type[BaseModel]) -> SpecError:
    lines = _format_error(path, error, model)
    return SpecError(f"{path}: " + "; ".join(line.removeprefix(f"{path}: ") for line in lines), lines)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}: invalid YAML{where}") from None


class LoadedSpec(BaseModel):
    """A validated spec plus the facts about its file that the pipeline needs."""

    model_config = ConfigDict(frozen=True)
    spec: ReleaseSpec
    path: Path
    sha256: str

    @property
    def folder(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.folder / candidate).resolve()

    def referenced_files(self) -> list[Path]:
        """Files besides the source that shape the output (hierarchy files), for the content key."""
        privacy = self.spec.privacy
        paths: list[Path] = []
        if privacy.hierarchies:
            folder = self.resolve(privacy.hierarchies)
            paths.extend(sorted(p for p in folder.glob("*.csv")) if folder.is_dir() else [folder])
        paths.extend(self.resolve(r.hierarchy) for r in self.spec.columns.values() if r.hierarchy)
        if self.spec.aggregate is not None:
            paths.extend(self.resolve(d.codes_file) for d in self.spec.aggregate.dimensions if d.codes_file)
        return paths

    def source_path(self, roots: list[str]) -> Path | None:
        """The real path of the file the source reads (a file, or a SQLite database), confined to the
        spec's folder and `roots`; None for a network database."""
        from pipelines.extract import confined

        source = self.spec.source
        allowed = [self.folder, *(Path(root) for root in roots)]
        if source.file is not None:
            return confined(self.resolve(source.file.path), allowed)
        url = self.sql_url()
        database = Path(url[len("sqlite:///"):].split("?", 1)[0]) if url.startswith("sqlite:///") else None
        if database is not None and database.exists():  # a missing file is reported by the extract
            return confined(database, allowed)
        return None

    def sql_url(self) -> str:
        """The SQL URL with a relative sqlite file made absolute against the spec's folder."""
        assert self.spec.source.sql is not None
        url = self.spec.source.sql.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self.resolve(url[len(prefix):]))
        return url


M = TypeVar("M", bound=BaseModel)


def validated_file(path: Path, model: type[M]) -> M:
    """A YAML file as `model`, or one SpecError line naming the file and the key (specs, policy, plans)."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping of keys at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(path, exc, model) from None


def load_spec(path: str | Path) -> LoadedSpec:
    path = Path(path)
    spec = validated_file(path, ReleaseSpec)
    named = [("privacy.quasi_identifiers", q) for q in spec.privacy.quasi_identifiers]
    if spec.privacy.sensitive:
        named.append(("privacy.sensitive", spec.privacy.sensitive))
    for key, name in named:
        rule = spec.columns.get(name)
        if rule is not None and rule.action == "drop":
            raise SpecError(f"{path}: {key}: '{name}' is dropped in columns")
    for name, rule in spec.columns.items():
        if rule.quasi_identifier and name not in spec.privacy.quasi_identifiers:
            raise SpecError(f"{path}: columns.{name}.quasi_identifier: also list '{name}' in privacy.quasi_identifiers")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = LoadedSpec(spec=spec, path=path.resolve(), sha256=digest)
    if spec.aggregate is not None:
        from pipelines.codelists import CodeListError, dimension_keys

        cells = 1
        for number, dimension in enumerate(spec.aggregate.dimensions):
            try:
                keys, _ = dimension_keys(dimension, loaded.resolve, loaded.folder)
            except CodeListError as exc:
                raise SpecError(f"{path}: aggregate.dimensions.{number}: {exc}") from None
            cells *= len(keys) if keys is not None else 1
        if cells > MAX_AGGREGATE_CELLS:
            raise SpecError(f"{path}: aggregate.dimensions: the key grid has {cells:,} cells, more than "
                            f"{MAX_AGGREGATE_CELLS:,}")
    return loaded


def load_policy(path: str | Path) -> tuple[Policy, str]:
    """The policy and its sha256, which the release record keeps beside its version."""
    path = Path(path)
    policy = validated_file(path, Policy)
    roots = [str((path.parent / Path(root).expanduser()).resolve()) for root in policy.source_roots]
    policy = policy.model_copy(update={"source_roots": roots})
    return policy, hashlib.sha256(path.read_bytes()).hexdigest()


def check_against_policy(loaded: LoadedSpec, policy: Policy, policy_path: str | Path) -> None:
    """A spec may only seek a class the policy has thresholds for."""
    target = loaded.spec.open_class.effective_target
    if target != OpenClass.NOT_OPEN and target.value not in policy.classes:
        raise SpecError(f"{loaded.path}: open_class.target: the policy {policy_path} has no classes.{target.value}")


def spec_paths(target: str | Path) -> list[Path]:
    """The spec files a CLI argument names: a file, or every *.yaml / *.yml in a folder."""
    target = Path(target)
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    return [target]
