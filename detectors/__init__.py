"""Chinese-first detection of personal and trade-secret fields, as pure functions over pandas.

Entry points: :func:`profile_frame` / :func:`profile_chunks` (column level, vectorized),
:func:`scan_text` / :func:`scan_texts` (spans in free text, Presidio), :func:`load_lexicon` (trade-secret words),
:func:`propose_columns` (a suggested treatment per column for ``kaifang propose``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from detectors.lexicon import LexiconError, TradeSecretLexicon, load_lexicon

if TYPE_CHECKING:
    from detectors.profile import ColumnProfile, EntityEvidence, TableProfile, profile_chunks, profile_frame
    from detectors.rules import validate

# Loaded on first use: the profiler brings pandas and pyarrow, which a command that reads only the
# project's lexicon (every command does, through pipelines/project.py) must not pay for.
_LAZY = {name: "detectors.profile" for name in
         ("ColumnProfile", "EntityEvidence", "TableProfile", "profile_chunks", "profile_frame")} | {
    "validate": "detectors.rules"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'detectors' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def scan_text(text: str, **kwargs):  # noqa: ANN201 - thin lazy wrapper, see detectors.scan.scan_text
    """Spans of identifiers in free text; imports Presidio only when first used."""
    from detectors.scan import scan_text as _scan_text

    return _scan_text(text, **kwargs)


def scan_texts(texts, **kwargs):  # noqa: ANN201 - thin lazy wrapper, see detectors.scan.scan_texts
    """Spans of many texts at once, each distinct text analyzed once; imports Presidio only when first used."""
    from detectors.scan import scan_texts as _scan_texts

    return _scan_texts(texts, **kwargs)


def propose_columns(profile: TableProfile) -> dict:
    """Suggested entity and quasi-identifier flag per column; see detectors.propose."""
    from detectors.propose import propose_columns as _propose

    return _propose(profile)


__all__ = [
    "ColumnProfile",
    "EntityEvidence",
    "LexiconError",
    "TableProfile",
    "TradeSecretLexicon",
    "load_lexicon",
    "profile_chunks",
    "profile_frame",
    "propose_columns",
    "scan_text",
    "scan_texts",
    "validate",
]
