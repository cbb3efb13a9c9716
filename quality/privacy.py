"""Privacy measurements on published data: residual identifiers and k-anonymity.

Pure pandas plus `detectors`; the GX expectations in `quality.expectations` call these, and so can
anything else that needs the same figure. Results are counts per entity type or per row, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

# Personal identifiers that must not survive raw in a column the spec transforms or does not mention.
# Not CN_USCC (a company's public registration code) nor TRADE_SECRET (judged from the header by the
# lexicon); a policy that lists them in sensitive_entities adds them back.
IDENTIFIER_ENTITIES: tuple[str, ...] = (
    "CN_RESIDENT_ID", "PHONE_NUMBER", "CN_BANK_CARD", "CN_LICENSE_PLATE", "CN_PASSPORT", "CN_HMT_PERMIT",
    "EMAIL_ADDRESS", "IP_ADDRESS", "PERSON", "LOCATION",
)


def column_entities(column: pd.Series, min_share: float = 0.5) -> dict[str, dict[str, int]]:
    """What `detectors` finds in one column, as counts of cells per entity type.

    `evidence`: every entity with at least one raw, validated cell (masked cells do not count);
    `present`: the entities the column as a whole is judged to hold (score >= min_share).
    """
    from detectors import profile_frame  # only when a privacy check runs

    frame = column.reset_index(drop=True).to_frame(name=str(column.name))
    profile = profile_frame(frame, lexicon=_lexicon(), min_share=min_share)
    found = profile.columns[0]
    return {
        "evidence": _counts(found.evidence),
        "present": _counts(found.entities),
    }


def _counts(items: Sequence) -> dict[str, int]:
    counts = {str(e.type): int(e.matches) for e in items if e.matches > 0}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@lru_cache(maxsize=1)
def _lexicon():  # noqa: ANN202 - detectors.TradeSecretLexicon, imported lazily
    from detectors import load_lexicon

    return load_lexicon()


def class_sizes(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """For each row, how many rows share its combination of `columns` (its equivalence class).

    Empty cells form a value of their own: a missing district still narrows down who a row is.
    """
    if len(frame) == 0:
        return pd.Series([], dtype="int64", index=frame.index)
    codes = np.column_stack(
        [pd.factorize(frame[name], use_na_sentinel=False)[0] for name in columns]
    )
    _, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return pd.Series(counts[inverse.reshape(-1)], index=frame.index, dtype="int64")


def empty_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is missing or holds only whitespace (a blank line in a spreadsheet export)."""
    result = frame.isna()
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column):
            blank = column.map(lambda v: isinstance(v, str) and not v.strip(), na_action="ignore")
            result[name] = result[name] | blank.fillna(False).astype(bool)
    return result
