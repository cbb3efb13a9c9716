"""Apply a desensitization plan to a table, one chunk at a time, and suppress what k-anonymity forbids.

Operators need only the chunk, so a Dask runner can map them; the suppression step needs the class
sizes of the whole table, which `anonymizers.classes.ClassCounter` sums from per-chunk counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from anonymizers.operators import OperatorParams, apply_operator
from anonymizers.text import BatchSpanFinder, SpanFinder, scrub_text


@dataclass(frozen=True)
class ColumnAction:
    """One column's operator; `scrub` (free text) also needs a span finder and the operator per entity.

    ``find_batch``, when set, finds the spans of a chunk's distinct texts in one call (faster than one call each).
    """

    column: str
    action: str
    params: OperatorParams = OperatorParams()
    find_spans: SpanFinder | None = field(default=None, repr=False)
    find_batch: BatchSpanFinder | None = field(default=None, repr=False)
    span_actions: Mapping[str, tuple[str, OperatorParams]] = field(default_factory=dict, repr=False)


def desensitize_chunk(chunk: pd.DataFrame, actions: Sequence[ColumnAction]) -> pd.DataFrame:
    """The chunk with each column's operator applied; dropped columns removed; column order kept."""
    out = chunk.copy()
    for item in actions:
        if item.action == "drop":
            out = out.drop(columns=[item.column])
        elif item.action == "scrub":
            if item.find_spans is None:
                raise ValueError("scrub needs a span finder")
            out[item.column] = scrub_text(chunk[item.column], item.find_spans, item.span_actions,
                                           item.find_batch)
        elif item.action != "keep":
            out[item.column] = apply_operator(item.action, chunk[item.column], item.params)
    return out
