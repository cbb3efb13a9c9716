"""Aggregate releases: the spec's `aggregate` block turned into an OpenDP query, run over the extract.

Plain functions (no Prefect): the flow (`pipelines.aggregate_flow`) wraps them in tasks. The order is
extract → aggregate (exact cells chunk by chunk, then OpenDP noise on every cell) → guard (budget,
noise, keys) → validate → approve → spend from the ledger → publish.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from anonymizers.dp import Budget, Dimension, Measure, NoisyTable, Query, accumulate, approx_dp, opendp_version, release
from anonymizers.guard.aggregate import AggregateRules, BudgetState
from catalog.ledger import Allowance, Ledger, LedgerStatus
from catalog.record import DPBudgetUse, DPDimension, DPMeasure, DPRelease, PublishedColumn
from pipelines.codelists import dimension_keys, key_source
from pipelines.extract import SourceError, read_chunks
from pipelines.spec import AggregateSpec, LoadedSpec, Policy, dp_allowance


def build_query(loaded: LoadedSpec) -> Query:
    spec = loaded.spec.aggregate
    assert spec is not None
    dimensions = []
    for item in spec.dimensions:
        keys, aliases = dimension_keys(item, loaded.resolve, loaded.folder)
        part = "year" if item.years else "month" if item.months else "value"
        dimensions.append(Dimension(column=item.column, keys=keys, label=item.name or item.column, part=part,
                                    aliases=aliases))
    measures = tuple(Measure(kind=m.kind, name=m.label, column=m.column, lower=m.clamp[0] if m.clamp else 0,
                             upper=m.clamp[1] if m.clamp else 0) for m in spec.measures)
    budget = Budget(epsilon=spec.budget.epsilon, rho=spec.budget.rho, delta=spec.budget.delta)
    return Query(dimensions=tuple(dimensions), measures=measures, budget=budget, contributions=spec.contributions,
                 threshold=spec.key_selection.threshold if spec.key_selection else None, person=spec.person)


def needed_columns(spec: AggregateSpec) -> list[str]:
    named = [d.column for d in spec.dimensions] + [m.column for m in spec.measures if m.column]
    return list(dict.fromkeys([*named, *([spec.person] if spec.person else [])]))


def compute(raw: Path, columns: list[str], loaded: LoadedSpec) -> tuple[NoisyTable, Query]:
    """The noisy table of the spec's query over the extract (`raw`, with its `columns`)."""
    spec = loaded.spec.aggregate
    assert spec is not None
    missing = [c for c in needed_columns(spec) if c not in columns]
    if missing:
        raise SourceError(f"aggregate: {len(missing)} column(s) the spec names are not in the source: "
                          + ", ".join(missing))
    query = build_query(loaded)
    exact = accumulate(read_chunks(raw, needed_columns(spec)), query)
    return release(exact, query), query


def published_columns(table: NoisyTable, query: Query) -> list[PublishedColumn]:
    kinds = {"count": ("integer", "dp_count"), "sum": ("integer", "dp_sum"), "mean": ("number", "dp_mean")}
    columns = [PublishedColumn(name=d.label, type="string", action="dp_key") for d in query.dimensions]
    for measure in query.measures:
        kind, action = kinds[measure.kind]
        columns.append(PublishedColumn(name=measure.name, type=kind, action=action))
        columns.append(PublishedColumn(name=table.accuracy_columns[measure.name], type="number",
                                       action="dp_accuracy"))
    return columns


def typed_frame(table: NoisyTable, query: Query) -> pd.DataFrame:
    """The table in the published column order, keys as text."""
    frame = table.frame.copy()
    for dimension in query.dimensions:
        frame[dimension.label] = frame[dimension.label].astype("string")
    accuracy = [c for m in query.measures for c in (m.name, table.accuracy_columns[m.name])]
    return frame[[d.label for d in query.dimensions] + accuracy].reset_index(drop=True)


def allowance(policy: Policy, dataset_id: str) -> Allowance | None:
    budget = dp_allowance(policy, dataset_id)
    return None if budget is None else Allowance(epsilon=budget.epsilon, delta=budget.delta, period=budget.period)


