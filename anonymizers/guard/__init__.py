"""The release guard: the one place that decides whether an output may be published in a class.

It trusts nothing the spec declares. It reads the published table (and the input, for the leak
search) as an attacker would, in every column, and returns the decision with its checks and a
de-identification effect evaluation (GB/T 42460-2023). The checks:

- ``never_raw``: no cell of any published column, kept columns included, holds a validated raw
  entity of the policy's never-raw list (a ``keep`` cannot override it);
- ``rescan``: no raw direct identifier outside the columns published as is, by the detectors and,
  for names in prose, by a second, independent finder (``guard.names``);
- ``coverage``: every column detected as a direct identifier, quasi-identifier or record identifier
  is treated, declared a quasi-identifier, or waived in the spec with a reason;
- ``direct_identifiers``, ``trade_secrets``, ``basis_curable``: what a reclassification requires;
- ``k_anonymity``, ``suppression``, ``reidentification_risk``, ``privacy_model``: on the declared
  quasi-identifiers, with the target class's k, measured on the output;
- ``uniqueness``: records unique on some combination of a few published columns, declared or not;
- ``population_uniqueness``: the journalist scenario, Zayatz's estimate;
- ``leak_search``: the input's identifier values looked for in every published cell;
- ``mask_strength``: originals consistent with each masked value, and characters shown.

Figures name columns and counts, never a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from anonymizers.guard.rules import CURABLE_BASIS, TOKEN_ACTIONS, ClassRules, GuardRules
from catalog.record import ColumnFinding, ColumnPlan, Decision, Evaluation, RiskFigures, Waiver
from detectors import vocabulary

if TYPE_CHECKING:
    from detectors.profile import EntityCounts

Chunks = Callable[..., Iterator[pd.DataFrame]]  # called with an optional list of columns

__all__ = ["ClassRules", "GuardRules", "Verdict", "evaluate", "risk_figures"]


@dataclass
class Verdict:
    decision: Decision
    evaluation: Evaluation
    residual: list[ColumnFinding] = field(default_factory=list)
    risk_after: RiskFigures | None = None
    # What the guard's profile of the output found per column (counts, no value): the quality gate's
    # residual-identifier checks read the same output with the same detectors and reuse it.
    output_entities: EntityCounts | None = None


def risk_figures(chunks: Chunks, quasi_identifiers: Sequence[str]) -> RiskFigures | None:
    """Prosecutor and marketer risk over the quasi-identifiers, from class counts summed over chunks."""
    if not quasi_identifiers:
        return None
    from anonymizers.classes import count_classes
    from anonymizers.risk import risk_of_counts

    counter = count_classes(chunks(list(quasi_identifiers)), quasi_identifiers)
    if counter.records == 0:
        return None
    report = risk_of_counts(counter)
    return RiskFigures(
        quasi_identifiers=list(quasi_identifiers), records=report.records, classes=report.classes,
        min_class_size=report.min_class_size, prosecutor_average=report.prosecutor_average,
        prosecutor_highest=report.prosecutor_highest, records_at_risk_share=report.prosecutor_records_at_risk,
        sample_uniques=report.sample_uniques, journalist_highest=None, marketer_average=report.marketer_average,
    )


def evaluate(input_chunks: Chunks, output_chunks: Chunks, input_profile, plan: list[ColumnPlan],
             rules: GuardRules, rows_in: int, suppressed: int,
             model_check: tuple[bool, int] | None = None) -> Verdict:
    """Judge the output (``output_chunks``) of ``plan`` applied to the input for ``rules.target``."""
    from anonymizers.guard.checks import Assessment

    if rules.target == "not_open":
        decision = Decision(
            declared_class=rules.declared, basis=list(rules.basis), target_class=rules.target,
            published_class="not_open", reclassified=False, checks=[],
            reason="declared not open and no reclassification sought: catalog entry only, no data",
            policy_version=rules.policy_version, policy_sha256=rules.policy_sha256)
        from anonymizers.guard.evaluation import not_assessed

        return Verdict(decision=decision, evaluation=not_assessed(rules))
    assessment = Assessment(input_chunks, output_chunks, input_profile, plan, rules, rows_in, suppressed,
                            model_check)
    return assessment.run()


def personal_entities(profile) -> dict[str, str]:
    """Input columns holding personal identifiers (direct or record) as whole values, with the entity.

    Free text is left out: its identifiers are spans, searched token by token (``leaks.collect``).
    """
    found: dict[str, str] = {}
    for column in profile.columns:
        if column.free_text:
            continue
        for item in column.entities:
            if item.type in vocabulary.personal():
                found[column.name] = item.type
                break
    return found


def waivers_of(rules: GuardRules, kinds: dict[str, str]) -> list[Waiver]:
    return [Waiver(column=c, reason=r, kind=kinds.get(c, "quasi_identifier")) for c, r in rules.waivers.items()]


def token_columns(plan: list[ColumnPlan]) -> set[str]:
    return {p.column for p in plan if p.action in TOKEN_ACTIONS}


def curable(basis: Sequence[str]) -> bool:
    return set(basis) <= CURABLE_BASIS
