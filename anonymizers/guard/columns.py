"""What the guard calls each column, and which columns its coverage checks refuse.

Shared by the guard's checks (on the real input and output) and by `kaifang check`, which runs them
on a sample of the source before a release to announce the refusals knowable in advance. Results
name columns and entity types, never a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from catalog.record import ColumnPlan
from detectors import vocabulary

Profile = object  # a detectors TableProfile (columns with entities, evidence, quasi_identifier)


def column_kinds(column, plan: ColumnPlan | None, direct: frozenset[str] | set[str]) -> set[str]:  # noqa: ANN001
    """direct_identifier / record_identifier / quasi_identifier, from detection and the plan's entities."""
    kinds = set()
    types = {e.type for e in column.entities}
    declared = {plan.entity, plan.detected} if plan else set()
    if (types | declared) & direct:
        kinds.add("direct_identifier")
    if vocabulary.RECORD_IDENTIFIER in types:
        kinds.add("record_identifier")
    if column.quasi_identifier:
        kinds.add("quasi_identifier")
    return kinds


@dataclass(frozen=True)
class Uncovered:
    column: str
    kinds: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.column} ({' and '.join(self.kinds).replace('_', ' ')}) is published raw"


def uncovered_columns(profile, by_column: Mapping[str, ColumnPlan], direct: frozenset[str] | set[str],  # noqa: ANN001
                      quasi: Iterable[str], waivers: Mapping[str, str]) -> tuple[list[Uncovered], dict[str, str]]:
    """The guard's ``coverage``: kept columns detected as a quasi-identifier or record identifier that
    are neither declared quasi-identifiers nor waived; and the waived ones with their kind."""
    problems: list[Uncovered] = []
    waived: dict[str, str] = {}
    quasi = set(quasi)
    for column in profile.columns:
        kinds = column_kinds(column, by_column.get(column.name), direct)
        plan = by_column.get(column.name)
        if not kinds or plan is None or plan.action != "keep":
            continue
        if "direct_identifier" in kinds:
            continue  # judged by direct_identifiers / rescan: a direct identifier cannot be waived
        if column.name in quasi:
            continue
        if column.name in waivers:
            waived[column.name] = sorted(kinds)[0]
            continue
        problems.append(Uncovered(column.name, tuple(sorted(kinds))))
    return problems, waived


def untreated_direct(profile, by_column: Mapping[str, ColumnPlan], direct: frozenset[str] | set[str],  # noqa: ANN001
                     allowed: frozenset[str] | set[str]) -> tuple[list[tuple[str, ColumnPlan]], int]:
    """The guard's ``direct_identifiers``: direct-identifier columns whose action the target class does not
    allow (prose is scrubbed span by span and judged by the rescan); and how many there are in all."""
    found = [(c.name, by_column[c.name]) for c in profile.columns
             if "direct_identifier" in column_kinds(c, by_column.get(c.name), direct) and c.name in by_column]
    bad = [(name, p) for name, p in found if p.action not in allowed and p.action != "scrub"]
    return bad, len(found)


@dataclass(frozen=True)
class RawHit:
    column: str
    entity: str
    matches: int
    share: float


def raw_hits(columns: Sequence, never_raw: frozenset[str] | set[str],  # noqa: ANN001 - ColumnProfiles
             surrogates: Mapping[str, str | None]) -> list[RawHit]:
    """The guard's ``never_raw``: validated never-raw entities in the given profiled columns, except in
    a column whose surrogates of that entity are synthetic."""
    hits = []
    for column in columns:
        for item in column.evidence:
            if item.type not in never_raw or item.matches == 0:
                continue
            if surrogates.get(column.name) == item.type:
                continue
            hits.append(RawHit(column.name, item.type, item.matches, item.share))
    return hits


PERSON_QUASI = frozenset({"gender", "birth_date", "age", "ethnicity", "education", "marital", "politics"})


def about_people(profile, entities: Mapping[str, str], chunks: Callable) -> bool:  # noqa: ANN001
    """Are the records about people, whatever the declared basis says? Yes when a column holds an
    entity only people have (a name, a resident ID, a card …) or a quasi-identifier only people have
    (sex, birth date, age, ethnicity, education, marital status), unless each row is an organisation
    keyed by its own unique credit code (an enterprise register names its legal representative; it
    is not a register of people)."""
    from detectors.headers import quasi_hint

    person_only = vocabulary.person_only()
    people = any(e in person_only for e in entities.values()) or any(
        c.quasi_identifier and quasi_hint(c.name) in PERSON_QUASI for c in profile.columns)
    if not people:
        people = bool(person_value_columns(chunks))
    if not people:
        return False
    codes = [name for name, e in entities.items() if e == "CN_USCC"]
    codes += [c.name for c in profile.columns if c.primary == "CN_USCC"]
    from anonymizers.classes import count_classes

    for name in set(codes):
        counter = count_classes(chunks([name]), [name])
        if counter.records and counter.classes / counter.records >= 0.95:
            return False
    return True


def person_value_columns(chunks: Callable) -> list[str]:
    """Columns whose values are mostly sex, ethnicity, education or marital categories (first chunk)."""
    from detectors.values import QUASI_VALUES

    found = []
    for chunk in chunks():
        for name in chunk.columns:
            text = chunk[name].astype("string").dropna().head(2000)
            if len(text) and any(text.str.fullmatch(QUASI_VALUES[k]).mean() >= 0.8
                                 for k in ("gender", "ethnicity", "education", "marital")):
                found.append(str(name))
        return found
    return found
