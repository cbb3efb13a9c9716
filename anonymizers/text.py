"""Free text: desensitize the identifiers found inside a cell, all spans of an entity at once.

The spans come from the detectors (passed in as a function: anonymizers do not depend on them).
A batch of cells is handled as a whole: each distinct text is scanned once, the spans of every
text are gathered per entity into one pandas Series, the very operator that treats a whole
column of that entity runs once on that Series, and the results are spliced back by offset. So
a phone number in a remark is masked exactly like a phone column, at column speed.

The result is the one Presidio's ``AnonymizerEngine`` gives with the Kaifang operator adapter
(its default conflict resolution, and same-entity spans separated only by spaces merged into
one); :func:`scrub_text_presidio` is that reference, used here only for span sets the splice
cannot take as they are (overlapping or out-of-range spans from a custom finder).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from functools import cache
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from anonymizers.operators import OperatorParams, apply_operator, arrow_strings, presidio_operator_class


class SpanLike(Protocol):
    type: str
    start: int
    end: int
    score: float


SpanFinder = Callable[[str], Sequence[SpanLike]]
BatchSpanFinder = Callable[[Sequence[str]], Sequence[Sequence[SpanLike]]]
Actions = Mapping[str, tuple[str, OperatorParams]]
FALLBACK_ACTION = ("redact", OperatorParams())
_SPACES = re.compile(r"^( )+$")  # Presidio merges same-entity neighbours separated by these only

Piece = tuple[str, int, int]  # entity, start, end


def _pieces(text: str, spans: Sequence[SpanLike]) -> list[Piece] | None:
    """The spans to replace, in order, neighbours merged as Presidio merges them; None when they overlap."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    pieces: list[Piece] = []
    end = 0
    for span in ordered:
        if span.start < end or not 0 <= span.start < span.end <= len(text):
            return None
        if pieces and pieces[-1][0] == span.type and _SPACES.match(text[pieces[-1][2] : span.start]):
            pieces[-1] = (span.type, pieces[-1][1], span.end)
        else:
            pieces.append((span.type, span.start, span.end))
        end = span.end
    return pieces


def _replace_all(texts: list[str], pieces: list[list[Piece]], actions: Actions) -> list[list[str]]:
    """Per text, the replacement of each piece: one operator call per entity over the whole batch."""
    by_entity: dict[str, list[tuple[int, int]]] = {}
    for t, text_pieces in enumerate(pieces):
        for p, (entity, _, _) in enumerate(text_pieces):
            by_entity.setdefault(entity, []).append((t, p))
    out: list[list[str]] = [[""] * len(p) for p in pieces]
    for entity, where in by_entity.items():
        action, params = actions.get(entity, FALLBACK_ACTION)
        originals = pd.Series([texts[t][pieces[t][p][1] : pieces[t][p][2]] for t, p in where], dtype="string")
        replaced = apply_operator(action, originals, replace(params, entity=entity)).fillna("").tolist()
        for (t, p), value in zip(where, replaced, strict=True):
            out[t][p] = str(value)
    return out


def _splice(text: str, pieces: list[Piece], replacements: list[str]) -> str:
    parts: list[str] = []
    cursor = 0
    for (_, start, end), value in zip(pieces, replacements, strict=True):
        parts.append(text[cursor:start])
        parts.append(value)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def scrub_distinct(texts: list[str], spans: Sequence[Sequence[SpanLike]], actions: Actions) -> list[str]:
    """Each text with its spans replaced (texts and their spans side by side)."""
    pieces = [_pieces(text, found) for text, found in zip(texts, spans, strict=True)]
    odd = {i for i, p in enumerate(pieces) if p is None}
    simple = [p if p is not None else [] for p in pieces]
    replacements = _replace_all(texts, simple, actions)
    out = [_splice(text, p, r) if p else text for text, p, r in zip(texts, simple, replacements, strict=True)]
    for i in odd:
        out[i] = _presidio_scrub(texts[i], spans[i], actions)
    return out


def scrub_text(values: pd.Series, find_spans: SpanFinder, actions: Actions,
               find_batch: BatchSpanFinder | None = None) -> pd.Series:
    """Each cell with its detected spans replaced; an entity without an action is redacted.

    ``find_batch`` (spans of many texts at once) is used when given; each distinct text is scanned once.
    """
    text = values.astype("string")
    # Arrow's dictionary encoding gives the distinct texts and each cell's index into them; the scrubbed
    # column is one ``take`` (pandas' ``map`` through a dict cost five times as much on a chunk of remarks).
    encoded = pc.dictionary_encode(arrow_strings(text))
    distinct = encoded.dictionary.to_pylist()
    spans = find_batch(distinct) if find_batch is not None else [find_spans(v) for v in distinct]
    scrubbed = pa.array(scrub_distinct(distinct, spans, actions), type=pa.large_string())
    out = pc.take(scrubbed, encoded.indices)  # a missing cell has a null index: it stays missing
    return pd.Series(pd.arrays.ArrowStringArray(out), index=text.index, dtype="string")


# --- the reference: Presidio's AnonymizerEngine with the Kaifang operator, one call per cell -------------------

@cache
def _engine():
    from presidio_anonymizer import AnonymizerEngine

    engine = AnonymizerEngine()
    engine.add_anonymizer(presidio_operator_class())
    return engine


def _presidio_scrub(text: str, spans: Sequence[SpanLike], actions: Actions) -> str:
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    def config(entity: str) -> OperatorConfig:
        action, params = actions.get(entity, FALLBACK_ACTION)
        fields = {k: v for k, v in asdict(params).items() if v is not None}
        fields["entity"] = entity
        return OperatorConfig("kaifang", {"action": action, **fields})

    if not spans:
        return text
    results = [RecognizerResult(s.type, s.start, s.end, s.score) for s in spans]
    operators = {s.type: config(s.type) for s in spans}
    return _engine().anonymize(text, results, operators).text


def scrub_text_presidio(values: pd.Series, find_spans: SpanFinder, actions: Actions) -> pd.Series:
    """The span-by-span path through Presidio's engine: the reference :func:`scrub_text` must equal."""
    text = values.astype("string")
    distinct = text.dropna().unique()
    return text.map({v: _presidio_scrub(v, find_spans(v), actions) for v in distinct},
                    na_action="ignore").astype("string")
