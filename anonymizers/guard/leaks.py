"""Leak search: look for the input's own identifier values in every published cell.

Whatever a detector misses, a value copied from an identifier column of the input into the output
(a kept column, a remark, a column that was meant to be treated) is found here, because the
search does not ask what a value looks like, only whether it was an identifier in the input.
Values are compared normalised (full-width forms folded, spaces, dashes, dots and brackets
removed, letters upper-cased) and as 64-bit hashes, so memory grows with distinct identifiers,
not rows, and no value is kept in the clear. Names are also searched as substrings of prose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from anonymizers.operators import arrow_strings
from detectors.records import sorted_distinct, text_hashes
from detectors.text import PYTHON_SPACES

# Python's \s and the dashes U+2010–U+2015 written as characters, so pyarrow's RE2 runs it as Python's re would.
SEPARATORS = f"[{PYTHON_SPACES}\\-\u2010-\u2015_()（）\\[\\]【】·•・./\\\\]"
# Runs of letters and digits in prose that could be a copied identifier (phones, IDs, cards, codes).
TOKEN = r"[0-9A-Za-z@+%]{6,}"
# A maximal run of digits (a resident ID may end in X), looked for once separators are removed:
# 电话 138 1234 5678 and SI370114199508135589 both give the identifier as a run of its own.
DIGIT_RUN = r"[0-9]{11,}X?"
# At most this many distinct names are searched inside prose (each distinct prose text is walked once).
NAME_LIMIT = 500_000


def normalise(values: pd.Series) -> pd.Series:
    """Text as it compares for a leak: compatibility-folded (full-width forms, ligatures), separators removed,
    upper-case; one pass of pyarrow kernels over the column.

    Folded as NFKD, not NFKC: pyarrow's NFKC does not compose (pandas then runs Python's unicodedata cell
    by cell), and every side of a comparison goes through this one function, so either form matches a
    value with itself; NFKD also matches a composed letter with its decomposed spelling."""
    array = pa.array(values.astype("string").array)
    folded = pc.utf8_upper(pc.replace_substring_regex(pc.utf8_normalize(array, "NFKD"), SEPARATORS, ""))
    return pd.Series(pd.arrays.ArrowStringArray(folded), index=values.index, dtype="string")


def hashes(values: pd.Series, shortest: int = 4) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the normalised values of at least ``shortest`` characters
    (shorter codes, 男 or 01, are not identifiers whatever column they came from)."""
    return _hashes_of(normalise(values).dropna(), shortest)


def _hashes_of(text: pd.Series, shortest: int, distinct: bool = True) -> np.ndarray:
    text = text[text.str.len() >= shortest]
    if text.empty:
        return np.zeros(0, dtype=np.uint64)
    found = text_hashes(text)
    return np.unique(found) if distinct else found


def _searchable_name(name: str) -> bool:
    """Names looked for inside text: two-character names that are also ordinary words (高峰, 黄河,
    高明) would match 高峰时段 and 黄河以北, so only longer names (minority names joined by a dot
    too, 古丽娜尔吐尔逊 once normalised), or two-character names that are no dictionary word, are
    searched as substrings (all names are still compared as whole cells)."""
    if not 2 <= len(name) <= 16 or name.isascii():
        return False
    if len(name) > 2:
        return True
    from detectors.persons import in_dictionary

    return not in_dictionary(name)


def _member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    if not len(table) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    where = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[where] == keys


@dataclass
class InputIdentifiers:
    """The identifier values of the input, hashed, per source column (with its entity); names also
    kept for substring search. A prose column's validated tokens are a source of their own."""

    by_source: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    parts: dict[str, tuple[str, list[np.ndarray]]] = field(default_factory=dict)  # added, not yet sealed

    def add(self, source: str, entity: str, values: pd.Series) -> None:
        values = pd.Series(values.dropna().unique(), dtype="string")  # each distinct value normalised once
        text = normalise(values).dropna()
        found = _hashes_of(text, 2 if entity == "PERSON" else 6, distinct=False)  # ``seal`` sorts them once
        # Hashes pile up chunk by chunk and are merged once (``seal``), not re-merged at every chunk.
        self.parts.setdefault(source, (entity, []))[1].append(found)
        if entity == "PERSON" and len(self.names) < NAME_LIMIT:
            self.names.update(t for t in text.unique().tolist() if _searchable_name(t))

    def seal(self) -> InputIdentifiers:
        """Sort and deduplicate each source's hashes (what ``search_chunk`` looks them up in)."""
        while self.parts:  # each source's parts dropped as soon as its table is made: one source's copy at a time
            source, (entity, parts) = self.parts.popitem()
            previous = self.by_source.get(source)
            tables = [*parts, previous[1]] if previous is not None else parts
            self.by_source[source] = (entity, sorted_distinct(tables))
        return self

    @property
    def empty(self) -> bool:
        return not any(len(table) for _, table in self.by_source.values()) and not self.names


