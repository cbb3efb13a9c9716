"""Privacy measurements on published data: residual identifiers and k-anonymity.

Pure pandas plus `detectors`; the GX expectations in `quality.expectations` call these, and so can
anything else that needs the same figure. Results are counts per entity type or per row, never values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd

from detectors import vocabulary
from detectors.text import PYTHON_SPACES

# Personal identifiers that must not survive raw in a column the spec transforms or does not mention:
# the vocabulary's direct identifiers (not CN_USCC, a company's public code, nor TRADE_SECRET, judged
# from the header by the lexicon); a policy that lists more in sensitive_entities adds them.
IDENTIFIER_ENTITIES: tuple[str, ...] = tuple(sorted(vocabulary.direct_identifiers()))


def column_entities(column: pd.Series, min_share: float = 0.5) -> dict[str, dict[str, int]]:
    """What `detectors` finds in one column, as counts of cells per entity type.

    `evidence`: every entity with at least one raw, validated cell (masked cells do not count);
    `present`: the entities the column as a whole is judged to hold (score >= min_share).
    """
    return column_entities_chunks([column], min_share)


def column_entities_chunks(parts: Iterable[pd.Series], min_share: float = 0.5) -> dict[str, dict[str, int]]:
    """`column_entities` of a column given as chunks: counts accumulate, presence is judged at the end."""
    from detectors import profile_chunks  # only when a privacy check runs

    frames = (part.reset_index(drop=True).to_frame(name=str(part.name)) for part in parts)
    profile = profile_chunks(frames, lexicon=_lexicon(), min_share=min_share)
    return profile.columns[0].entity_counts()


@lru_cache(maxsize=1)
def _lexicon():  # noqa: ANN202 - detectors.TradeSecretLexicon, imported lazily
    from detectors import load_lexicon

    return load_lexicon()


def class_sizes(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """For each row, how many rows share its combination of `columns` (its equivalence class).

    The one definition of a class (`anonymizers.classes`): a missing cell is a value of its own.
    """
    from anonymizers.classes import class_sizes as sizes

    return pd.Series(sizes(frame, columns), index=frame.index, dtype="int64")


# Nothing but what str.strip() removes: the characters themselves, so pyarrow's RE2 reads them as Python does.
_BLANK = f"[{PYTHON_SPACES}]*"


def empty_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is missing or holds only whitespace (a blank line in a spreadsheet export)."""
    result = frame.isna()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype):  # one vectorized match, not a Python call per cell
            blank = column.str.fullmatch(_BLANK)
        elif pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column):
            blank = column.map(lambda v: isinstance(v, str) and not v.strip(), na_action="ignore")
        else:
            continue
        result[name] = result[name] | blank.fillna(False).astype(bool).to_numpy()
    return result
