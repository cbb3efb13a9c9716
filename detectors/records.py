"""Record identifiers: columns whose values are (nearly) all distinct and code-like.

An enrolment, case or account number (SI0000001, 2023-0815-0042, 370100123456) says nothing about a
person on its face, but it is one value per person, stays the same across releases and links to the
agency's other systems: published raw, it is a persistent identifier. A column is one when almost
every non-empty value is distinct and shaped like a code (letters and digits, no spaces, not a
decimal number, not a date), and its header does not call it a measure.

Counted chunk by chunk with 64-bit hashes of the values (memory: 8 bytes per distinct value).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from detectors.text import re2
from detectors.values import DATE_LIKE

# A code: letters, digits and the separators codes use; at least three digits; at most 40 characters.
CODE = r"[A-Za-z0-9][A-Za-z0-9\-_/#.]{2,39}"
THREE_DIGITS = "[0-9][^0-9]*[0-9][^0-9]*[0-9]"  # one search, where counting every digit took a pass of its own
DECIMAL = re2(r"[+-]?\d+\.\d+|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
MEASURE_WORDS = ("金额", "收入", "利润", "营收", "费", "额", "基数", "数量", "人数", "价格", "价", "率", "比例",
                 "面积", "重量", "长度", "年龄", "得分", "分数", "amount", "price", "total", "count", "score")
DISTINCT_SHARE = 0.95
CODE_SHARE = 0.9
MIN_ROWS = 20
SHAPE_SAMPLE = 200_000  # cells per column whose code shape is tested


@dataclass
class _Counts:
    non_empty: int = 0
    code_like: int = 0
    hashes: list[np.ndarray] = field(default_factory=list)
    lengths: set[int] = field(default_factory=set)
    letters: int = 0
    integers: int = 0
    low: float = float("inf")
    high: float = float("-inf")
    shaped: int = 0  # cells whose code shape was tested (the first SHAPE_SAMPLE)
    given_up: bool = False  # mostly no code so far: not followed further


@dataclass(frozen=True)
class RecordIdentifier:
    column: str
    distinct_share: float
    code_share: float


def _measure_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in MEASURE_WORDS)


def _count_chunk(state: _Counts, text: pd.Series) -> None:
    """Add one chunk's non-empty cells to a column's counts: every cell is hashed (distinctness needs them
    all); code shapes are tested on the column's first SHAPE_SAMPLE cells, a share a sample answers as
    well as the whole; integers are counted over every cell for as long as all cells are integers (a
    running number must be one throughout)."""
    all_integers = state.integers == state.non_empty
    state.non_empty += len(text)
    state.lengths.update(text.str.len().unique().tolist()[:64])
    state.hashes.append(np.unique(text_hashes(text)))
    head = text.iloc[: max(0, SHAPE_SAMPLE - state.shaped)]
    if len(head):
        codes = _ascii(head)
        code = (codes.str.fullmatch(CODE) & codes.str.contains(THREE_DIGITS, regex=True)).to_numpy(dtype=bool)
        shaped = codes[code]
        code[code] = ~(shaped.str.fullmatch(DECIMAL) | shaped.str.fullmatch(DATE_LIKE)).to_numpy(dtype=bool)
        state.code_like += int(code.sum())
        state.letters += int(codes.str.contains("[A-Za-z]", regex=True).sum())
        state.shaped += len(head)
    if all_integers:
        codes = _ascii(text)
        digits = pa.array(codes.array)
        # Arrow's cast of the all-digit cells: the numbers pandas' to_numeric reads, at a fraction of its cost.
        numbers = pc.cast(digits.filter(pc.match_substring_regex(digits, "^[0-9]{1,15}$")), pa.int64())
        if len(numbers):
            state.integers += len(numbers)
            state.low = min(state.low, float(pc.min(numbers).as_py()))
            state.high = max(state.high, float(pc.max(numbers).as_py()))


def text_hashes(text: pd.Series) -> np.ndarray:
    """64-bit hashes of ``text``, cell by cell: Python's own string hash (SipHash, keyed per process).

    The hashes are compared only within the process that made them (distinct counts, the guard's leak
    tables), never stored or sent to another process, so the per-process key is no obstacle; and it is a
    third cheaper than pandas' ``hash_array``, which encodes every string to bytes before hashing it. Not
    categorized first: the texts hashed are mostly distinct."""
    values = text.to_numpy(dtype=object)
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values)).view(np.uint64)


def sorted_distinct(parts: list[np.ndarray]) -> np.ndarray:
    """The distinct values of ``parts`` together, sorted; ``parts`` is emptied as they are merged.

    One merged copy sorted in place, then its distinct values: ``np.unique`` adds a hash table or a
    sorted copy of its own, the peak at the end of a pass over 10 M rows (600 MB more)."""
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    merged = np.concatenate(parts)
    parts.clear()
    merged.sort()
    if len(merged) < 2:
        return merged
    keep = np.empty(len(merged), dtype=bool)
    keep[0] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def _ascii(text: pd.Series) -> pd.Series:
    """The ASCII cells: a code is ASCII (CODE), so the shape tests need not read the others."""
    return text[np.asarray(pc.string_is_ascii(pa.array(text.array)), dtype=bool)]


def record_identifiers(chunks: Iterable[pd.DataFrame]) -> list[RecordIdentifier]:
    """The columns of a table (given as chunks) that are persistent record identifiers.

    A column whose cells so far are mostly no code (names, addresses, remarks) is no longer followed: a
    record number is a code in every chunk, and that column's hashes (8 bytes per distinct value, the
    bulk of this pass's memory on a table of millions of rows) are dropped."""
    counts: dict[str, _Counts] = {}
    for chunk in chunks:
        for name in chunk.columns:
            state = counts.setdefault(str(name), _Counts())
            if state.given_up:
                continue
            text = chunk[name].astype("string").str.strip().dropna()
            text = text[text != ""]
            if text.empty:
                continue
            _count_chunk(state, text)
            if state.code_like < CODE_SHARE * state.shaped and state.integers < state.non_empty:
                state.given_up, state.hashes = True, []
    found = []
    for name, state in counts.items():
        if state.given_up:
            continue
        if state.non_empty < MIN_ROWS or _measure_header(name):
            continue
        distinct = len(sorted_distinct(state.hashes))  # and drops them
        distinct_share = distinct / state.non_empty
        sequence = state.integers == state.non_empty and state.high - state.low + 1 <= 1.5 * distinct
        code_share = 1.0 if sequence else state.code_like / max(state.shaped, 1)
        # Plain integers of varying length are counts and amounts, unless they run as a sequence
        # (序号 1, 2, 3 …); codes with letters (SI0000001) or of fixed width (370100123456) are identifiers.
        fixed_width = max(state.lengths) - min(state.lengths) <= 2 if state.lengths else False
        shaped = state.letters or fixed_width or sequence
        if distinct_share >= DISTINCT_SHARE and code_share >= CODE_SHARE and shaped:
            found.append(RecordIdentifier(name, round(distinct_share, 4), round(code_share, 4)))
    return found


def with_record_identifiers(profile, found: list[RecordIdentifier]):  # noqa: ANN001, ANN201 - TableProfile
    """The profile with RECORD_IDENTIFIER added to columns that hold no other identifier."""
    from dataclasses import replace

    from detectors.profile import EntityEvidence
    from detectors.vocabulary import RECORD_IDENTIFIER

    by_name = {r.column: r for r in found}
    columns = []
    for column in profile.columns:
        record = by_name.get(column.name)
        if record is not None and not column.entities and not column.free_text:
            evidence = EntityEvidence(RECORD_IDENTIFIER, column.non_empty, 1.0, record.distinct_share)
            column = replace(column, entities=(evidence,), evidence=(*column.evidence, evidence),
                             quasi_identifier=False)
        columns.append(column)
    return replace(profile, columns=tuple(columns))
