"""A first proposal of how each column should be treated, from a profile.

``kaifang propose`` turns this into YAML with policy actions; the steward then edits it.
Only names, types, flags and scores appear, so the proposal can be shown and committed.
"""

from __future__ import annotations

from detectors.profile import TableProfile


def propose_columns(profile: TableProfile) -> dict:
    """``{column: {"entity", "score", "quasi_identifier", "free_text", "masked", "also"}}``.

    ``entity`` is the top entity (``None`` when nothing is present); ``also`` lists the other
    present entities (a free-text column can hold several); ``masked`` says how many cells were
    already masked, so a steward sees when a source arrives partly desensitized.
    """
    proposal: dict[str, dict] = {}
    for column in profile.columns:
        top = column.entities[0] if column.entities else None
        proposal[column.name] = {
            "entity": top.type if top else None,
            "score": round(top.score, 4) if top else None,
            "quasi_identifier": column.quasi_identifier,
            "free_text": column.free_text,
            "masked": column.masked,
            "also": [e.type for e in column.entities[1:]],
        }
    return proposal
