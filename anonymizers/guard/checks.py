"""The guard's checks, each measured on the output (and the input where a leak is looked for)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from anonymizers.guard import (
    Chunks,
    Verdict,
    columns,
    curable,
    leaks,
    masks,
    names,
    personal_entities,
    risk_figures,
    token_columns,
    uniqueness,
    waivers_of,
)
from anonymizers.guard.rules import GuardRules
from anonymizers.operators import PSEUDONYM_SHAPE
from catalog.record import Check, ColumnFinding, ColumnPlan, Decision
from detectors import vocabulary
from detectors.text import PYTHON_SPACES

NUMERIC_SHARE = 0.9
MEASURE_VALUES = 150  # more distinct numbers than this in a chunk: a measure, not a category
MASK_SAMPLE = 50_000  # distinct masked values evaluated per column


# Number formats agency exports use: thousands separators, currency and units, placeholders for none.
# \s spelled out (a \s sends pandas to Python's re, cell by cell).
NUMBER_NOISE = f"[,，{PYTHON_SPACES}¥￥元万亿%‰]|人民币|万元|亿元"
PLACEHOLDERS = {"", "-", "--", "—", "/", "无", "暂无", "不详", "空", "null", "NULL", "NA", "N/A"}
PROSE_LENGTH = 16  # mean characters per cell of a column read as prose (remarks, not codes or timestamps)


# Every text pandas' to_numeric reads as a number has this shape (a superset): the rest is set aside by one
# RE2 pass instead of failing in to_numeric one cell at a time (a column of pseudonyms or names: 4x the cost).
NUMBER_SHAPE = r"[-+]?[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]*)?|[-+]?(?i:inf|infinity|nan)"


def _as_numbers(text: pd.Series) -> pd.Series:
    """Cells as numbers once separators, units and placeholders are set aside (placeholders: missing)."""
    cleaned = text.str.replace(NUMBER_NOISE, "", regex=True)
    shaped = cleaned.str.fullmatch(NUMBER_SHAPE).fillna(False).astype(bool)
    cleaned = cleaned.where(~text.str.strip().isin(PLACEHOLDERS) & shaped)
    return pd.to_numeric(cleaned, errors="coerce")


def _column_shapes(chunks: Chunks) -> dict[str, dict[str, float]]:
    """Per column of the first chunk: share of numbers, distinct numbers, distinct share, mean length,
    share of dates (what decides measure, prose or category for the uniqueness attack)."""
    from detectors.values import DATE_LIKE

    for chunk in chunks():
        shapes = {}
        for name in chunk.columns:
            text = chunk[name].astype("string").dropna()
            present = text[~text.str.strip().isin(PLACEHOLDERS)]
            if present.empty:
                shapes[str(name)] = {"numeric": 0.0, "numbers": 0, "distinct": 0.0, "length": 0.0, "dates": 0.0}
                continue
            numbers = _as_numbers(present)
            shapes[str(name)] = {
                "numeric": float(numbers.notna().mean()), "numbers": int(numbers.nunique()),
                "distinct": present.nunique() / len(present), "length": float(present.str.len().mean()),
                "dates": float(present.str.fullmatch(DATE_LIKE).mean()),
            }
        return shapes
    return {}


def _is_measure(shape: dict[str, float]) -> bool:
    """Amounts and counts: numbers with many values that repeat. Numbers with few values (an age, a
    floor) are categories an attacker can know; numbers that are almost all distinct are identifiers."""
    return shape["numeric"] >= NUMERIC_SHARE and shape["numbers"] > MEASURE_VALUES and shape["distinct"] < 0.9


class Assessment:
    """One evaluation of one output; ``run`` returns the verdict."""

    def __init__(self, input_chunks: Chunks, output_chunks: Chunks, input_profile, plan: list[ColumnPlan],
                 rules: GuardRules, rows_in: int, suppressed: int, model_check: tuple[bool, int] | None) -> None:
        from detectors import load_lexicon, profile_chunks

        self.input_chunks, self.output_chunks = input_chunks, output_chunks
        self.input_profile, self.plan, self.rules = input_profile, plan, rules
        self.rows_in, self.suppressed, self.model_check = rows_in, suppressed, model_check
        self.output_profile = profile_chunks(output_chunks(), lexicon=load_lexicon(), min_share=rules.min_share)
        self.published = [c.name for c in self.output_profile.columns]
        self.by_column = {p.column: p for p in plan}
        self.input_entities = personal_entities(input_profile)
        self.as_is = {p.column for p in plan if p.action == "keep" and p.source == "spec"}
        self.surrogates = {p.column: p.entity for p in plan if p.action == "surrogate"}
        self.direct = set(rules.direct_identifiers) | vocabulary.direct_identifiers()
        self.personal = "personal_information" in rules.basis or self._about_people()
        self.figures: dict[str, object] = {}
        self.residual: list[ColumnFinding] = []

    # -- what a column is -------------------------------------------------------------------------
    def _about_people(self) -> bool:
        return columns.about_people(self.input_profile, self.input_entities, self.input_chunks)

    # -- checks ------------------------------------------------------------------------------------
    def never_raw(self) -> Check:
        hits = []
        for hit in columns.raw_hits(self.output_profile.columns, self.rules.never_raw, self.surrogates):
            hits.append(f"{hit.column}: {hit.matches} raw {hit.entity}")
            self.residual.append(ColumnFinding(column=hit.column, entity=hit.entity, share=round(hit.share, 4),
                                               score=1.0))
        figure = "no never-raw identifier in any published cell" if not hits else "; ".join(hits)
        return Check(name="never_raw", passed=not hits, figure=figure,
                     requirement=f"no cell of any column, kept ones included, holds {sorted(self.rules.never_raw)}")

    def rescan(self) -> Check:
        strong = vocabulary.strong()
        found = []
        for column in self.output_profile.columns:
            if column.name in self.as_is:
                continue
            present = {e.type for e in column.entities}
            for item in column.evidence:
                if item.type not in self.direct or item.type in self.rules.never_raw or item.matches == 0:
                    continue
                if self.surrogates.get(column.name) == item.type:
                    continue
                if item.type in strong or item.type in present:
                    found.append(ColumnFinding(column=column.name, entity=item.type,
                                               share=round(item.share, 4), score=round(item.score, 4)))
        # Names by the second finder, in every published text column (not only those read as prose).
        tokens = token_columns(self.plan) - {p.column for p in self.plan if p.action == "scrub"}
        for name in self.published:
            if self.surrogates.get(name) == "PERSON" or name in self.as_is or name in tokens:
                continue
            cells = sum(names.cells_with_names(chunk[name]) for chunk in self.output_chunks([name]))
            if cells and not any(f.column == name and f.entity == "PERSON" for f in found):
                found.append(ColumnFinding(column=name, entity="PERSON", share=round(cells / max(self._rows(), 1), 4),
                                           score=1.0))
        self.residual.extend(found)
        figure = ("no raw identifier found in the output" if not found else
                  "; ".join(f"{f.column}: {f.share:.1%} raw {f.entity}" for f in found))
        return Check(name="rescan", passed=not found, figure=figure,
                     requirement="the rescan of the output (two independent name finders for prose) finds no raw "
                                 "identifier outside columns published as is")

    def coverage(self) -> Check:
        uncovered, waived = columns.uncovered_columns(self.input_profile, self.by_column, self.direct,
                                                      self.rules.quasi_identifiers, self.rules.waivers)
        problems = [u.describe() for u in uncovered]
        for u in uncovered:
            self.figures.setdefault("uncovered", []).append({"column": u.column, "kinds": list(u.kinds)})
        self.waivers = waivers_of(self.rules, waived)
        self.figures["waivers"] = len(waived)
        figure = (f"every detected identifier or quasi-identifier column is treated, declared or waived"
                  f"{f' ({len(waived)} waived)' if waived else ''}") if not problems else "; ".join(problems)
        return Check(name="coverage", passed=not problems, figure=figure,
                     requirement="each column detected as a quasi-identifier or record identifier is treated, "
                                 "listed in privacy.quasi_identifiers or waived with a reason in privacy.waivers")

    def direct_identifiers(self) -> Check:
        allowed = self.rules.target_rules.direct_identifier_actions if self.rules.target_rules else frozenset()
        # Prose is scrubbed span by span with the class's actions; the rescan and leak search verify it.
        bad, total = columns.untreated_direct(self.input_profile, self.by_column, self.direct, allowed)
        figure = (f"{total - len(bad)} of {total} direct-identifier columns treated"
                  + (": " + ", ".join(f"{n} ({p.detected or p.entity}) is '{p.action}'" for n, p in bad)
                     if bad else ""))
        return Check(name="direct_identifiers", passed=not bad, figure=figure,
                     requirement=f"each direct identifier is one of {sorted(allowed)} for {self.rules.target}")

    def trade_secrets(self) -> Check:
        secrets = [p for p in self.plan if p.trade_secret or p.detected == vocabulary.TRADE_SECRET]
        bad = [p for p in secrets if p.action not in self.rules.trade_secret_actions]
        figure = (f"{len(secrets) - len(bad)} of {len(secrets)} trade-secret columns removed or aggregated"
                  + (": " + ", ".join(f"{p.column} is '{p.action}'" for p in bad) if bad else ""))
        return Check(name="trade_secrets", passed=not bad, figure=figure,
                     requirement=f"each trade-secret column is one of {sorted(self.rules.trade_secret_actions)}")

    def privacy(self) -> list[Check]:
        rules, quasi = self.rules, list(self.rules.quasi_identifiers)
        k = rules.required_k
        self.risk_after = risk_figures(self.output_chunks, quasi) if quasi else None
        risk = self.risk_after
        if risk is None and quasi:
            return [Check(name="suppression", passed=False, figure=f"all {self.suppressed} records suppressed",
                          requirement=f"classes of at least k = {k} over {', '.join(quasi)}")]
        if risk is None:
            personal = "personal_information" in rules.basis or self.personal
            figure = ("no quasi-identifiers declared" if personal else
                      "not applicable: the dataset holds no personal information")
            return [Check(name="k_anonymity", passed=not personal, figure=figure,
                          requirement="personal data names its quasi-identifiers in privacy.quasi_identifiers")]
        limit = rules.suppression_limit
        share = self.suppressed / self.rows_in if self.rows_in else 0.0
        max_risk = rules.target_rules.max_risk if rules.target_rules else 1.0
        checks = []
        if self.model_check is not None:
            anonymous, violating = self.model_check
            checks.append(Check(name="privacy_model", passed=anonymous, figure=f"{violating} records in violating "
                                "classes", requirement=f"{rules.privacy_model_label} on {rules.sensitive}"))
        return checks + [
            Check(name="k_anonymity", passed=risk.min_class_size >= k,
                  figure=f"smallest class {risk.min_class_size} over {', '.join(quasi)}", requirement=f"k >= {k}"),
            Check(name="suppression", passed=share <= limit, figure=f"{self.suppressed} records suppressed "
                  f"({share:.2%})", requirement=f"at most {limit:.0%} of records"),
            Check(name="reidentification_risk", passed=risk.prosecutor_highest <= max_risk,
                  figure=f"highest prosecutor risk {risk.prosecutor_highest:.3f}",
                  requirement=f"<= {max_risk} for {rules.target}"),
        ]

    def attack_columns(self) -> list[str]:
        """Published columns an attacker can link on: everything but unlinkable tokens (pseudonyms,
        labels, surrogates), prose (long texts) and plain measures. Masked, shifted and noised columns
        stay in: what they publish is measured like any value."""
        unlinkable = {p.column for p in self.plan if p.action in {"pseudonymize", "redact", "surrogate", "drop"}}
        shapes = _column_shapes(self.output_chunks)
        texty = {c.name for c in self.output_profile.columns if c.free_text}
        texty |= {p.column for p in self.plan if p.action == "scrub"}
        quasi = {c.name for c in self.input_profile.columns if c.quasi_identifier} | set(self.rules.quasi_identifiers)
        attack = []
        for name in self.published:
            shape = shapes.get(name)
            if name in unlinkable or shape is None:
                continue
            prose = name in texty and shape["length"] >= PROSE_LENGTH and shape["dates"] < 0.5
            if prose or (_is_measure(shape) and name not in quasi):
                continue
            attack.append(name)
        return attack

    def uniqueness(self) -> Check:
        columns = self.attack_columns()
        found = uniqueness.sample_uniqueness(self.output_chunks, columns, self.rules.uniqueness_max_columns)
        if not found.complete:
            return Check(name="uniqueness", passed=False,
                         figure=f"{len(columns)} linkable columns give more than {found.combinations_checked} "
                                f"combinations of up to {found.max_size}: not fully assessed",
                         requirement="every combination assessed: drop, generalize or pseudonymize columns")
        self.figures["uniqueness"] = {"columns": list(columns), "max_size": found.max_size,
                                      "unique_records": found.unique_records, "records": found.records,
                                      "share": round(found.share, 6),
                                      "smallest_combination": list(found.smallest_combination or [])}
        limit = self.rules.target_rules.max_unique_share if self.rules.target_rules else 0.0
        example = (f"; e.g. on {', '.join(found.smallest_combination)}" if found.smallest_combination else "")
        figure = (f"{found.unique_records} of {found.records} records ({found.share:.2%}) unique on some "
                  f"combination of up to {found.max_size} of {len(columns)} published columns{example}")
        return Check(name="uniqueness", passed=found.share <= limit, figure=figure,
                     requirement=f"at most {limit:.2%} of records unique on any combination of up to "
                                 f"{found.max_size} published columns, declared or not")

    def population_uniqueness(self) -> Check:
        quasi = list(self.rules.quasi_identifiers)
        frequencies = uniqueness.frequencies_of(self.output_chunks(quasi), quasi)
        found = uniqueness.zayatz(frequencies, self.rules.sampling_fraction)
        self.figures["population_uniqueness"] = {"model": found.model, "sampling_fraction": found.sampling_fraction,
                                                 "sample_uniques": found.sample_uniques,
                                                 "population_uniques": round(found.population_uniques, 3),
                                                 "share": round(found.share, 6)}
        limit = self.rules.target_rules.max_population_unique_share if self.rules.target_rules else 0.0
        return Check(name="population_uniqueness", passed=found.share <= limit,
                     figure=f"{found.population_uniques:.1f} estimated population uniques ({found.share:.2%}, "
                            f"Zayatz, sampling fraction {found.sampling_fraction:g})",
                     requirement=f"at most {limit:.2%} of records unique in the population")

    def leak_search(self) -> Check | None:
        if not self.input_entities and not self._input_prose():
            return None
        prose_in = {name: _token_entities for name in self._input_prose()}
        known = leaks.collect(self.input_chunks(), self.input_entities, prose_in)
        if known.empty:
            return None
        skip: dict[str, set[str]] = {name: {name} for name in self.as_is}  # its own values, no others
        for name in self.surrogates:
            skip.setdefault(name, set()).update({"PERSON", "LOCATION"})
        counts = leaks.LeakCount()
        prose = set(self._prose_columns())
        first = {n[0] for n in known.names}
        pseudonymized = [p.column for p in self.plan if p.action == "pseudonymize"]
        for chunk in self.output_chunks():
            leaks.search_chunk(_without_pseudonyms(chunk, pseudonymized), known, prose, skip, counts, first)
        # Column names are published too: one holding an input value is a leak (named by position only).
        positions = [i + 1 for i, name in enumerate(self.published)
                     if leaks.search_names(str(name), known) or leaks.holds_identifier(str(name), known)]
        for position in positions:
            counts.cells[(f"the name of column {position}", "PERSON or identifier")] += 1
        self.figures["leaks"] = [{"column": c, "entity": e, "cells": n} for (c, e), n in sorted(counts.cells.items())]
        figure = ("no identifier value of the input found in any published cell" if not counts.cells else
                  "; ".join(f"{c}: {n} cells hold a {e} of the input" for (c, e), n in sorted(counts.cells.items())))
        return Check(name="leak_search", passed=not counts.cells, figure=figure,
                     requirement="no published cell holds an identifier value of the input (normalised; names also "
                                 "inside text), outside the column published as is")

    def mask_strength(self) -> Check | None:
        weakest: dict[str, tuple[float, int]] = {}
        prose = set(self._prose_columns())
        for chunk in self.output_chunks():
            for name in chunk.columns:
                values = chunk[name].astype("string").dropna()
                values = values[values.str.contains(masks.MASK_CHAR, regex=False)]
                if values.empty:
                    continue
                if name in prose:
                    tokens = values.str.findall(masks.MASKED_TOKEN.pattern).explode().dropna()
                    items = [(masks.token_entity(t), t) for t in tokens.unique().tolist()[:MASK_SAMPLE]
                             if masks.MASK_CHAR in t and any(c.isdigit() for c in t)]
                else:
                    entity = self._entity_of(name)
                    items = [(entity, v) for v in values.unique().tolist()[:MASK_SAMPLE]]
                    if entity == "CN_RESIDENT_ID":
                        items = self._with_context(chunk, values.index, name)
                for entity, shown in items:
                    if entity is None:
                        continue
                    label = f"{name} ({entity})"
                    if isinstance(shown, tuple):  # a resident ID with its record's birth and sex
                        shown, birth, male = shown
                        count = masks.resident_id_given(shown, birth, male)
                    else:
                        count = masks.candidates(entity, shown)
                    visible = masks.shown_characters(shown.split("@", 1)[0] if entity == "EMAIL_ADDRESS" else shown)
                    low, most = weakest.get(label, (float("inf"), 0))
                    weakest[label] = (min(low, count), max(most, visible))
        if not weakest:
            return None
        minimum = self.rules.mask_min_candidates
        problems = []
        for label, (low, most) in sorted(weakest.items()):
            entity = label.rsplit("(", 1)[1].rstrip(")")
            cap = self.rules.mask_max_shown.get(entity)
            if low < minimum:
                problems.append(f"{label}: a masked value leaves {low:,.0f} candidate originals")
            if cap is not None and most > cap:
                problems.append(f"{label}: a mask shows {most} characters (at most {cap})")
        self.figures["mask_strength"] = [
            {"column": label.rsplit(" (", 1)[0], "entity": label.rsplit("(", 1)[1].rstrip(")"),
             "fewest_candidates": low, "most_shown": most,
             "cap": self.rules.mask_max_shown.get(label.rsplit("(", 1)[1].rstrip(")"))}
            for label, (low, most) in sorted(weakest.items())]
        figure = ("; ".join(problems) if problems else
                  "; ".join(f"{label}: at least {low:,.0f} candidates" for label, (low, _) in sorted(weakest.items())))
        return Check(name="mask_strength", passed=not problems, figure=figure,
                     requirement=f"each masked value is consistent with at least {minimum:,.0f} originals and shows "
                                 "no more characters than the policy allows for its entity")

    # -- helpers -----------------------------------------------------------------------------------
    def _with_context(self, chunk: pd.DataFrame, rows: pd.Index, name: str) -> list:
        """Masked resident IDs with what the same record publishes about its birth and sex."""
        from detectors.headers import quasi_hint

        birth = next((c for c in chunk.columns if c != name and quasi_hint(str(c)) in {"birth_date", "age"}
                      and quasi_hint(str(c)) == "birth_date"), None)
        sex = next((c for c in chunk.columns if c != name and quasi_hint(str(c)) == "gender"), None)
        frame = pd.DataFrame({"id": chunk.loc[rows, name].astype("string"),
                              "birth": chunk.loc[rows, birth].astype("string") if birth else None,
                              "sex": chunk.loc[rows, sex].astype("string") if sex else None})
        distinct = frame.drop_duplicates().head(MASK_SAMPLE)
        return [("CN_RESIDENT_ID", (i, masks.birth_context(b), masks.sex_context(x)))
                for i, b, x in distinct.itertuples(index=False, name=None)]

    def _prose_columns(self) -> list[str]:
        scrubbed = {p.column for p in self.plan if p.action == "scrub"}
        return [c.name for c in self.output_profile.columns if c.free_text or c.name in scrubbed]

    def _input_prose(self) -> list[str]:
        return [c.name for c in self.input_profile.columns if c.free_text]

    def _entity_of(self, name: str) -> str | None:
        plan = self.by_column.get(name)
        return self.input_entities.get(name) or (plan.detected or plan.entity if plan else None)

    def _rows(self) -> int:
        return self.output_profile.rows

    # -- the verdict -------------------------------------------------------------------------------
    def run(self) -> Verdict:
        from anonymizers.guard.evaluation import evaluation

        rules = self.rules
        self.waivers = []
        self.risk_after = None
        checks: list[Check] = []
        if rules.reclassifying:
            checks.append(Check(name="basis_curable", passed=curable(rules.basis), figure=f"basis {list(rules.basis)}",
                                requirement="only ['personal_information', 'trade_secret'] can be cured by "
                                            "desensitization (Art. 9)"))
        if rules.reclassifying or self.personal:
            # Records about people: their direct identifiers are treated whatever class the spec declares.
            checks.append(self.direct_identifiers())
        checks += [self.never_raw(), self.rescan()]
        if rules.reclassifying or self.personal:
            checks.append(self.coverage())
        if rules.reclassifying:
            checks.append(self.trade_secrets())
        if rules.reclassifying or rules.quasi_identifiers or self.personal:
            checks.extend(self.privacy())
        if self.personal and self._rows():
            checks.append(self.uniqueness())
            if rules.quasi_identifiers and self.risk_after is not None:
                checks.append(self.population_uniqueness())
        checks.extend(c for c in (self.leak_search(), self.mask_strength()) if c is not None)
        decision = _decision(rules, checks, self.waivers)
        return Verdict(decision=decision, evaluation=evaluation(self, checks, decision), residual=self.residual,
                       risk_after=self.risk_after,
                       output_entities=self.output_profile.entity_counts(self.rules.min_share))


_TOKEN_ENTITIES = ("CN_RESIDENT_ID", "CN_HMT_RESIDENCE_PERMIT", "CN_FOREIGNER_PR_ID", "PHONE_NUMBER",
                   "CN_BANK_CARD", "EMAIL_ADDRESS")


def _token_entities(tokens: list[str]) -> list[str | None]:
    """The strong entity each token from the input's prose validates as, if any: each entity's checks run
    once over all the tokens still unclaimed (tokens come by the thousand; one call each was most of it)."""
    from detectors.rules import validate_many

    out: list[str | None] = [None] * len(tokens)
    left = list(range(len(tokens)))
    for entity in _TOKEN_ENTITIES:
        if not left:
            break
        valid = validate_many(entity, [tokens[i] for i in left])
        for i, ok in zip(left, valid, strict=True):
            if ok:
                out[i] = entity
        left = [i for i, ok in zip(left, valid, strict=True) if not ok]
    return out


def _decision(rules: GuardRules, checks: Sequence[Check], waivers) -> Decision:  # noqa: ANN001
    base = dict(declared_class=rules.declared, basis=list(rules.basis), target_class=rules.target,
                policy_version=rules.policy_version, policy_sha256=rules.policy_sha256, checks=list(checks),
                waivers=list(waivers))
    failed = [c for c in checks if not c.passed]
    if failed:
        reason = "; ".join(f"{c.name} failed ({c.figure}; needs {c.requirement})" for c in failed)
        # A failed check publishes nothing, whatever the declared class: the guard decides, not the spec.
        return Decision(**base, published_class="not_open", reclassified=False, reason=reason)
    if rules.reclassifying:
        reason = f"reclassified {rules.declared} → {rules.target}: all {len(checks)} checks passed"
    else:
        reason = f"published as declared ({rules.declared}): all {len(checks)} checks passed"
    return Decision(**base, published_class=rules.target, reclassified=rules.reclassifying, reason=reason)


def _without_pseudonyms(chunk: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The chunk with the cells of pseudonymized columns that are exactly what the keyed operator writes
    (P + 16 hex digits) left out of the leak search: a keyed hash cannot carry an input value, but among a
    million of them some hold, by chance, a digit run equal to an input phone or card number, which would
    refuse every large release. Any other cell of such a column is searched as usual."""
    present = [c for c in columns if c in chunk.columns]
    if not present:
        return chunk
    out = chunk.copy()
    for name in present:
        text = out[name].astype("string")
        out[name] = text.mask(text.str.fullmatch(PSEUDONYM_SHAPE.pattern).fillna(False))
    return out
