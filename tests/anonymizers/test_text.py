"""Free-text scrubbing at column speed gives exactly what Presidio's engine gave span by span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anonymizers.text as text_module
from anonymizers.operators import OperatorParams
from anonymizers.text import scrub_text, scrub_text_presidio
from pipelines.plan import span_actions
from pipelines.spec import load_policy

ROOT = Path(__file__).resolve().parents[2]
KEY = b"k" * 32


@pytest.fixture(scope="module")
def policy_actions():
    policy, _ = load_policy(ROOT / "configs" / "policy.yaml")
    return span_actions(policy, KEY, date(2024, 6, 30), "conditional")


@pytest.fixture(scope="module")
def remarks() -> pd.Series:
    frame = pd.read_csv(ROOT / "configs" / "samples" / "social_insurance.csv", dtype="string")
    return frame["备注"]


def test_sample_remarks_come_out_byte_identical_to_the_presidio_path(remarks, policy_actions):
    from detectors import scan_text, scan_texts

    new = scrub_text(remarks, scan_text, policy_actions, find_batch=scan_texts)
    old = scrub_text_presidio(remarks, scan_text, policy_actions)
    assert new.isna().equals(old.isna())
    assert new.dropna().tolist() == old.dropna().tolist()
    assert (new.dropna() != remarks.dropna()).any()  # something was actually scrubbed


def test_each_entity_is_one_operator_call_for_the_whole_batch(remarks, policy_actions, monkeypatch):
    from detectors import scan_texts

    calls: list[str] = []
    real = text_module.apply_operator

    def counting(action, values, params):
        calls.append(params.entity)
        return real(action, values, params)

    monkeypatch.setattr(text_module, "apply_operator", counting)
    scrub_text(remarks, lambda t: [], policy_actions, find_batch=scan_texts)
    assert len(calls) == len(set(calls)) > 0


def test_repeated_texts_are_scanned_once():
    seen: list[str] = []

    def finder(texts):
        seen.extend(texts)
        return [[] for _ in texts]

    scrub_text(pd.Series(["同一句话", "同一句话", None, "另一句"]), lambda t: [], {}, find_batch=finder)
    assert sorted(seen) == ["另一句", "同一句话"]


@dataclass(frozen=True)
class FakeSpan:
    type: str
    start: int
    end: int
    score: float = 0.9


ACTIONS = {
    "PERSON": ("mask", OperatorParams(entity="PERSON")),
    "PHONE_NUMBER": ("pseudonymize", OperatorParams(entity="PHONE_NUMBER", key=KEY)),
    "CN_RESIDENT_ID": ("surrogate", OperatorParams(entity="CN_RESIDENT_ID", key=KEY)),
}
ENTITIES = [*ACTIONS, "EMAIL_ADDRESS"]  # the last has no action: redacted


@st.composite
def texts_with_spans(draw):
    text = draw(st.text(alphabet="张三 李四,13x@", min_size=0, max_size=30))
    spans = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, max(len(text) - 1, 0)))
        end = draw(st.integers(start, len(text)))
        spans.append(FakeSpan(draw(st.sampled_from(ENTITIES)), start, end, draw(st.sampled_from([0.5, 0.9]))))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(st.lists(texts_with_spans(), min_size=1, max_size=6))
def test_any_spans_even_overlapping_or_space_separated_give_what_presidio_gives(cases):
    found = dict(cases)
    values = pd.Series(list(found), dtype="string")
    new = scrub_text(values, lambda t: found[t], ACTIONS)
    old = scrub_text_presidio(values, lambda t: found[t], ACTIONS)
    assert new.tolist() == old.tolist()
