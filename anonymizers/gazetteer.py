"""Chinese administrative place names (GB/T 2260) from python-stdnum's region table.

Generalizing an address to its district must keep only place names: a pattern that merely looks
for a word ending in 区 would keep whatever precedes it (`张三住济南市历下区` → a name leaks).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r'county="(?:\[[^\]]*\])?([^"]+)"|province="([^"]+)"')
_GENERIC = {"市辖区", "县", "郊区", "市区", "矿区"}


@cache
def place_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(provinces, cities, districts): every name the table has held, current or former."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    provinces, cities, districts = set(), set(), set()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = _NAME.search(line)
        if not match:
            continue
        if match.group(2):
            provinces.add(match.group(2))
            continue
        name, code = match.group(1), line.split()[0]
        if name in _GENERIC or len(name) < 2:
            continue
        if code.endswith("00"):
            cities.add(name)
        elif name.endswith(("区", "县", "旗", "市")):
            districts.add(name)
    return frozenset(provinces), frozenset(cities - provinces), frozenset(districts)


def _alternation(names: frozenset[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


@cache
def district_pattern() -> str:
    """Province? city? district, each a known name; the match is all the output keeps."""
    provinces, cities, districts = place_names()
    return f"((?:{_alternation(provinces)})?(?:{_alternation(cities)})?(?:{_alternation(districts)}))"
