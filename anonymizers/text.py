"""Free text: desensitize the identifiers found inside a cell, span by span.

The spans come from the detectors (passed in as a function: anonymizers do not depend on them);
each span is replaced through Presidio's AnonymizerEngine by the very operator that treats a whole
column of that entity, so a phone number in a remark is masked exactly like a phone column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from functools import cache
from typing import Protocol

import pandas as pd

from anonymizers.operators import OperatorParams, presidio_operator_class


class SpanLike(Protocol):
    type: str
    start: int
    end: int
    score: float


SpanFinder = Callable[[str], Sequence[SpanLike]]
FALLBACK_ACTION = ("redact", OperatorParams())


@cache
def _engine():
    from presidio_anonymizer import AnonymizerEngine

    engine = AnonymizerEngine()
    engine.add_anonymizer(presidio_operator_class())
    return engine


def scrub_text(values: pd.Series, find_spans: SpanFinder,
               actions: Mapping[str, tuple[str, OperatorParams]]) -> pd.Series:
    """Each cell with its detected spans replaced; an entity without an action is redacted."""
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    engine = _engine()

    def config(entity: str) -> OperatorConfig:
        action, params = actions.get(entity, FALLBACK_ACTION)
        fields = {k: v for k, v in asdict(params).items() if v is not None}
        fields["entity"] = entity
        return OperatorConfig("kaifang", {"action": action, **fields})

    def scrub(text: str) -> str:
        spans = find_spans(text)
        if not spans:
            return text
        results = [RecognizerResult(s.type, s.start, s.end, s.score) for s in spans]
        operators = {s.type: config(s.type) for s in spans}
        return engine.anonymize(text, results, operators).text

    text = values.astype("string")
    distinct = text.dropna().unique()
    return text.map({v: scrub(v) for v in distinct}, na_action="ignore").astype("string")
