"""jieba's part-of-speech HMM, decoded with numpy: the same words and tags, a tenth of the cost.

The runs of Han characters outside jieba's dictionary (names, mostly: 李淑华 in 委托李淑华代为办理)
go through the Viterbi decoder of ``jieba.posseg.viterbi``, a Python loop over some 250 (position,
tag) states per character and, for each, over every state of the character before; at about 1.3 ms
per run it was most of the time spent on names. Here each step is one array expression over the
same tables (``jieba.posseg``'s ``start_P``, ``trans_P``, ``emit_P`` and ``char_state_tab_P``):

- the states a character may take are jieba's (its table, intersected with those the previous
  states can move to; when that leaves none, all those, or every state);
- a score is ``(previous + transition) + emission``, added in jieba's order, so the floats are the
  same bit for bit (a missing transition is -inf, a missing emission jieba's MIN_FLOAT);
- where scores tie, jieba's ``max`` over ``(score, state)`` tuples takes the greatest state; the
  states are numbered in tuple order and the greatest index wins here too.

``tests/detectors/test_pos_hmm.py`` compares routes and scores with jieba's decoder on random runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np


class _Tables:
    """jieba's HMM tables as arrays over its states, numbered in their sort order."""

    def __init__(self) -> None:
        from jieba.posseg import char_state_tab_P, start_P, trans_P
        from jieba.posseg.viterbi import MIN_FLOAT

        self.states = sorted(trans_P)
        index = {state: i for i, state in enumerate(self.states)}
        size = len(self.states)
        self.transition = np.full((size, size), -np.inf)
        self.follows = np.zeros((size, size), dtype=bool)
        for before, row in trans_P.items():
            for after, score in row.items():
                self.transition[index[before], index[after]] = score
                self.follows[index[before], index[after]] = True
        self.continues = self.follows.any(axis=1)
        self.start = np.array([start_P[state] for state in self.states])
        self.every = np.ones(size, dtype=bool)
        self.index, self.char_states, self.min_float = index, char_state_tab_P, MIN_FLOAT

    @lru_cache(maxsize=32_768)  # noqa: B019 - one instance for the process (``tables``)
    def of_char(self, char: str) -> tuple[np.ndarray, np.ndarray]:
        """The states ``char`` may take (jieba: every state for a character it has no entry for) and
        each state's emission score of it."""
        from jieba.posseg import emit_P

        states = self.char_states.get(char)
        allowed = self.every
        if states is not None:
            allowed = np.zeros(len(self.states), dtype=bool)
            allowed[[self.index[s] for s in states]] = True
        emission = np.array([emit_P[s].get(char, self.min_float) for s in self.states])
        return allowed, emission


@lru_cache(maxsize=1)
def tables() -> _Tables | None:
    """The tables, or None when jieba's are not of the shape this decoder assumes (then jieba decodes)."""
    from jieba.posseg import start_P, trans_P

    if any(state not in start_P for state in trans_P) or any(y not in trans_P for row in trans_P.values()
                                                            for y in row):
        return None
    return _Tables()


def viterbi(run: str) -> list[tuple[str, str]]:
    """The (position, tag) state of each character of ``run``: ``jieba.posseg.viterbi``'s route."""
    t = tables()
    if t is None or not run:
        return _jieba_route(run)
    allowed, emission = t.of_char(run[0])
    score = np.full(len(t.states), -np.inf)
    score[allowed] = t.start[allowed] + emission[allowed]
    alive, back = allowed, []
    for char in run[1:]:
        before = np.flatnonzero(alive & t.continues)[::-1]  # greatest first: argmax keeps the first best
        if not len(before):
            return _jieba_route(run)  # jieba has nothing to maximise over either: its own error
        reachable = t.follows[before].any(axis=0)
        allowed, emission = t.of_char(char)
        now = allowed & reachable
        if not now.any():
            now = reachable if reachable.any() else t.every
        after = np.flatnonzero(now)
        scores = (score[before][:, None] + t.transition[np.ix_(before, after)]) + emission[after]
        best = scores.argmax(axis=0)
        score = np.full(len(t.states), -np.inf)
        score[after] = scores[best, np.arange(len(after))]
        came_from = np.full(len(t.states), -1)
        came_from[after] = before[best]
        back.append(came_from)
        alive = now
    last = np.flatnonzero(alive)[::-1]
    state = int(last[score[last].argmax()])
    route = [state]
    for came_from in reversed(back):
        state = int(came_from[state])
        route.append(state)
    return [t.states[i] for i in reversed(route)]


def _jieba_route(run: str) -> list[tuple[str, str]]:
    from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P
    from jieba.posseg import viterbi as jieba_viterbi

    return jieba_viterbi(run, char_state_tab_P, start_P, trans_P, emit_P)[1]


def cut(run: str) -> Iterator:
    """jieba's ``POSTokenizer.__cut`` of one Han run (its words as ``jieba.posseg.pair``), decoded here."""
    from jieba.posseg import pair

    route = viterbi(run)
    begin, next_start = 0, 0
    for i, char in enumerate(run):
        position, tag = route[i]
        if position == "B":
            begin = i
        elif position == "E":
            yield pair(run[begin : i + 1], tag)
            next_start = i + 1
        elif position == "S":
            yield pair(char, tag)
            next_start = i + 1
    if next_start < len(run):
        yield pair(run[next_start:], route[next_start][1])