def collect(chunks: Iterable[pd.DataFrame], columns: dict[str, str],
            prose_tokens: dict[str, object] | None = None) -> InputIdentifiers:
    """Hash the values of the input's identifier ``columns`` (column -> entity), chunk by chunk.

    ``prose_tokens`` maps free-text columns to a validator ``(tokens) -> [entity | None, …]``: tokens of
    those columns that validate as an identifier are added, so a phone number inside a remark is
    searched for too.
    """
    found = InputIdentifiers()
    wanted = [*columns, *(prose_tokens or {})]
    for chunk in chunks:
        for name in wanted:
            if name not in chunk.columns:
                continue
            if name in columns:
                found.add(name, columns[name], chunk[name])
            if prose_tokens and name in prose_tokens:
                text = pd.Series(chunk[name].astype("string").dropna().unique(), dtype="string")
                # Tokens as written, and digit runs once separators are gone (身份证 370114 19950813 5589).
                tokens = pd.concat([_findall(text, TOKEN), _findall(normalise(text), DIGIT_RUN)])
                for entity, group in _validated(tokens.unique().tolist(), prose_tokens[name]).items():
                    found.add(f"{name}\x1f{entity}", entity, pd.Series(group, dtype="string"))
    return found.seal()


def _findall(text: pd.Series, pattern: str) -> pd.Series:
    """The matches of ``text.str.findall(pattern).explode().dropna()``, index the cell each came from (a
    cell's matches in order, the cells grouped as they come: the callers hash them, order aside).

    pyarrow's RE2 counts the matches of every cell and extracts the match of the cells holding one; Python's
    re runs only on the few cells holding several (TOKEN and DIGIT_RUN read alike in both, and a run of
    one class has no overlapping or empty matches): in prose most cells hold none, and most others one."""
    array = arrow_strings(text)
    counts = np.asarray(pc.count_substring_regex(array, pattern).fill_null(0), dtype=np.int64)
    if not counts.any():
        return pd.Series([], dtype=object)
    one = counts == 1
    found = [pd.Series(pc.extract_regex(array.filter(pa.array(one)), f"(?P<m>{pattern})").field("m").to_pylist(),
                       index=text.index[one], dtype=object)]
    several = counts > 1
    if several.any():
        found.append(text[several].str.findall(pattern).explode().dropna().astype(object))
    return pd.concat(found) if len(found) > 1 else found[0]


def _validated(tokens: list[str], validator) -> dict[str, list[str]]:  # noqa: ANN001 - a callable
    groups: dict[str, list[str]] = {}
    for token, entity in zip(tokens, validator(tokens), strict=True):
        if entity:
            groups.setdefault(entity, []).append(token)
    return groups


@dataclass
class LeakCount:
    cells: Counter = field(default_factory=Counter)  # (output column, entity) -> cells holding a leak

    def total(self) -> int:
        return sum(self.cells.values())


