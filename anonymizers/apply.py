"""Apply a desensitization plan to a table, one chunk at a time, and suppress what k-anonymity forbids.

Both steps work on chunks so a later Dask runner can map them: operators need only the chunk; the
suppression step needs the class sizes of the whole table, which are summed from per-chunk counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from anonymizers.operators import OperatorParams, apply_operator
from anonymizers.text import SpanFinder, scrub_text

NULL_TOKEN = "\x00<null>"


@dataclass(frozen=True)
class ColumnAction:
    """One column's operator; `scrub` (free text) also needs a span finder and the operator per entity."""

    column: str
    action: str
    params: OperatorParams = OperatorParams()
    find_spans: SpanFinder | None = field(default=None, repr=False)
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
            out[item.column] = scrub_text(chunk[item.column], item.find_spans, item.span_actions)
        elif item.action != "keep":
            out[item.column] = apply_operator(item.action, chunk[item.column], item.params)
    return out


def _class_keys(chunk: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """One hashable key per row: the tuple of its quasi-identifier values, missing values as a token."""
    parts = chunk[list(quasi_identifiers)].astype("string").fillna(NULL_TOKEN)
    return pd.Series(list(parts.itertuples(index=False, name=None)), index=chunk.index)


def class_sizes(chunks: Iterable[pd.DataFrame], quasi_identifiers: Sequence[str]) -> Counter:
    """Equivalence-class sizes over the whole table, summed chunk by chunk."""
    sizes: Counter = Counter()
    for chunk in chunks:
        sizes.update(_class_keys(chunk, quasi_identifiers).value_counts().to_dict())
    return sizes


def small_classes(sizes: Counter, k: int) -> set[tuple]:
    return {key for key, size in sizes.items() if size < k}


def suppress_chunk(chunk: pd.DataFrame, quasi_identifiers: Sequence[str], suppressed: set[tuple]) -> pd.DataFrame:
    """The chunk without the records whose class is in `suppressed`."""
    if not suppressed or not quasi_identifiers:
        return chunk
    keep = ~_class_keys(chunk, quasi_identifiers).isin(suppressed)
    return chunk[keep.to_numpy()]
