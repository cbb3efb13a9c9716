"""What the guard holds a release to: the policy's figures for the target class, as plain data.

Built by the pipeline from the policy and the spec (``pipelines.guarding.guard_rules``); the guard
itself knows no YAML. Declarations the guard must not trust (quasi-identifiers, waivers, the plan)
are inputs it checks against what it measures, never shortcuts around a check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Only these not-open grounds can be cured by desensitization (脱敏) or de-secretization (脱密), Art. 9.
CURABLE_BASIS = frozenset({"trade_secret", "personal_information"})
OPENNESS = {"not_open": 0, "conditional": 1, "unconditional": 2}

# Characters a mask may show per entity, unless the policy says otherwise (Chinese display practice).
MASK_MAX_SHOWN = {
    "CN_RESIDENT_ID": 10, "PHONE_NUMBER": 7, "CN_BANK_CARD": 10, "PERSON": 2, "CN_LICENSE_PLATE": 3,
    "CN_PASSPORT": 3, "CN_HMT_PERMIT": 3,
}
# Operators whose output is a token unrelated to the value's neighbours (no linkage on it).
TOKEN_ACTIONS = frozenset({"pseudonymize", "surrogate", "redact", "mask", "scrub", "noise", "date_shift", "drop"})


@dataclass(frozen=True)
class ClassRules:
    """What a class requires of a release of personal or secret data."""

    k: int
    max_risk: float
    direct_identifier_actions: frozenset[str]
    max_unique_share: float = 0.0
    max_population_unique_share: float = 0.0


@dataclass(frozen=True)
class GuardRules:
    declared: str
    target: str
    basis: tuple[str, ...]
    policy_version: str
    policy_sha256: str
    target_rules: ClassRules | None
    spec_k: int = 1
    quasi_identifiers: tuple[str, ...] = ()
    sensitive: str | None = None
    suppression_limit: float = 0.05
    direct_identifiers: frozenset[str] = frozenset()
    never_raw: frozenset[str] = frozenset()
    trade_secret_actions: frozenset[str] = frozenset({"drop", "aggregate", "generalize"})
    min_share: float = 0.5
    waivers: Mapping[str, str] = field(default_factory=dict)
    uniqueness_max_columns: int = 3
    sampling_fraction: float = 1.0
    mask_min_candidates: float = 1000.0
    mask_max_shown: Mapping[str, int] = field(default_factory=lambda: dict(MASK_MAX_SHOWN))
    privacy_model_label: str | None = None

    @property
    def reclassifying(self) -> bool:
        return OPENNESS[self.target] > OPENNESS[self.declared]

    @property
    def required_k(self) -> int:
        """The spec's k, never below the target class's."""
        return max(self.spec_k, self.target_rules.k if self.target_rules else 1)
