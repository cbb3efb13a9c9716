"""An address generalized to its district keeps what the place-name pattern matches, and nothing else."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizers.gazetteer import district_pattern, place_names
from anonymizers.operators import OperatorParams, generalize

PROVINCES, CITIES, DISTRICTS = (sorted(names) for names in place_names())
# Whole names, their first characters (a name that starts like another: 市中区 / 市中), and filler.
PIECES = st.one_of(
    st.sampled_from(PROVINCES), st.sampled_from(CITIES), st.sampled_from(DISTRICTS),
    st.sampled_from(DISTRICTS).map(lambda name: name[:-1]), st.sampled_from(CITIES).map(lambda name: name[:2]),
    st.sampled_from(["张三住", "泉城路33号", "区", "市", "县", " ", "X"]), st.text(max_size=2),
)


def flat(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


# The definition: each level an alternation of its names, longest first.
REFERENCE = re.compile(f"((?:{flat(PROVINCES)})?(?:{flat(CITIES)})?(?:{flat(DISTRICTS)}))")


@settings(max_examples=1500, deadline=None)
@given(st.lists(PIECES, max_size=6).map("".join))
def test_the_pattern_matches_what_the_flat_alternation_of_the_names_matches(text):
    ours, reference = re.search(district_pattern(), text), REFERENCE.search(text)
    assert (ours.group(1) if ours else None) == (reference.group(1) if reference else None)


def test_a_name_before_the_place_does_not_survive():
    addresses = pd.Series(["张三住济南市历下区泉城路33号", "山东省济南市市中区", "泉城路33号"], dtype="string")
    out = generalize(addresses, OperatorParams(to="district"))
    assert out.tolist()[:2] == ["济南市历下区", "山东省济南市市中区"]
    assert pd.isna(out[2])  # no place name: missing, not kept
