"""Column names are scanned like cells: a header that holds an identifier, or a first row that is data.

Column names travel further than any cell (release record, catalog, portal, messages), so a name that
contains an identifier (``联系人13812345678``), or a header row that is really the first record of a
file without one (``徐浩,女,1995-08-13,3701…``), must stop the release at extract. Messages name the
column by its position only.
"""

from __future__ import annotations

import re

from detectors import vocabulary
from detectors.rules import RULES
from detectors.text import fold
from detectors.values import DATE_LIKE, NUMERIC

# A header cell that reads as a value: a date, a number, or a personal name with nothing else.
_VALUE_SHARE = 0.5


def _identifier_in(name: str) -> str | None:
    """The entity of a validated identifier inside the header text, if any (names and places aside:
    headers say 姓名 and 住址, which are words, not values)."""
    text = fold(name)
    for rule in RULES:
        if rule.name in {"PERSON", "LOCATION"}:
            continue
        if rule.validate(text):
            return rule.name
        for match in re.finditer(rule.span, text):
            if rule.validate(match.group()) and rule.name in vocabulary.strong() | vocabulary.never_raw():
                return rule.name
    return None


def _looks_like_value(name: str) -> bool:
    text = fold(name).strip()
    if re.fullmatch(DATE_LIKE, text) or re.fullmatch(NUMERIC, text):
        return True
    from detectors.names import is_person_name

    return is_person_name(text)


def header_problem(columns: list[str]) -> str | None:
    """One line (naming positions only) when the header cannot be published, else None."""
    for number, name in enumerate(columns, start=1):
        entity = _identifier_in(str(name))
        if entity:
            return (f"the header of column {number} holds an identifier (a {entity}): a column name is published, "
                    "so rename it, or the file lacks a header row")
    values = [n for n, name in enumerate(columns, start=1) if _looks_like_value(str(name))]
    if len(columns) >= 2 and len(values) >= max(2, _VALUE_SHARE * len(columns)):
        shown = ", ".join(map(str, values[:3]))
        return (f"the header looks like data (columns {shown}{' …' if len(values) > 3 else ''} read as values): "
                "the file seems to lack a header row")
    return None
