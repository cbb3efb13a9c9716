"""The numpy decoding of jieba's POS HMM is jieba's: the same route, score and words for any Han run."""

from __future__ import annotations

import jieba.posseg
from hypothesis import given, settings
from hypothesis import strategies as st
from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P
from jieba.posseg import viterbi as jieba_viterbi

from detectors import pos_hmm
from detectors.persons import quiet_jieba

quiet_jieba()
# Characters jieba knows with few and with many states, and Han characters it has no entry for at all.
KNOWN = sorted(char_state_tab_P)
RUNS = st.text(alphabet=st.one_of(st.sampled_from(KNOWN), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FD5)),
               min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(RUNS)
def test_the_route_is_jiebas_route(run):
    assert pos_hmm.viterbi(run) == jieba_viterbi(run, char_state_tab_P, start_P, trans_P, emit_P)[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("李淑华欧阳娜代为办理号室凤鸣路")), min_size=1, max_size=8).map("".join))
def test_the_words_and_tags_are_jiebas(run):
    """Names and address words, where ties between equal scores decide the route as jieba's max does."""
    ours = [(p.word, p.flag) for p in pos_hmm.cut(run)]
    theirs = [(p.word, p.flag) for p in jieba.posseg.dt._POSTokenizer__cut(run)]
    assert ours == theirs


def test_remarks_are_cut_and_tagged_as_jieba_cuts_them():
    """Through Kaifang's tokenizer (block by block, HMM answers remembered) as through jieba's own."""
    from detectors.persons import pos_tokens

    for remark in ("委托覃淼淼代为办理，代办人身份证号370116199711240379。", "户籍迁入，新住址济南市历城区凤鸣路33号。",
                   "申请人訾璟琦来电，已核实。", "委托欧阳娜娜代为办理。"):
        ours = [(word, tag) for word, tag, _ in pos_tokens(remark)]
        assert ours == [(p.word, p.flag) for p in jieba.posseg.lcut(remark)]
