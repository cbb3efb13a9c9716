"""Column profiler: which columns hold personal identifiers, trade secrets, quasi-identifiers, free text.

Chunk at a time: :func:`profile_chunks` folds each chunk into per-column counters (memory is
bounded by one chunk) and decides presence once, at the end, so ``profile_frame(df)`` equals
``profile_chunks([df])``. Every cell is looked at (the verify stage must find a single
residual identifier), using pandas ``.str`` methods over the whole chunk column: fold
full-width forms, strip separators, full-match each entity's candidate pattern, then run the
validator only on candidates. Cells that read like prose are also scanned span by span
(``scan.py`` for weak identifiers, ``persons.py`` for names), after a cheap vectorized
prefilter. pyarrow is used directly only through ``_arrow``, which hands it one contiguous
array whatever the column's storage (pandas keeps chunked arrays after ``pd.concat``).

Nothing derived from a cell value leaves this module: profiles hold names, counts, shares
and scores only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from detectors import headers, vocabulary
from detectors.lexicon import TradeSecretLexicon, load_lexicon
from detectors.persons import THRESHOLD as NAME_THRESHOLD
from detectors.persons import canonical_person_spans, digit_canonical, person_hint
from detectors.rules import ENTITIES, RULES, WEAK, EntityRule
from detectors.text import as_text, re2
from detectors.values import (
    COMPANY_SUFFIXES,
    DATE_LIKE,
    MASK_MARKS,
    MASKED,
    NUMERIC,
    QUASI_VALUES,
    generated_labels,
    unwrapped,
)

TRADE_SECRET = "TRADE_SECRET"
# Entities that make a column identifying (a quasi-identifier such as a coordinate does not).
DIRECT_ENTITIES = vocabulary.personal()
QUASI_ENTITIES = vocabulary.names("quasi")
# A mixed column (passports and permits, e-mails and mobiles) reports every entity holding at
# least this share of its unmasked cells (and MIXED_MIN_CELLS cells) once the column identifies.
MIXED_MIN_SHARE = 0.1
MIXED_MIN_CELLS = 3
HASH_MIN_DISTINCT = 10
VETO_SHARE = 0.9  # share of matches of the rule's column_veto shape that makes them something else
DISTINCT_SAMPLE = 5000
SHAPE_SAMPLE = 20_000
PROSE_LIMIT: int | None = None  # default: every prose cell that needs the analyzer or name finder gets it
SPAN_CONCLUSIVE = 0.5  # a validated span scoring this without context counts without Presidio
# A cell reads like prose: sentence punctuation or inner whitespace, or simply long.
TEXTY = re2(r"[，。；！？、,;!?：:]|[\u4e00-\u9fff][.]|\S\s+\S")


@dataclass(frozen=True)
class EntityEvidence:
    type: str
    matches: int
    share: float
    score: float


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    non_empty: int
    evidence: tuple[EntityEvidence, ...]
    entities: tuple[EntityEvidence, ...]
    masked: int
    free_text: bool
    quasi_identifier: bool

    @property
    def primary(self) -> str | None:
        return self.entities[0].type if self.entities else None

    def entity_counts(self) -> dict[str, dict[str, int]]:
        """Cells per entity type: ``evidence`` (every entity with a raw, validated cell) and ``present``
        (those the column as a whole is judged to hold), most cells first. Counts only, never values."""
        return {"evidence": _counts(self.evidence), "present": _counts(self.entities)}


@dataclass(frozen=True)
class TableProfile:
    rows: int
    columns: tuple[ColumnProfile, ...]

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"no column named {name!r} in the profile")

    def entity_counts(self, min_share: float) -> EntityCounts:
        """Every uniquely named column's ``entity_counts``, for a reader of the same table that would
        otherwise profile it again (the quality gate after the guard); ``min_share``: the one profiled with."""
        names = [c.name for c in self.columns]
        return EntityCounts(min_share=min_share, columns={
            c.name: c.entity_counts() for c in self.columns if names.count(c.name) == 1})

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "columns": [
                {
                    "name": c.name,
                    "entities": [
                        {"type": e.type, "share": round(e.share, 4), "score": round(e.score, 4)}
                        for e in c.entities
                    ],
                    "free_text": c.free_text,
                    "quasi_identifier": c.quasi_identifier,
                }
                for c in self.columns
            ],
        }


@dataclass(frozen=True)
class EntityCounts:
    """A profiled table's entity counts per column (``ColumnProfile.entity_counts``), with the share
    the profile judged presence at: only a reader judging at the same share may use them."""

    min_share: float
    columns: dict[str, dict[str, dict[str, int]]]

    def of(self, column: str, min_share: float) -> dict[str, dict[str, int]] | None:
        """The counts of ``column`` if it was profiled and judged at ``min_share``, else None."""
        return self.columns.get(column) if min_share == self.min_share else None


def _counts(items: Sequence[EntityEvidence]) -> dict[str, int]:
    counts = {str(e.type): int(e.matches) for e in items if e.matches > 0}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass
class _Stats:
    """Running counts for one column across chunks (no cell values kept, only hashes for distinctness)."""

    name: str
    non_empty: int = 0
    masked: int = 0  # already masked cells and labels written by Kaifang's operators
    matches: Counter = field(default_factory=Counter)  # whole-cell validated matches
    vetoed: Counter = field(default_factory=Counter)  # matches also of the rule's column_veto shape
    span_cells: Counter = field(default_factory=Counter)  # prose cells with >= 1 validated span
    span_score: Counter = field(default_factory=Counter)  # sum of best span score per such cell
    texty: int = 0
    length: int = 0
    distinct: set = field(default_factory=set)  # hashes of the first DISTINCT_SAMPLE cells
    sampled: int = 0
    # Value shapes (numbers, dates, company names, category values) on the first SHAPE_SAMPLE
    # unmasked cells: they only feed share tests, which a sample answers as well as the whole.
    shape_cells: int = 0
    numeric: int = 0
    dates: int = 0
    company: int = 0
    quasi: Counter = field(default_factory=Counter)
    analyzed: int = 0  # distinct prose texts sent through the analyzer or the name finder

    @property
    def distinct_ratio(self) -> float:
        return len(self.distinct) / self.sampled if self.sampled else 0.0


def _cleaned(raw: pd.Series, pattern: str | None, upper: bool, touched: np.ndarray) -> pd.Series:
    """Separators removed and letters upper-cased, touching only the cells that need it: those
    ``touched`` (see :data:`_TOUCHED`), then those the rule's own pattern finds."""
    index = np.flatnonzero(touched)
    if not len(index) or not (pattern or upper):
        return raw
    subset = raw.iloc[index]
    out = subset
    if pattern:
        has = subset.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        if has.any():
            out = subset.copy()
            out[has] = subset[has].str.replace(pattern, "", regex=True)
    if upper:
        lower = out.str.contains("[a-z]", regex=True).to_numpy(dtype=bool)
        if lower.any():
            out = out.copy()
            out[lower] = out[lower].str.upper()
    if out is subset:
        return raw
    whole = raw.copy()
    whole.iloc[index] = out.to_numpy()
    return whole


