"""Classify: turn detection findings, the spec's column rules and the policy into a desensitization plan.

The spec wins over the policy and the policy over doing nothing, and each column's plan says which
of the three decided, so a steward can see why a column was masked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from anonymizers.apply import ColumnAction
from anonymizers.operators import OperatorParams
from catalog.record import ColumnFinding, ColumnPlan
from pipelines.spec import Policy, ReleaseSpec

_PARAM_FIELDS = ("keep_first", "keep_last", "to", "width", "digits", "top", "bottom", "hierarchy", "level")


class PlanError(ValueError):
    """The spec does not fit the source (e.g. names a column it lacks); one line."""


def named_columns(spec: ReleaseSpec) -> dict[str, str]:
    """Every column the spec names, with the key that names it (for the error message)."""
    names: dict[str, str] = {}
    for column in spec.columns:
        names.setdefault(column, f"columns.{column}")
    for column in spec.privacy.quasi_identifiers:
        names.setdefault(column, "privacy.quasi_identifiers")
    if spec.privacy.sensitive:
        names.setdefault(spec.privacy.sensitive, "privacy.sensitive")
    for column in spec.privacy.waivers:
        names.setdefault(column, "privacy.waivers")
    if spec.release == "aggregate" and spec.aggregate is not None:
        # The quality suite of a statistics release judges the published table (its dimensions and
        # measures), not the source: the source columns are those the aggregate reads.
        for i, dimension in enumerate(spec.aggregate.dimensions):
            names.setdefault(dimension.column, f"aggregate.dimensions[{i}]")
        for i, measure in enumerate(spec.aggregate.measures):
            if measure.column:
                names.setdefault(measure.column, f"aggregate.measures[{i}]")
        return names
    for column in spec.quality.key:
        names.setdefault(column, "quality.key")
    for i, expectation in enumerate(spec.quality.expectations):
        if expectation.column:
            names.setdefault(expectation.column, f"quality.expectations[{i}]")
    return names


def check_columns(spec: ReleaseSpec, columns: list[str]) -> None:
    missing = {name: key for name, key in named_columns(spec).items() if name not in columns}
    if missing:
        name, key = next(iter(missing.items()))
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise PlanError(f"the spec names column '{name}' ({key}) which the source does not have{more}")


def findings_from(profile) -> list[ColumnFinding]:
    return [
        ColumnFinding(column=column.name, entity=e.type, share=round(e.share, 4), score=round(e.score, 4))
        for column in profile.columns
        for e in column.entities
    ]


def _holds_spans(column, policy: Policy) -> bool:  # noqa: ANN001 - a detectors ColumnProfile
    """Free text with identifiers in it, or any column where identifiers were found in some cells
    without the column as a whole being one (a remark column that is mostly short notes)."""
    evidence = [e for e in column.evidence if e.matches and e.type in policy.direct_identifiers]
    return bool(evidence) and (column.free_text or not column.entities)


def build_plan(spec: ReleaseSpec, policy: Policy, profile, columns: list[str],
               base: Path | None = None) -> list[ColumnPlan]:
    """One plan entry per column; relative hierarchy files are taken from `base` (the spec's folder)."""
    check_columns(spec, columns)
    plan: list[ColumnPlan] = []
    for name in columns:
        rule = spec.columns.get(name)
        detected = profile.column(name).primary
        entity = (rule.entity if rule and rule.entity else None) or detected
        if rule is not None:
            action, source = rule.action, "spec"
            params = {f: getattr(rule, f) for f in _PARAM_FIELDS if getattr(rule, f) is not None}
            if rule.hierarchy and base is not None:
                params["hierarchy"] = str((base / rule.hierarchy).resolve())
        elif _holds_spans(profile.column(name), policy):
            # Prose holding identifiers: each span gets its entity's operator (see anonymizers.text).
            # The column as a whole is no identifier: the guard judges the spans that are left.
            action, source, params = "scrub", "policy", {}
        elif entity and entity in policy.entity_defaults:
            default = policy.entity_defaults[entity]
            action, source = default.action, "policy"
            params = {f: v for f, v in default.model_dump(exclude={"action"}).items() if v is not None}
        else:
            action, source, params = "keep", "default", {}
        if action == "scrub":
            entity = detected = None
        quasi = name in spec.privacy.quasi_identifiers or bool(rule and rule.quasi_identifier)
        plan.append(ColumnPlan(column=name, entity=entity, detected=detected, action=action, params=params,
                               source=source,
                               quasi_identifier=quasi,
                               trade_secret="TRADE_SECRET" in (entity, detected)))
    return plan


def span_actions(policy: Policy, key: bytes | None, reference: date,
                 target: str | None = None) -> dict[str, tuple[str, OperatorParams]]:
    """Per entity, the policy's operator for a span in free text. Dropping a span means redacting it,
    and a direct identifier whose default the target class does not accept is redacted too."""
    allowed = set(policy.classes[target].direct_identifier_actions) if target in policy.classes else None
    actions = {}
    for entity, default in policy.entity_defaults.items():
        fields = default.model_dump(exclude={"action"}, exclude_none=True)
        action = "redact" if default.action in {"drop", "keep", "aggregate"} else default.action
        if allowed is not None and entity in policy.direct_identifiers and action not in allowed:
            action = "redact"
        actions[entity] = (action, OperatorParams(entity=entity, key=key, reference=reference, **fields))
    return actions


def column_actions(plan: list[ColumnPlan], key: bytes | None, reference: date,
                   policy: Policy | None = None, target: str | None = None) -> list[ColumnAction]:
    actions = []
    for item in plan:
        fields = {k: v for k, v in item.params.items() if k in OperatorParams.__dataclass_fields__}
        params = OperatorParams(entity=item.entity, column=item.column, key=key, reference=reference, **fields)
        if item.action == "scrub":
            from detectors import scan_text, scan_texts

            spans = span_actions(policy, key, reference, target) if policy else {}
            actions.append(ColumnAction(item.column, "scrub", params, find_spans=scan_text, find_batch=scan_texts,
                                        span_actions=spans))
        else:
            actions.append(ColumnAction(column=item.column, action=item.action, params=params))
    return actions


def needs_key(plan: list[ColumnPlan], policy: Policy) -> bool:
    keyed = {"pseudonymize", "surrogate", "date_shift", "noise"}
    if any(item.action == "scrub" for item in plan) and any(d.action in keyed for d in policy.entity_defaults.values()):
        return True
    return any(item.action in keyed for item in plan)
