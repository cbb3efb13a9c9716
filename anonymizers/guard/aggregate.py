"""The guard's decision on an aggregate (differentially private) release, same shape as a record release's.

Art. 9 lets "privacy computing" make not-open data conditionally open. What the guard checks is what
makes the DP guarantee true of the table it is shown, not what the spec says:

- ``dp_budget``: the release's (ε, δ) fits the dataset's remaining budget for the period (the ledger);
- ``dp_mechanism``: the loss OpenDP's privacy maps report is within the release's budget;
- ``dp_noise``: every published value of every measure came out of an OpenDP noise measurement (the
  noised cells equal the published rows, measure by measure, and no other value column is published);
- ``dp_keys``: the published keys are exactly the public key grid (every listed cell is there, present in
  the data or not, and no other: no presence leak), or were chosen by OpenDP's thresholded key selection;
- ``dp_contributions``: the bound on rows per person that the sensitivities assume (enforced on a person
  column, or declared by the steward);
- ``basis_curable`` and ``dp_class``: the grounds can be cured by privacy computing, and the class sought
  is no more open than the policy lets an aggregate release reach.

Figures are counts and losses, never a cell value.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from anonymizers.dp import NoisyTable, Query
from anonymizers.guard import Verdict, curable
from anonymizers.guard.rules import OPENNESS
from catalog.record import Check, Decision, Evaluation, EvaluationSection

CLASS_ZH = {"not_open": "不予开放", "conditional": "有条件开放", "unconditional": "无条件开放"}


@dataclass(frozen=True)
class BudgetState:
    """The ledger for the period, as the guard sees it (None budget: the policy sets none)."""

    period: str
    budget_epsilon: float
    budget_delta: float
    spent_epsilon: float
    spent_delta: float
    allows: bool
    figures: str


@dataclass(frozen=True)
class AggregateRules:
    declared: str
    target: str
    basis: tuple[str, ...]
    policy_version: str
    policy_sha256: str
    max_class: str = "conditional"
    contributions_enforced: bool = False


@dataclass(frozen=True)
class AggregateFacts:
    table: NoisyTable
    query: Query
    asked_epsilon: float
    asked_delta: float
    budget: BudgetState | None


def _check(name: str, passed: bool, figure: str, requirement: str) -> Check:
    return Check(name=name, passed=passed, figure=figure, requirement=requirement)


def budget_check(facts: AggregateFacts) -> Check:
    state = facts.budget
    if state is None:
        return _check("dp_budget", False, "the policy sets no dp_budget for this dataset",
                      "a per-dataset budget in the policy (dp_budget or dp_budgets)")
    return _check("dp_budget", state.allows, state.figures, "spent + asked within the period's budget")


def mechanism_check(facts: AggregateFacts) -> Check:
    budget, table = facts.query.budget, facts.table
    if budget.zcdp:
        loss, limit, unit = table.rho or 0.0, budget.rho or 0.0, "ρ"
    else:
        loss, limit, unit = table.epsilon or 0.0, budget.epsilon or 0.0, "ε"
    delta_ok = (table.delta or 0.0) <= (budget.delta or 0.0) + 1e-15
    names = ", ".join(sorted({p.mechanism for p in table.plans}))
    figure = f"OpenDP loss {unit} {loss:.4g} over {len(table.plans)} measures ({names})"
    if table.delta:
        figure += f", δ {table.delta:.3g}"
    return _check("dp_mechanism", loss <= limit * (1 + 1e-9) and delta_ok, figure,
                  f"{unit} ≤ {limit:g} as the spec's budget")


def noise_check(facts: AggregateFacts, published: pd.DataFrame) -> Check:
    table, query = facts.table, facts.query
    rows = len(published)
    count_name = next((m.name for m in query.measures if m.kind == "count"), "count")
    needed = {count_name, *query.sum_columns}  # every measure (a mean too) is built from these noisy vectors
    missing = sorted(n for n in needed if table.noised_cells.get(n, -1) != rows)
    dimensions = {d.label for d in query.dimensions}
    values = {m.name for m in query.measures} | set(table.accuracy_columns.values())
    stray = [c for c in published.columns if c not in dimensions | values]
    passed = not missing and not stray
    figure = f"{rows} cells × {len(query.measures)} measures noised"
    if missing:
        figure = f"{len(missing)} measure(s) with cells not noised by OpenDP"
    elif stray:
        figure = f"{len(stray)} published column(s) that are neither a key nor a noisy measure"
    return _check("dp_noise", passed, figure, "every published value drawn from an OpenDP noise measurement")


def keys_check(facts: AggregateFacts, published: pd.DataFrame) -> Check:
    query = facts.query
    labels = [d.label for d in query.dimensions]
    seen = list(published[labels].astype(str).itertuples(index=False, name=None)) if len(published) else []
    if query.threshold is not None:
        passed = facts.table.keys_from == "key_selection"
        return _check("dp_keys", passed, f"{len(seen)} keys selected by OpenDP's noisy threshold "
                                         f"{query.threshold}", "keys from code lists or DP key selection")
    grid = set(itertools.product(*(d.keys or () for d in query.dimensions)))
    published_keys = set(seen)
    absent, extra, doubled = len(grid - published_keys), len(published_keys - grid), len(seen) - len(published_keys)
    passed = not absent and not extra and not doubled and bool(grid)
    figure = f"{len(published_keys)} of {len(grid)} cells of the public key grid"
    if extra or doubled:
        figure += f"; {extra} key(s) outside the lists, {doubled} repeated"
    return _check("dp_keys", passed, figure, "exactly the public key grid: every listed cell, whether or not "
                                             "the data has it, and no other")


def contributions_check(facts: AggregateFacts, rules: AggregateRules) -> Check:
    bound = facts.query.contributions
    how = (f"enforced on the person column (at most {bound} row(s) per person kept)" if rules.contributions_enforced
           else f"declared by the steward: at most {bound} row(s) per person")
    return _check("dp_contributions", True, how, "the bound the sensitivities assume")


def class_check(rules: AggregateRules) -> Check:
    allowed = OPENNESS[rules.target] <= OPENNESS[rules.max_class] or not rules_reclassify(rules)
    return _check("dp_class", allowed, f"{rules.target} sought", f"at most {rules.max_class} for DP statistics "
                                                                  "(policy aggregate_max_class)")


def rules_reclassify(rules: AggregateRules) -> bool:
    return OPENNESS[rules.target] > OPENNESS[rules.declared]


def decide_aggregate(facts: AggregateFacts, published: pd.DataFrame, rules: AggregateRules) -> Verdict:
    """The decision on an aggregate release, with its checks and a short GB/T 42460-style evaluation."""
    checks = [budget_check(facts), mechanism_check(facts), noise_check(facts, published),
              keys_check(facts, published), contributions_check(facts, rules)]
    if rules_reclassify(rules):
        checks.append(_check("basis_curable", curable(rules.basis), ", ".join(rules.basis) or "none",
                             "personal information or trade secrets (Art. 9: privacy computing)"))
        checks.append(class_check(rules))
    failed = [c for c in checks if not c.passed]
    published_class = rules.target if not failed else "not_open"
    if rules.target == "not_open":
        published_class = "not_open"
    reason = (f"differentially private statistics (OpenDP) meet every check for {rules.target}" if not failed
              else "refused: " + "; ".join(f"{c.name} ({c.figure})" for c in failed))
    decision = Decision(
        declared_class=rules.declared, basis=list(rules.basis), target_class=rules.target,
        published_class=published_class, reclassified=published_class != rules.declared and not failed,
        reason=reason, checks=checks, policy_version=rules.policy_version, policy_sha256=rules.policy_sha256)
    return Verdict(decision=decision, evaluation=evaluation(facts, checks, rules.target, not failed))


def evaluation(facts: AggregateFacts, checks: Sequence[Check], target: str, passed: bool) -> Evaluation:
    """The evaluation record in Chinese: what was released, how, at what loss and accuracy."""
    table, query = facts.table, facts.query
    measures = "、".join(m.name for m in query.measures)
    dims = "、".join(d.label for d in query.dimensions)
    loss = (f"ρ = {table.rho:.4g}（零集中差分隐私）" if query.budget.zcdp else f"ε = {table.epsilon:.4g}") + (
        f"，δ = {table.delta:.3g}" if table.delta else "")
    by_name = {c.name: c for c in checks}
    sections = [
        EvaluationSection(key="scope", title="评估范围", findings=[
            f"发布按{dims}分组的统计表（{table.cells} 个单元格），指标：{measures}；不发布任何个人记录。"]),
        EvaluationSection(key="mechanism", title="差分隐私机制", passed=by_name["dp_mechanism"].passed, findings=[
            f"每个单元格均由 OpenDP 加入随机噪声（{p.mechanism}，尺度 {p.scale:.4g}）。" for p in table.plans
        ] + [f"本次发布的隐私损失 {loss}。"]),
        EvaluationSection(key="keys", title="分组键来源", passed=by_name["dp_keys"].passed, findings=[
            "分组键来自公开代码表，数据中没有的组合同样发布（加噪后），不泄露某组合是否存在。"
            if query.threshold is None else f"分组键经差分隐私阈值选择（阈值 {query.threshold}）。"]),
        EvaluationSection(key="budget", title="隐私预算", passed=by_name["dp_budget"].passed,
                          findings=[by_name["dp_budget"].figure]),
    ]
    return Evaluation(
        scenario="差分隐私统计发布（隐私计算，第九条）", sections=sections,
        residual_risk="差分隐私限定了任何个人对发布结果的影响；同一数据集的多次发布累计计入隐私预算。",
        conclusion=f"符合{CLASS_ZH[target]}要求" if passed else "不符合要求，不予发布", passed=passed,
        figures={"cells": table.cells, "epsilon": table.epsilon, "rho": table.rho, "delta": table.delta})