# Every rule's separators and the lower-case letters, in one search: a cell holding none of them is
# its own cleaned form under every rule, so each rule's own search runs only on the cells it finds.
_TOUCHED = "|".join(sorted({rule.clean for rule in RULES if rule.clean} | {"[a-z]"}))


def _scan_prose(prose: pd.Series, weight: np.ndarray, budget: int | None) -> tuple[dict[str, list[float]], int]:
    """Per entity, the best span score of each prose cell holding a validated span.

    ``prose`` holds distinct cells and ``weight`` how many times each occurs. Same patterns and
    validators as the Presidio recognizers: each rule's ``span`` is searched only in cells its
    vectorized ``hint`` selects, and its matches go through ``rule.validate_many``. Validated spans
    of entities whose span score is conclusive count directly; weak ones (passport, permit,
    bank card) go through :func:`detectors.scan.scan_texts` (a batch per entity set), where Chinese
    context words decide. Names go through :func:`detectors.persons.person_spans` (what the PERSON
    recognizer runs), called directly on each distinct digit-canonical text
    (``persons.digit_canonical``): remarks that differ only in a phone or ID number (申请人来电（138…）)
    are one text, and the spans are remembered for the span scanner that desensitizes the same cells.
    At most ``budget`` distinct texts (``None``: all) go through either; returns the scores and
    how many did.
    """
    found: dict[str, list[float]] = {}
    deferred: dict[int, set[str]] = {}
    cells = prose.tolist()
    for rule in RULES:
        if rule.entity == "PERSON" or rule.span is None:
            continue
        pattern = _span_regex(rule.span)
        scores: list[float] = []
        # Every match of every hinted cell validated in one call (the checks are vectorized).
        owners, matches = [], []
        for i in np.flatnonzero(prose.str.contains(rule.hint, regex=True).to_numpy()).tolist():
            for m in pattern.finditer(cells[i]):
                owners.append(i)
                matches.append(m.group())
        valid = sorted({i for i, ok in zip(owners, rule.validate_many(matches), strict=True) if ok})
        for i in valid:
            if rule.strong or rule.span_score >= SPAN_CONCLUSIVE:
                scores.extend([1.0 if rule.strong else rule.span_score] * int(weight[i]))
            else:
                deferred.setdefault(i, set()).add(rule.entity)
        if scores:
            found.setdefault(rule.entity, []).extend(scores)
    order = sorted(deferred)[: budget if budget is not None else None]
    if order:
        from detectors.scan import scan_texts

        groups: dict[tuple[str, ...], list[int]] = {}
        for i in order:
            groups.setdefault(tuple(sorted(deferred[i])), []).append(i)
        for entities, members in groups.items():
            for i, spans in zip(members, scan_texts([cells[i] for i in members], entities=list(entities)),
                                strict=True):
                best: dict[str, float] = {}
                for span in spans:
                    best[span.type] = max(best.get(span.type, 0.0), span.score)
                for entity, score in best.items():
                    found.setdefault(entity, []).extend([score] * int(weight[i]))
    analyzed = len(order)

    left = None if budget is None else max(0, budget - analyzed)
    if left != 0:
        codes, uniques = pd.factorize(pd.Series([digit_canonical(c) for c in cells], dtype=object))
        texts = pd.Series(uniques, dtype="str")
        text_weight = np.bincount(codes, weights=weight, minlength=len(texts))
        pick = np.flatnonzero(texts.str.contains(person_hint(), regex=True).to_numpy(dtype=bool))[:left]
        names = texts.tolist()
        scores = []
        for i in pick:
            best_name = max((s.score for s in canonical_person_spans(names[i]) if s.score >= NAME_THRESHOLD),
                            default=0.0)
            if best_name:
                scores.extend([best_name] * int(text_weight[i]))
        if scores:
            found["PERSON"] = scores
        analyzed += len(pick)
    return found, analyzed


