"""Public key lists for the dimensions of an aggregate release: where a table's cells come from.

A differentially private table must not take its keys from the data: a key that appears only because
one person is in the data tells that the person is there. So each dimension names a public list (the
GB/T 2260 divisions under a region, a range of months or years, an explicit list or a file), and every
key of the list is published, present in the data or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

_RANGE = {"months": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\.\.(\d{4})-(0[1-9]|1[0-2])$"),
          "years": re.compile(r"^(\d{4})\.\.(\d{4})$")}
MAX_RANGE = 1200
MAX_FILE_KEYS = 100_000
MAX_KEY_LENGTH = 100


class CodeListError(ValueError):
    """A key list that cannot be resolved; the message is one line (it names no data value)."""


def check_range(kind: str, text: str) -> list[str]:
    """The keys of `months: 2015-01..2024-12` or `years: 2015..2024`, in order."""
    match = _RANGE[kind].match(text.strip())
    if not match:
        example = "2015-01..2024-12" if kind == "months" else "2015..2024"
        raise ValueError(f"'{kind}' expects a range like {example}")
    if kind == "years":
        first, last = int(match[1]), int(match[2])
        keys = [str(y) for y in range(first, last + 1)]
    else:
        start, end = int(match[1]) * 12 + int(match[2]) - 1, int(match[3]) * 12 + int(match[4]) - 1
        keys = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(start, end + 1)]
    if not keys:
        raise ValueError(f"'{kind}' range is empty (its end comes before its start)")
    if len(keys) > MAX_RANGE:
        raise ValueError(f"'{kind}' range has {len(keys)} keys, more than {MAX_RANGE}")
    return keys


@cache
def _gb2260() -> dict[str, str]:
    """Current county-level codes of python-stdnum's GB/T 2260 data (cn/loc), code -> name."""
    from stdnum import numdb

    current: dict[str, str] = {}
    for _, province, _, _, counties in numdb.get("cn/loc").prefixes:
        for _, county, _, props, _ in counties:
            name = str(props.get("county", ""))
            period = re.match(r"^\[(\d{4})?-(\d{4})?\]", name)
            if period and period[2]:
                continue  # abolished: not a current division
            current[province + county] = name[period.end():] if period else name
    return current


def gb2260_divisions(parent: str) -> dict[str, str]:
    """County-level divisions under a prefecture (370100) or province (370000): code -> name.

    The prefecture's own entry (xx00) and the bookkeeping `市辖区` entries (xx01) are not divisions.
    """
    codes = _gb2260()
    if parent not in codes:
        raise CodeListError(f"gb2260:{parent} is not a current GB/T 2260 code")
    prefix = parent[:2] if parent.endswith("0000") else parent[:4]
    found = {code: name for code, name in codes.items()
             if code.startswith(prefix) and code != parent and not code.endswith("00") and name != "市辖区"}
    if not found:
        raise CodeListError(f"gb2260:{parent} has no county-level divisions")
    return dict(sorted(found.items()))


def _file_keys(path: Path, folder: Path) -> list[str]:
    """The keys of a codes file, which must lie in the spec's own folder: its lines are published as
    keys, so a spec must not be able to point at a source (or any other file) and publish its lines."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise CodeListError(f"codes_file not found: {path}") from None
    if not real.is_relative_to(folder.resolve()):
        raise CodeListError(f"codes_file {path} lies outside the spec's folder")
    try:
        text = real.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodeListError(f"codes_file not found: {path}") from None
    except UnicodeDecodeError:
        raise CodeListError(f"codes_file is not UTF-8 text: {path}") from None
    keys = [line.split(",")[0].strip() for line in text.splitlines()]
    keys = [k for k in keys if k and not k.startswith("#")]
    if not keys:
        raise CodeListError(f"codes_file lists no key: {path}")
    if len(set(keys)) != len(keys):
        raise CodeListError(f"codes_file lists a key twice: {path}")
    if any(len(k) > MAX_KEY_LENGTH for k in keys):
        raise CodeListError(f"codes_file has a key longer than {MAX_KEY_LENGTH} characters: {path}")
    if len(keys) > MAX_FILE_KEYS:
        raise CodeListError(f"codes_file lists more than {MAX_FILE_KEYS} keys: {path}")
    return keys


def dimension_keys(dimension: Any, resolve: Callable[[str], Path],
                   folder: Path) -> tuple[tuple[str, ...] | None, dict[str, str]]:
    """A dimension's keys (None: chosen by DP key selection) and aliases (a code for its name);
    `folder` is the spec's folder, where a codes file must lie."""
    if dimension.codes is not None:
        divisions = gb2260_divisions(dimension.codes.split(":", 1)[1])
        return tuple(divisions.values()), {code: name for code, name in divisions.items()}
    if dimension.months is not None:
        return tuple(check_range("months", dimension.months)), {}
    if dimension.years is not None:
        return tuple(check_range("years", dimension.years)), {}
    if dimension.values is not None:
        return tuple(dimension.values), {}
    if dimension.codes_file is not None:
        return tuple(_file_keys(resolve(dimension.codes_file), folder)), {}
    return None, {}


def key_source(dimension: Any) -> str:
    """How the record names a dimension's key list (no key is data: the lists are public)."""
    for kind in ("codes", "months", "years"):
        if getattr(dimension, kind) is not None:
            return f"{kind}: {getattr(dimension, kind)}"
    if dimension.values is not None:
        return f"values: {len(dimension.values)} listed"
    if dimension.codes_file is not None:
        return f"codes_file: {Path(dimension.codes_file).name}"
    return "key selection"