def search_chunk(chunk: pd.DataFrame, known: InputIdentifiers, prose: set[str],
                 skip: dict[str, set[str]], counts: LeakCount, first_chars: set[str] | None = None) -> None:
    """Count the cells of ``chunk`` holding an input identifier: as the whole cell, as a token of a
    prose cell, and (names) as a substring of a prose cell. ``skip`` maps an output column to the
    source columns and entities not searched there (a column published as is may hold its own
    values, never another column's).

    Each distinct cell text is normalised, split into tokens and digit runs and hashed once, and
    those hashes are looked up in every source's table: the cost follows the distinct texts of the
    chunk, not the cells times the sources."""
    for column in chunk.columns:
        values = chunk[column].astype("string").dropna()
        if values.empty:
            continue
        codes, distinct = pd.factorize(values)
        weights = np.bincount(codes, minlength=len(distinct))
        texts = pd.Series(distinct, dtype="string")
        cells = normalise(texts)
        keys = text_hashes(cells)
        parts: _Parts | None = None
        hits: dict[str, np.ndarray] = {}
        for source, (entity, table) in known.by_source.items():
            if source in skip.get(column, ()) or entity in skip.get(column, ()):
                continue
            hit = _member(keys, table)
            if not hit.all():
                # Inside any cell, not only prose: SI-370114199508135589-01, 电话:138 1234 5678.
                parts = parts or _Parts.of(texts, cells)
                hit |= parts.hits(table)
            hits[entity] = hits[entity] | hit if entity in hits else hit
        for entity, hit in hits.items():
            if hit.any():
                counts.cells[(column, entity)] += int(weights[hit].sum())
        if column in prose and known.names and "PERSON" not in skip.get(column, ()):
            found = _name_hits(cells, weights, known.names, first_chars or {n[0] for n in known.names})
            if found:
                counts.cells[(column, "PERSON")] += found


@dataclass(frozen=True)
class _Parts:
    """The tokens and digit runs of some texts, hashed, each with the text it came from."""

    keys: np.ndarray
    owner: np.ndarray
    size: int

    @classmethod
    def of(cls, texts: pd.Series, cells: pd.Series) -> _Parts:
        """``texts`` as written (tokens) and ``cells``, the same texts normalised (digit runs)."""
        frame = texts.reset_index(drop=True)
        tokens = _findall(frame, TOKEN)
        token_keys = text_hashes(normalise(tokens)) if len(tokens) else []
        runs = _findall(cells.reset_index(drop=True), DIGIT_RUN)
        # Runs longer than any identifier (SI37011419950813558901): their 18- and 11-digit windows too.
        long = runs[runs.str.len() > 19]
        if not long.empty:
            windows = [(i, run[k : k + size]) for i, run in zip(long.index, long.tolist(), strict=True)
                       for size in (18, 11) for k in range(len(run) - size + 1)]
            runs = pd.concat([runs, pd.Series([w for _, w in windows], index=[i for i, _ in windows],
                                              dtype=object)])
        run_keys = text_hashes(runs) if len(runs) else []
        keys = np.concatenate([np.asarray(token_keys, dtype=np.uint64), np.asarray(run_keys, dtype=np.uint64)])
        owner = np.concatenate([tokens.index.to_numpy(dtype=np.int64), runs.index.to_numpy(dtype=np.int64)])
        return cls(keys, owner, len(frame))

    def hits(self, table: np.ndarray) -> np.ndarray:
        """Which texts hold a token or digit run in ``table``."""
        out = np.zeros(self.size, dtype=bool)
        out[self.owner[_member(self.keys, table)]] = True
        return out


def _name_hits(cells: pd.Series, weights: np.ndarray, names: set[str], first_chars: set[str]) -> int:
    """Prose cells that contain one of the input's names (each distinct text walked once); ``cells`` are
    distinct normalised texts, ``weights`` how many cells hold each."""
    sizes = _sizes(names)
    hits = 0
    for text, weight in zip(cells.tolist(), weights.tolist(), strict=True):
        if text is not pd.NA and _contains_name(text, names, first_chars, sizes):
            hits += int(weight)
    return hits


def _contains_name(text: str, names: set[str], first_chars: set[str], sizes: tuple[int, ...]) -> bool:
    for i, char in enumerate(text):
        if char in first_chars:
            for size in sizes:
                if text[i : i + size] in names:
                    return True
    return False


def _sizes(names: set[str]) -> tuple[int, ...]:
    """The lengths of the names, computed once per search rather than once per text."""
    return tuple(sorted({len(n) for n in names}))


def search_names(text: str, known: InputIdentifiers) -> bool:
    """Does ``text`` (a column name) contain one of the input's names?"""
    cell = normalise(pd.Series([text], dtype="string")).iloc[0]
    names = known.names
    return bool(names) and _contains_name(cell, names, {n[0] for n in names}, _sizes(names))


def holds_identifier(text: str, known: InputIdentifiers) -> bool:
    """Does ``text`` (a column name) hold one of the input's identifier values, whole or as a token?"""
    values = pd.Series([text], dtype="string")
    cells = normalise(values)
    keys = text_hashes(cells)
    parts = _Parts.of(values, cells)
    return any((_member(keys, table) | parts.hits(table)).any() for _entity, table in known.by_source.values())