@lru_cache(maxsize=64)
def _span_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_COMPANY = "(?s).*(?:" + "|".join(re.escape(s) for s in COMPANY_SUFFIXES) + ")"


def _arrow(values: pd.Series) -> pa.Array:
    """The text Series as one contiguous pyarrow array.

    pandas keeps a pyarrow-backed column as a ``ChunkedArray`` (several chunks after
    ``pd.concat``, ``read_csv`` with a pyarrow engine, ``take`` …), and some compute results
    (``dictionary_encode``'s ``indices``) only exist on plain arrays; so every direct use of
    pyarrow in the profiler goes through here.
    """
    if isinstance(values.array, ArrowStringArray):
        array = pa.array(values.array)
    else:  # python-backed strings or objects: hand pyarrow plain str/None
        array = pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def _distinct_values(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Distinct cells and how often each occurs (pyarrow dictionary encoding: fast, order-stable)."""
    encoded = pc.dictionary_encode(_arrow(values))
    weight = np.bincount(np.asarray(encoded.indices), minlength=len(encoded.dictionary))
    return encoded.dictionary.to_pandas().astype("str"), weight


_MASK_MARK_RE = "|".join(re.escape(mark) for mark in MASK_MARKS)


def _masked(values: pd.Series) -> np.ndarray:
    """MASKED full-match, run only on cells holding a mask character (a literal search is cheap)."""
    # One RE2 pass for all marks: Arrow's literal search is a naive scan, four of them cost up to four
    # times one alternation (67 against 16 ms on 100 k addresses).
    maybe = np.asarray(pc.match_substring_regex(_arrow(values), _MASK_MARK_RE).fill_null(False), dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    index = np.flatnonzero(maybe)
    if len(index):
        out[index] = values.iloc[index].str.fullmatch(MASKED).to_numpy(dtype=bool)
    return out


def _update_shapes(stats: _Stats, values: pd.Series) -> None:
    """Numbers, dates, company names and quasi-identifier values, on the column's first cells."""
    sample = values.iloc[: SHAPE_SAMPLE - stats.shape_cells]
    sample = sample[~_masked(sample)]
    stats.shape_cells += len(sample)
    if sample.empty:
        return
    stats.numeric += int(sample.str.fullmatch(NUMERIC).sum())
    stats.dates += int(sample.str.fullmatch(DATE_LIKE).sum())
    stats.company += int(sample.str.contains(_COMPANY, regex=True).sum())
    short = sample[sample.str.len().to_numpy() <= 12]
    for kind, pattern in QUASI_VALUES.items():
        stats.quasi[kind] += int(short.str.fullmatch(pattern).sum())


def _update(stats: _Stats, column: pd.Series, scan_prose: bool, prose_limit: int | None) -> None:
    text = as_text(column)
    values = text[text.notna()]
    if values.empty:
        return
    stats.non_empty += len(values)
    if stats.sampled < DISTINCT_SAMPLE:
        head = values.iloc[: DISTINCT_SAMPLE - stats.sampled].tolist()
        stats.distinct.update(hash(v) for v in head)
        stats.sampled += len(head)
    if stats.shape_cells < SHAPE_SAMPLE:
        _update_shapes(stats, values)

    # Work on distinct values weighted by their counts: agency columns repeat a lot.
    raw, weight = _distinct_values(values)
    masked = _masked(raw) | generated_labels(raw)
    if masked.any():
        stats.masked += int(weight[masked].sum())
        raw, weight = raw[~masked].reset_index(drop=True), weight[~masked]
    if raw.empty:
        return
    lengths = raw.str.len().to_numpy()
    stats.length += int((lengths * weight).sum())
    inner = unwrapped(raw)  # what the rules look at: the value inside export wrappers
    is_ascii = np.asarray(pc.string_is_ascii(_arrow(inner)), dtype=bool)
    family = {True: np.flatnonzero(is_ascii), False: np.flatnonzero(~is_ascii), None: np.arange(len(raw))}
    hints = headers.entity_hints(stats.name)

    touched = np.asarray(pc.match_substring_regex(_arrow(inner), _TOUCHED), dtype=bool)
    cleaned_by: dict[tuple, tuple[np.ndarray, pd.Series, np.ndarray]] = {}
    whole = np.zeros(len(raw), dtype=bool)
    for rule in _rule_order(stats.name):
        # A cell is one thing: the first rule that validates it (check-digit entities come first)
        # claims it, so an ID that happens to pass Luhn is not also counted as a bank card.
        key = (rule.ascii_only, rule.clean, rule.upper)
        if key not in cleaned_by:
            index = family[rule.ascii_only]
            cleaned = _cleaned(inner.iloc[index], rule.clean, rule.upper, touched[index])
            cleaned_by[key] = (index, cleaned, cleaned.str.len().to_numpy())
        index, cleaned, size = cleaned_by[key]
        low, high = rule.lengths
        pick = np.flatnonzero((size >= low) & (size <= high) & ~whole[index])
        if not len(pick):
            continue
        subset = cleaned.iloc[pick]
        named = _header_names(rule, stats.name)
        candidate = np.flatnonzero(_candidates(rule, subset, named))
        if not len(candidate):
            continue
        # A header naming the entity lets the standard's main check alone decide (column_check).
        hinted = named or rule.entity in hints
        check = rule.column_check if hinted and rule.column_check else rule.check
        ok = check(subset.iloc[candidate].tolist())
        hit = index[pick[candidate[ok]]]
        if len(hit):
            stats.matches[rule.entity] += int(weight[hit].sum())
            whole[hit] = True
            if rule.column_veto is not None:
                vetoed = rule.column_veto(subset.iloc[candidate[ok]].tolist())
                stats.vetoed[rule.entity] += int(weight[hit[vetoed]].sum())

    maybe = np.flatnonzero(~whole & (lengths >= 8))
    prose = np.zeros(len(raw), dtype=bool)
    if len(maybe):
        texty = raw.iloc[maybe].str.contains(TEXTY, regex=True).to_numpy(dtype=bool)
        prose[maybe] = texty | (lengths[maybe] >= 40)
    stats.texty += int(weight[prose].sum())
    if scan_prose and prose.any():
        budget = None if prose_limit is None else max(0, prose_limit - stats.analyzed)
        index = np.flatnonzero(prose)
        found, analyzed = _scan_prose(raw.iloc[index].reset_index(drop=True), weight[index], budget)
        stats.analyzed += analyzed
        for entity, scores in found.items():
            stats.span_cells[entity] += len(scores)
            stats.span_score[entity] += sum(scores)


@lru_cache(maxsize=4096)
def _rule_order(header: str) -> tuple[EntityRule, ...]:
    """Rules whose header-only pattern the column name calls for go first: under 社保卡号 a letter
    and eight digits is a card number, not a passport."""
    return tuple(sorted(RULES, key=lambda rule: not _header_names(rule, header)))


def _header_names(rule: EntityRule, header: str) -> bool:
    return rule.header_only is not None and headers.matches(header, rule.header_only[0])


def _candidates(rule: EntityRule, subset: pd.Series, named: bool) -> np.ndarray:
    """Cells full-matching the rule's candidate, or its header-only pattern when the header names it."""
    matched = np.zeros(len(subset), dtype=bool)
    if rule.candidate:
        matched |= subset.str.fullmatch(rule.candidate).to_numpy(dtype=bool)
    if named and rule.header_only:
        matched |= subset.str.fullmatch(rule.header_only[1]).to_numpy(dtype=bool)
    return matched


def _entity_score(stats: _Stats, entity: str, hinted: bool, decoy: bool) -> float:
    clean = stats.non_empty - stats.masked
    if clean <= 0:
        return 0.0
    share = stats.matches[entity] / clean
    score = share
    if hinted and share >= 0.2:
        score = min(1.0, share + 0.3)
    if decoy and not hinted:
        score -= 0.2
    if entity in WEAK and not hinted:
        score *= 0.9
        if entity == "PERSON" and stats.distinct_ratio < 0.3:
            score *= 0.5
        if entity == "HASHED_IDENTIFIER" and len(stats.distinct) < HASH_MIN_DISTINCT:
            score *= 0.5  # a handful of digests: versions or file checksums, not one per person
    if stats.matches[entity] and stats.vetoed[entity] / stats.matches[entity] >= VETO_SHARE:
        return 0.0
    return max(0.0, min(1.0, score))


def _quasi(stats: _Stats, name: str, direct: bool, quasi_entity: bool = False) -> bool:
    if quasi_entity:
        return not direct
    if direct or stats.non_empty == 0:
        return False
    n = stats.shape_cells
    kind = headers.quasi_hint(name)
    if kind == "birth_date":
        return n == 0 or stats.dates / n >= 0.5
    if kind == "age":
        return n == 0 or stats.numeric / n >= 0.5
    if kind is not None:
        return True
    if n == 0:
        return False
    return any(stats.quasi[k] / n >= 0.8 for k in ("gender", "ethnicity", "education", "marital", "district"))


def _finish(stats: _Stats, enterprise_table: bool, lexicon: TradeSecretLexicon, min_share: float) -> ColumnProfile:
    hints = headers.entity_hints(stats.name)
    decoy = headers.decoy_hint(stats.name)
    n = stats.non_empty
    clean = n - stats.masked
    free_text = n > 0 and stats.texty / n >= 0.3 and stats.length / max(clean, 1) >= 8
    evidence: list[EntityEvidence] = []
    present: list[EntityEvidence] = []
    for entity in ENTITIES:
        cells = stats.matches[entity] + stats.span_cells[entity]
        if cells == 0:
            continue
        score = _entity_score(stats, entity, entity in hints, decoy)
        if stats.span_cells[entity]:
            span_mean = stats.span_score[entity] / stats.span_cells[entity]
            if free_text:
                score = max(score, span_mean)
        item = EntityEvidence(entity, cells, cells / n, round(score, 6))
        evidence.append(item)
        if score >= min_share:
            present.append(item)
    category = lexicon.category_for(stats.name)
    if category is not None and clean > 0 and not present:
        score = category.weight
        if enterprise_table and not lexicon.is_enterprise_header(stats.name):
            score += lexicon.context_boost
        if category.numeric and stats.shape_cells and stats.numeric / stats.shape_cells >= 0.8:
            score += lexicon.numeric_boost
        item = EntityEvidence(TRADE_SECRET, clean, clean / n, round(min(1.0, score), 6))
        evidence.append(item)
        if item.score >= lexicon.threshold:
            present.append(item)
    if not free_text:
        present = _mixture(stats, evidence, present, min_share)
    present.sort(key=lambda e: (-e.score, -e.matches, e.type))
    evidence.sort(key=lambda e: (-e.score, e.type))
    direct = any(e.type in DIRECT_ENTITIES for e in present)
    return ColumnProfile(
        name=stats.name,
        non_empty=n,
        evidence=tuple(evidence),
        entities=tuple(present),
        masked=stats.masked,
        free_text=bool(free_text),
        quasi_identifier=_quasi(stats, stats.name, direct, any(e.type in QUASI_ENTITIES for e in present)),
    )


def _mixture(stats: _Stats, evidence: list[EntityEvidence], present: list[EntityEvidence],
             min_share: float) -> list[EntityEvidence]:
    """Columns that mix identifier types (passports and permits under 证件号码, e-mails and mobiles
    under 账号): each type's share may stay under ``min_share`` while together they fill the column.

    Each entity's credit is its whole-cell share, lowered as its own score is (weak entity without
    a header, few distinct names, a decoy header) but not raised by a header. When the credits
    together reach ``min_share``, the column identifies, and every identifying entity with a
    meaningful credit (MIXED_MIN_SHARE and MIXED_MIN_CELLS) is reported with its credit as score,
    so the largest comes first.
    """
    clean = stats.non_empty - stats.masked
    if clean <= 0:
        return present
    credit = {
        e.type: min(e.score, stats.matches[e.type] / clean)
        for e in evidence
        if e.type in DIRECT_ENTITIES and stats.matches[e.type] > 0
    }
    if sum(credit.values()) < min_share:
        return present
    reported = {e.type for e in present}
    extra = [
        EntityEvidence(e.type, e.matches, e.share, round(credit[e.type], 6))
        for e in evidence
        if e.type in credit
        and e.type not in reported
        and stats.matches[e.type] >= MIXED_MIN_CELLS
        and credit[e.type] >= MIXED_MIN_SHARE
    ]
    if not extra:
        return present
    if not any(e.type in DIRECT_ENTITIES for e in present):
        # No single type carried the column: the largest type leads.
        extra.sort(key=lambda e: -e.score)
        return [*extra, *present]
    return [*present, *extra]


def _is_enterprise_table(all_stats: list[_Stats], lexicon: TradeSecretLexicon) -> bool:
    for stats in all_stats:
        clean = stats.non_empty - stats.masked
        if clean <= 0:
            continue
        if stats.matches["CN_USCC"] / clean >= 0.5:
            return True
        if lexicon.is_enterprise_header(stats.name) and stats.shape_cells and stats.company / stats.shape_cells >= 0.3:
            return True
        if headers.entity_hints(stats.name) & {"CN_USCC"}:
            return True
    return False


def _column_key(columns: Iterable[Any]) -> list[tuple[str, int]]:
    seen: Counter = Counter()
    keys = []
    for column in columns:
        name = str(column)
        keys.append((name, seen[name]))
        seen[name] += 1
    return keys


def profile_chunks(
    chunks: Iterable[pd.DataFrame],
    *,
    lexicon: TradeSecretLexicon | None = None,
    min_share: float = 0.5,
    scan_free_text: bool = True,
    prose_limit: int | None = PROSE_LIMIT,
) -> TableProfile:
    """Profile a table given as DataFrame chunks; counts accumulate, presence is decided at the end.

    ``min_share`` is the score a column needs for an entity to be called present (the policy's
    ``min_share``). Every cell goes through the vectorized rules, and every prose cell through the
    span patterns and validators; weak identifiers in prose (passport-like numbers …) also go
    through the Presidio analyzer (0.2-1 ms a cell), and every prose text that holds a surname
    character through the name finder (``persons.person_spans``: jieba's part-of-speech tagger
    and cue words, about 0.1-0.3 ms a text; texts that differ only in their digits count once).
    By default all of them do, so the verify stage finds every residual; ``prose_limit=N`` caps
    it at N distinct prose texts per column for tables made mostly of prose.
    ``scan_free_text=False`` skips prose entirely.
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    by_key: dict[tuple[str, int], _Stats] = {}
    rows = 0
    for chunk in chunks:
        if not isinstance(chunk, pd.DataFrame):
            raise TypeError("profile_chunks expects pandas DataFrames")
        rows += len(chunk)
        for position, key in enumerate(_column_key(chunk.columns)):
            stats = by_key.setdefault(key, _Stats(name=key[0]))
            _update(stats, chunk.iloc[:, position], scan_free_text, prose_limit)
    all_stats = list(by_key.values())
    enterprise = _is_enterprise_table(all_stats, lexicon)
    columns = tuple(_finish(s, enterprise, lexicon, min_share) for s in all_stats)
    return TableProfile(rows=rows, columns=columns)


def profile_frame(
    df: pd.DataFrame,
    *,
    lexicon: TradeSecretLexicon | None = None,
    min_share: float = 0.5,
    scan_free_text: bool = True,
    prose_limit: int | None = PROSE_LIMIT,
) -> TableProfile:
    """Profile one DataFrame (every cell); same result as ``profile_chunks([df])``."""
    return profile_chunks(
        [df], lexicon=lexicon, min_share=min_share, scan_free_text=scan_free_text, prose_limit=prose_limit
    )


__all__ = ["ColumnProfile", "EntityEvidence", "TableProfile", "profile_chunks", "profile_frame"]
