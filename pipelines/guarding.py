"""The guard's rules for one release, from the spec and the policy (the guard itself reads no YAML).

The pipeline calls the guard (``anonymizers.guard``) and records its verdict; it judges nothing.
"""

from __future__ import annotations

from anonymizers.guard import ClassRules, GuardRules
from anonymizers.guard.rules import MASK_MAX_SHOWN
from detectors import vocabulary
from pipelines.spec import OpenClass, Policy, ReleaseSpec


def required_k(spec: ReleaseSpec, policy: Policy, target: OpenClass) -> int:
    """The spec's k, never below what the target class requires."""
    class_policy = policy.classes.get(target.value)
    return max(spec.privacy.k, class_policy.k if class_policy else 1)


def suppression_limit(spec: ReleaseSpec, policy: Policy) -> float:
    """The spec may suppress less than the policy allows, never more (suppressing 99 % of a table
    to reach k would publish the few records left as if they were the table)."""
    limit = spec.privacy.suppression_limit
    return policy.suppression_limit if limit is None else min(limit, policy.suppression_limit)


def _model_label(spec: ReleaseSpec) -> str | None:
    privacy = spec.privacy
    parts = ([f"{privacy.l_variant} {privacy.l}-diversity"] if privacy.l else []) + (
        [f"{privacy.t}-closeness ({privacy.t_distance} distance)"] if privacy.t else [])
    return ", ".join(parts) or None


def guard_rules(spec: ReleaseSpec, policy: Policy, policy_sha256: str, rows_in: int | None = None) -> GuardRules:
    declaration = spec.open_class
    target = declaration.effective_target
    class_policy = policy.classes.get(target.value)
    target_rules = None if class_policy is None else ClassRules(
        k=class_policy.k, max_risk=class_policy.max_risk,
        direct_identifier_actions=frozenset(class_policy.direct_identifier_actions),
        max_unique_share=class_policy.max_unique_share,
        max_population_unique_share=class_policy.max_population_unique_share,
    )
    population = spec.privacy.population_size
    fraction = min(1.0, rows_in / population) if population and rows_in else 1.0
    return GuardRules(
        declared=declaration.declared.value, target=target.value, basis=tuple(declaration.basis),
        policy_version=policy.version, policy_sha256=policy_sha256, target_rules=target_rules,
        spec_k=spec.privacy.k, quasi_identifiers=tuple(spec.privacy.quasi_identifiers),
        sensitive=spec.privacy.sensitive, suppression_limit=suppression_limit(spec, policy),
        direct_identifiers=frozenset(policy.direct_identifiers) | vocabulary.direct_identifiers(),
        # The policy may add never-raw entities; it cannot take away the vocabulary's.
        never_raw=frozenset(policy.never_publish_raw) | vocabulary.never_raw(),
        trade_secret_actions=frozenset(policy.trade_secret_actions), min_share=policy.min_share,
        waivers=dict(spec.privacy.waivers), uniqueness_max_columns=policy.guard.uniqueness_max_columns,
        sampling_fraction=fraction, mask_min_candidates=policy.guard.mask_min_candidates,
        mask_max_shown={**MASK_MAX_SHOWN, **policy.guard.mask_max_shown},
        privacy_model_label=_model_label(spec),
    )
