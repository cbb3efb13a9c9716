"""The guard's decision on an aggregate release: every check fails on the table that breaks it."""

from __future__ import annotations

import dataclasses

from anonymizers.dp import Budget, Dimension, ExactCells, Measure, Query, release
from anonymizers.guard.aggregate import AggregateFacts, AggregateRules, BudgetState, decide_aggregate
from catalog.ledger import LedgerStatus

QUERY = Query(dimensions=(Dimension("区县", ("历下区", "市中区"), "区县"),),
              measures=(Measure("count", "人数"), Measure("mean", "均值", "缴费基数", 1000, 9000)),
              budget=Budget(epsilon=1.0))
RULES = AggregateRules(declared="not_open", target="conditional", basis=("personal_information",),
                       policy_version="t", policy_sha256="0" * 64)


def state(spent: float, budget: float = 3.0) -> BudgetState:
    status = LedgerStatus("x", "2026", budget, 0.0, spent, 0.0, 1)
    return BudgetState(period="2026", budget_epsilon=budget, budget_delta=0.0, spent_epsilon=spent, spent_delta=0.0,
                       allows=status.allows(1.0, 0.0), figures=status.figures(1.0, 0.0))


OPEN_BUDGET = state(0.0)


def decide(table=None, published=None, budget=OPEN_BUDGET, rules=RULES):
    table = table or release(ExactCells(), QUERY)
    facts = AggregateFacts(table=table, query=QUERY, asked_epsilon=1.0, asked_delta=0.0, budget=budget)
    decision = decide_aggregate(facts, table.frame if published is None else published, rules).decision
    return decision, {c.name: c for c in decision.checks}


def test_a_sound_release_of_not_open_data_becomes_conditional():
    decision, checks = decide()
    assert decision.published_class == "conditional" and decision.reclassified
    assert all(c.passed for c in checks.values())
    assert set(checks) == {"dp_budget", "dp_mechanism", "dp_noise", "dp_keys", "dp_contributions", "basis_curable",
                           "dp_class"}


def test_overspending_is_refused_with_spent_remaining_and_asked():
    decision, checks = decide(budget=state(2.5))
    assert decision.published_class == "not_open" and not checks["dp_budget"].passed
    assert "spent ε 2.5 of 3" in checks["dp_budget"].figure and "remaining ε 0.5" in checks["dp_budget"].figure
    assert "asked ε 1" in checks["dp_budget"].figure


def test_no_budget_in_the_policy_means_no_aggregate_release():
    decision, checks = decide(budget=None)
    assert decision.published_class == "not_open" and "no dp_budget" in checks["dp_budget"].figure


def test_a_measure_not_noised_in_every_cell_is_refused():
    table = release(ExactCells(), QUERY)
    tampered = dataclasses.replace(table, noised_cells={**table.noised_cells, "缴费基数": 1})
    _, checks = decide(tampered)
    assert not checks["dp_noise"].passed


def test_an_extra_published_column_is_refused():
    table = release(ExactCells(), QUERY)
    _, checks = decide(table, table.frame.assign(真实人数=0))
    assert not checks["dp_noise"].passed


def test_a_missing_or_extra_key_is_refused():
    table = release(ExactCells(), QUERY)
    _, missing = decide(table, table.frame.iloc[:1])
    assert not missing["dp_keys"].passed and "1 of 2 cells" in missing["dp_keys"].figure
    extra = table.frame.copy()
    extra.loc[1, "区县"] = "北京市"
    _, checks = decide(table, extra)
    assert not checks["dp_keys"].passed


def test_a_class_above_the_policys_aggregate_class_or_an_incurable_basis_is_refused():
    open_rules = dataclasses.replace(RULES, target="unconditional", max_class="conditional")
    _, checks = decide(rules=open_rules)
    assert not checks["dp_class"].passed
    _, checks = decide(rules=dataclasses.replace(RULES, basis=("security",)))
    assert not checks["basis_curable"].passed


def test_a_loss_above_the_specs_budget_is_refused():
    table = dataclasses.replace(release(ExactCells(), QUERY), epsilon=1.5)
    _, checks = decide(table)
    assert not checks["dp_mechanism"].passed
