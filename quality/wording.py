"""Small helpers that turn figures into the plain words quality officers read.

Everything here formats names, counts and limits; nothing takes a cell value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def col(name: str) -> str:
    return f"列 {name}"


def names(columns: Iterable[str]) -> str:
    return ", ".join(str(c) for c in columns)


def number(value: float | int | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"


def percent(part: float, whole: float) -> str:
    """A share as people write it: 12%, 1.5%, 0.05%; exact 0% and 100% only when true."""
    if whole <= 0:
        return "0%"
    share = round(100 * part / whole, 9)
    if share == 0 or share == 100:
        return f"{share:.0f}%"
    if share >= 99.5:
        return f"{share:.1f}%" if share < 99.95 else "99.9%"
    if share >= 10:
        return f"{share:.0f}%"
    if share >= 1:
        return f"{share:.1f}%"
    return f"{share:.2g}%"


def bounds(low: float | None, high: float | None, unit: str = "") -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        if low == high:
            return f"exactly {number(low)}{unit}"
        return f"between {number(low)} and {number(high)}{unit}"
    if low is not None:
        return f"at least {number(low)}{unit}"
    return f"at most {number(high)}{unit}"


def rows(count: int, total: int) -> str:
    noun = "row" if total == 1 else "rows"
    return f"{count} of {total} {noun} ({percent(count, total)})"


def positions(indexes: Sequence[int] | None, shown: int = 5) -> str:
    """Rows named by position, counted from 1 after the header: ' (rows 3, 8, 12, …)'."""
    if not indexes:
        return ""
    picked = [str(int(i) + 1) for i in list(indexes)[:shown]]
    more = ", …" if len(indexes) > shown else ""
    noun = "row" if len(indexes) == 1 else "rows"
    return f" ({noun} {', '.join(picked)}{more})"
