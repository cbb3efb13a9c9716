"""Privacy measurements on published data: residual identifiers and k-anonymity.

Pure pandas plus `detectors`; the GX expectations in `quality.expectations` call these, and so can
anything else that needs the same figure. Results are counts per entity type or per row, never values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def raw_entity_counts(column: pd.Series) -> dict[str, int]:
    """Entity type → number of cells holding a raw, validated instance of it (masked cells do not count)."""
    from detectors import profile_frame  # heavy import, only when a privacy check runs

    frame = column.reset_index(drop=True).to_frame(name=str(column.name))
    profile = profile_frame(frame)
    counts: dict[str, int] = {}
    for found in profile.columns:
        for evidence in found.evidence:
            if evidence.matches > 0:
                counts[str(evidence.type)] = counts.get(str(evidence.type), 0) + int(evidence.matches)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


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
