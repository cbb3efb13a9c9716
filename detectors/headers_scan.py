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
        if rule.span is None:  # a rule that only judges whole values (no span pattern) finds nothing inside
            continue
        for match in re.finditer(rule.span, text):
            if rule.validate(match.group()) and rule.name in vocabulary.strong() | vocabulary.never_raw():
                return rule.name
    return None


def _looks_like_value(name: str) -> bool:
    """A header cell that reads as a value of a record: a day-exact date, a number that is not a year
    or a month (pivot tables have 2020, 2021 … or 2023-01 as headers), or a personal name that is no
    ordinary word (项目, 任务 and 费用 start with a surname character but are words)."""
    text = fold(name).strip()
    if re.fullmatch(r"(?:19|20)\d{2}(?:[-/.年]\d{1,2}月?)?|(?:19|20)\d{2}[-/.]?Q[1-4]", text):
        return False
    if re.fullmatch(DATE_LIKE, text) or re.fullmatch(NUMERIC, text):
        return True
    return _bare_name(text)


def _bare_name(name: str) -> bool:
    """A header that is nothing but a personal name (徐浩), not an ordinary word."""
    from detectors.names import is_person_name
    from detectors.persons import in_dictionary

    text = fold(name).strip()
    return is_person_name(text) and not in_dictionary(text)


def _name_in(name: str) -> bool:
    """A personal name inside a header (经办人王玉兰, 王玉兰电话), by the name finder for prose."""
    from detectors.persons import THRESHOLD, person_spans

    text = fold(name)
    return len(text) > 3 and any(s.score >= THRESHOLD for s in person_spans(text))


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
    for number, name in enumerate(columns, start=1):
        if _name_in(str(name)) or _bare_name(str(name)):
            return (f"the header of column {number} holds a personal name: a column name is published, "
                    "so rename it")
    return None
