"""The reclassification decision (Art. 9 of the measures), with the evidence an agency can defend.

A dataset is published in a more open class than declared only when every check passes; each check
keeps its figure and the requirement it was held to, and the record carries them to the catalog.
"""

from __future__ import annotations

from catalog.record import Check, ColumnFinding, ColumnPlan, Decision, RiskFigures
from pipelines.spec import CURABLE_BASIS, OpenClass, Policy, ReleaseSpec


def required_k(spec: ReleaseSpec, policy: Policy, target: OpenClass) -> int:
    class_policy = policy.classes.get(target.value)
    return max(spec.privacy.k, class_policy.k if class_policy else 1)


def suppression_limit(spec: ReleaseSpec, policy: Policy) -> float:
    limit = spec.privacy.suppression_limit
    return policy.suppression_limit if limit is None else limit


def _direct_identifier_check(plan: list[ColumnPlan], policy: Policy, target: OpenClass) -> Check:
    allowed = set(policy.classes[target.value].direct_identifier_actions) if target.value in policy.classes else set()
    # The spec may name an entity, but a detected direct identifier stays one whatever it is called.
    direct = [p for p in plan if p.entity in policy.direct_identifiers or p.detected in policy.direct_identifiers]
    bad = [p for p in direct if p.action not in allowed]
    figure = (f"{len(direct) - len(bad)} of {len(direct)} direct-identifier columns treated"
              + (": " + ", ".join(f"{p.column} ({p.detected or p.entity}) is '{p.action}'" for p in bad)
                 if bad else ""))
    return Check(name="direct_identifiers", passed=not bad, figure=figure,
                 requirement=f"each direct identifier is one of {sorted(allowed)} for {target.value}")


def _residual_check(residual: list[ColumnFinding]) -> Check:
    figure = ("no raw identifier found in the output" if not residual else
              "; ".join(f"{f.column}: {f.share:.1%} raw {f.entity}" for f in residual))
    return Check(name="rescan", passed=not residual, figure=figure,
                 requirement="the rescan of the output finds no raw identifier outside columns published as is")


def _trade_secret_check(plan: list[ColumnPlan], policy: Policy) -> Check:
    secrets = [p for p in plan if p.trade_secret]
    bad = [p for p in secrets if p.action not in policy.trade_secret_actions]
    figure = (f"{len(secrets) - len(bad)} of {len(secrets)} trade-secret columns removed or aggregated"
              + (": " + ", ".join(f"{p.column} is '{p.action}'" for p in bad) if bad else ""))
    return Check(name="trade_secrets", passed=not bad, figure=figure,
                 requirement=f"each trade-secret column is one of {policy.trade_secret_actions}")


def _privacy_checks(spec: ReleaseSpec, policy: Policy, target: OpenClass, risk: RiskFigures | None,
                    suppressed: int, rows_in: int, model_check: tuple[bool, int] | None) -> list[Check]:
    personal = "personal_information" in spec.open_class.basis
    k = required_k(spec, policy, target)
    if risk is None and spec.privacy.quasi_identifiers:
        return [Check(name="suppression", passed=False, figure=f"all {suppressed} records suppressed",
                      requirement=f"classes of at least k = {k} over {', '.join(spec.privacy.quasi_identifiers)}")]
    if risk is None:
        passed = not personal
        figure = ("no quasi-identifiers declared" if personal else
                  "not applicable: the dataset is not held back for personal information")
        return [Check(name="k_anonymity", passed=passed, figure=figure,
                      requirement="personal data names its quasi-identifiers in privacy.quasi_identifiers")]
    limit = suppression_limit(spec, policy)
    share = suppressed / rows_in if rows_in else 0.0
    max_risk = policy.classes[target.value].max_risk
    checks = []
    if model_check is not None:
        privacy = spec.privacy
        models = ", ".join(
            ([f"{privacy.l_variant} {privacy.l}-diversity"] if privacy.l else [])
            + ([f"{privacy.t}-closeness ({privacy.t_distance} distance)"] if privacy.t else [])
        )
        anonymous, violating = model_check
        checks.append(Check(name="privacy_model", passed=anonymous, figure=f"{violating} records in violating classes",
                            requirement=f"{models} on {privacy.sensitive}"))
    return checks + [
        Check(name="k_anonymity", passed=risk.min_class_size >= k,
              figure=f"smallest class {risk.min_class_size} over {', '.join(risk.quasi_identifiers)}",
              requirement=f"k >= {k}"),
        Check(name="suppression", passed=share <= limit, figure=f"{suppressed} records suppressed ({share:.2%})",
              requirement=f"at most {limit:.0%} of records"),
        Check(name="reidentification_risk", passed=risk.prosecutor_highest <= max_risk,
              figure=f"highest prosecutor risk {risk.prosecutor_highest:.3f}",
              requirement=f"<= {max_risk} for {target.value}"),
    ]


def decide(spec: ReleaseSpec, policy: Policy, policy_sha256: str, plan: list[ColumnPlan],
           residual: list[ColumnFinding], risk_after: RiskFigures | None, suppressed: int, rows_in: int,
           model_check: tuple[bool, int] | None = None) -> Decision:
    declaration = spec.open_class
    declared, target = declaration.declared, declaration.effective_target
    base = dict(declared_class=declared.value, basis=list(declaration.basis), target_class=target.value,
                policy_version=policy.version, policy_sha256=policy_sha256)
    if target == OpenClass.NOT_OPEN:
        return Decision(**base, published_class="not_open", reclassified=False, checks=[],
                        reason="declared not open and no reclassification sought: catalog entry only, no data")
    checks = [_residual_check(residual)]
    reclassifying = target.openness > declared.openness
    if reclassifying:
        curable = set(declaration.basis) <= CURABLE_BASIS
        checks.insert(0, Check(
            name="basis_curable", passed=curable, figure=f"basis {declaration.basis}",
            requirement=f"only {sorted(CURABLE_BASIS)} can be cured by desensitization (Art. 9)"))
        checks.insert(1, _direct_identifier_check(plan, policy, target))
        checks.append(_trade_secret_check(plan, policy))
    if reclassifying or spec.privacy.quasi_identifiers:
        checks.extend(_privacy_checks(spec, policy, target, risk_after, suppressed, rows_in, model_check))
    failed = [c for c in checks if not c.passed]
    if failed:
        reason = "; ".join(f"{c.name} failed ({c.figure}; needs {c.requirement})" for c in failed)
        published = declared if not reclassifying else OpenClass.NOT_OPEN
        return Decision(**base, published_class=published.value, reclassified=False, checks=checks, reason=reason)
    if reclassifying:
        reason = f"reclassified {declared.value} → {target.value}: all {len(checks)} checks passed"
    else:
        reason = f"published as declared ({declared.value}): all {len(checks)} checks passed"
    return Decision(**base, published_class=target.value, reclassified=reclassifying, checks=checks, reason=reason)