def budget_state(ledger: Ledger, dataset_id: str, limit: Allowance | None, epsilon: float,
                 delta: float) -> tuple[BudgetState | None, LedgerStatus | None]:
    if limit is None:
        return None, None
    status = ledger.status(dataset_id, limit)
    state = BudgetState(period=status.period, budget_epsilon=status.budget_epsilon,
                        budget_delta=status.budget_delta, spent_epsilon=status.spent_epsilon,
                        spent_delta=status.spent_delta, allows=status.allows(epsilon, delta),
                        figures=status.figures(epsilon, delta))
    return state, status


def aggregate_rules(loaded: LoadedSpec, policy: Policy, policy_sha: str) -> AggregateRules:
    declaration = loaded.spec.open_class
    spec = loaded.spec.aggregate
    return AggregateRules(declared=declaration.declared.value, target=declaration.effective_target.value,
                          basis=tuple(declaration.basis), policy_version=policy.version, policy_sha256=policy_sha,
                          max_class=policy.aggregate_max_class,
                          contributions_enforced=bool(spec and spec.person))


def budget_use(status: LedgerStatus, epsilon: float, delta: float) -> DPBudgetUse:
    return DPBudgetUse(
        period=status.period, budget_epsilon=status.budget_epsilon, budget_delta=status.budget_delta,
        spent_epsilon=status.spent_epsilon, spent_delta=status.spent_delta, asked_epsilon=epsilon,
        asked_delta=delta, remaining_epsilon=max(0.0, status.budget_epsilon - status.spent_epsilon - epsilon),
        remaining_delta=max(0.0, status.budget_delta - status.spent_delta - delta), releases_before=status.releases)


def dp_record(table: NoisyTable, query: Query, loaded: LoadedSpec, cost: tuple[float, float],
              use: DPBudgetUse | None) -> DPRelease:
    """What the release record, the catalog and the portal say about the noise."""
    spec = loaded.spec.aggregate
    assert spec is not None
    plans = {(p.kind, p.column): p for p in table.plans}
    measures = []
    for measure in query.measures:
        plan = plans[("count", None)] if measure.kind == "count" else plans[("sum", measure.column)]
        per_cell = measure.kind == "mean"
        measures.append(DPMeasure(
            name=measure.name, kind=measure.kind, column=measure.column,
            clamp=[measure.lower, measure.upper] if measure.kind != "count" else None,
            mechanism=plan.mechanism if not per_cell else "; ".join(dict.fromkeys(
                [plans[("count", None)].mechanism, plan.mechanism])),
            scale=None if per_cell else plan.scale, sensitivity=None if per_cell else plan.sensitivity,
            epsilon=None if per_cell else plan.epsilon, rho=None if per_cell else plan.rho,
            delta=None if per_cell else plan.delta, accuracy_95=None if per_cell else round(plan.accuracy, 4),
            accuracy_column=table.accuracy_columns[measure.name]))
    dimensions = [DPDimension(column=d.column, name=d.label, source=key_source(item),
                              size=len(d.keys) if d.keys is not None else None)
                  for d, item in zip(query.dimensions, spec.dimensions, strict=True)]
    measure_name = ("ρ-zCDP" if query.budget.zcdp else "(ε, δ)-DP" if table.delta else "pure ε-DP")
    return DPRelease(
        library=f"OpenDP {opendp_version()}", privacy_measure=measure_name, epsilon=table.epsilon, rho=table.rho,
        delta=table.delta if table.delta else query.budget.delta if query.budget.zcdp else None,
        ledger_epsilon=cost[0], ledger_delta=cost[1], contributions=query.contributions,
        contributions_enforced=bool(spec.person), dimensions=dimensions, measures=measures, cells=table.cells,
        keys_from=table.keys_from, threshold=query.threshold, budget=use)


def ledger_cost(table: NoisyTable, query: Query) -> tuple[float, float]:
    return approx_dp(table, query.budget)
