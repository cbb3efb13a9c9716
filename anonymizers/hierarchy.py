"""Generalization hierarchies in ARX's CSV format, and the integer encoding the search works on.

A hierarchy file has one row per original value: level 0 first, then ever coarser labels, usually
ending in ``*`` (fully suppressed). Files are ``;``- or ``,``-separated; the delimiter is sniffed.

The search never touches strings: every quasi-identifier is encoded once as integer codes, and each
generalization level becomes a small lookup array (``EncodedColumn``). That is what makes evaluating
thousands of lattice nodes cheap. Error messages name the column and the file, never a cell value,
because values may be personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MEMORY_SOURCE = "<memory>"


class HierarchyError(ValueError):
    """A hierarchy file is missing, malformed, or does not cover the data (one line, no cell values)."""


class MissingValueError(HierarchyError):
    """Values of a column do not appear at level 0 of its hierarchy."""


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A validated generalization hierarchy: ``table[row, level]`` is the label of original value ``row``.

    Rows must all have the same number of levels, level-0 values must be unique, and the hierarchy
    must be a tree (a label at one level always generalizes to the same label at the next level),
    because the search derives coarse equivalence classes from finer ones.
    """

    table: np.ndarray
    source: str = MEMORY_SOURCE
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {v: i for i, v in enumerate(self.table[:, 0])})

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str]], source: str = MEMORY_SOURCE) -> Hierarchy:
        """Build and validate a hierarchy from rows of labels (level 0 first)."""
        cleaned = [[str(cell) for cell in row] for row in rows if len(row) > 0 and any(row)]
        if not cleaned:
            raise HierarchyError(f"hierarchy {source} is empty")
        width = len(cleaned[0])
        for number, row in enumerate(cleaned, start=1):
            if len(row) != width:
                raise HierarchyError(
                    f"hierarchy {source}: row {number} has {len(row)} levels, the first row has {width}"
                )
        table = np.array(cleaned, dtype=object)
        _validate(table, source)
        return cls(table=table, source=source)

    @property
    def levels(self) -> int:
        """Number of levels including level 0 (ARX's "height"; the lattice has this many per column)."""
        return int(self.table.shape[1])

    @property
    def max_level(self) -> int:
        return self.levels - 1

    @property
    def domain_size(self) -> int:
        """Number of original values the hierarchy describes (ARX uses it to normalise Loss)."""
        return int(self.table.shape[0])

    def rows_for(self, values: pd.Series, column: str) -> np.ndarray:
        """Row index in this hierarchy of every value; raises naming column and file if any is missing."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = _as_text(pd.Series(uniques))
        lookup = np.array([self._index.get(t, -1) for t in texts] + [self._index.get("", -1)], dtype=np.int64)
        rows = lookup[codes]  # code -1 (null) picks the last entry: the row for the empty string
        missing = rows < 0
        if missing.any():
            n_missing = int(missing.sum())
            n_null = int((codes < 0)[missing].sum())
            extra = f" ({n_null} of them empty or null)" if n_null else ""
            raise MissingValueError(
                f"column {column!r}: {n_missing} value(s){extra} not found at level 0 "
                f"of hierarchy {self.source}"
            )
        return rows.astype(np.int32)

    def generalize(self, values: pd.Series, level: int, column: str) -> pd.Series:
        """Replace each value by its label at ``level`` (same index as ``values``)."""
        if not 0 <= level < self.levels:
            raise HierarchyError(
                f"column {column!r}: level {level} outside 0..{self.max_level} of {self.source}"
            )
        rows = self.rows_for(values, column)
        return pd.Series(self.table[rows, level], index=values.index, name=values.name, dtype=object)

    def encode(self, values: pd.Series, column: str) -> EncodedColumn:
        return EncodedColumn.build(self, self.rows_for(values, column), column)


def _validate(table: np.ndarray, source: str) -> None:
    firsts = pd.Series(table[:, 0])
    duplicated = firsts.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 1
        raise HierarchyError(f"hierarchy {source}: level 0 repeats a value (row {row})")
    for level in range(table.shape[1] - 1):
        pairs = pd.DataFrame({"a": table[:, level], "b": table[:, level + 1]})
        parents = pairs.groupby("a", sort=False)["b"].nunique()
        if (parents > 1).any():
            raise HierarchyError(
                f"hierarchy {source} is not a tree: a label at level {level} generalizes to more than one "
                f"label at level {level + 1}"
            )


def _as_text(values: pd.Series) -> list[str]:
    """Render values as the strings a hierarchy file would contain (39.0 -> "39", None -> "")."""
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if len(finite) and bool(np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0)):
            return ["" if pd.isna(v) else str(int(v)) for v in values]
    return ["" if (v is None or (not isinstance(v, str) and pd.isna(v))) else str(v) for v in values]


@dataclass(frozen=True, eq=False)
class EncodedColumn:
    """One quasi-identifier as integer codes plus per-level lookup tables.

    ``gen[l][row]`` is the dense code of the level-``l`` label of hierarchy row ``row``; ``labels[l]``
    turns codes back into labels. ``up[(a, b)]`` maps level-``a`` codes to level-``b`` codes (a tree
    makes this well defined), which lets coarser classes be rolled up from finer ones. ``counts[l]``
    are record counts per level-``l`` code and ``leaves[l]`` hierarchy rows per code (for Loss).
    """

    name: str
    hierarchy: Hierarchy
    rows: np.ndarray
    gen: list[np.ndarray]
    labels: list[np.ndarray]
    up: dict[tuple[int, int], np.ndarray]
    counts: list[np.ndarray]
    leaves: list[np.ndarray]

    @classmethod
    def build(cls, hierarchy: Hierarchy, rows: np.ndarray, name: str) -> EncodedColumn:
        gen: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        for level in range(hierarchy.levels):
            uniques, inverse = np.unique(hierarchy.table[:, level].astype(str), return_inverse=True)
            labels.append(uniques.astype(object))
            gen.append(inverse.astype(np.int32))
        up: dict[tuple[int, int], np.ndarray] = {}
        for a in range(hierarchy.levels):
            for b in range(a + 1, hierarchy.levels):
                mapping = np.zeros(len(labels[a]), dtype=np.int32)
                mapping[gen[a]] = gen[b]
                up[(a, b)] = mapping
        pairs = list(zip(gen, labels, strict=True))
        counts = [np.bincount(g[rows], minlength=len(lab)).astype(np.int64) for g, lab in pairs]
        leaves = [np.bincount(g, minlength=len(lab)).astype(np.int64) for g, lab in pairs]
        return cls(name, hierarchy, rows, gen, labels, up, counts, leaves)

    @property
    def levels(self) -> int:
        return self.hierarchy.levels

    def sizes(self, level: int) -> int:
        return len(self.labels[level])

    def codes(self, level: int) -> np.ndarray:
        """Level-``level`` code of every record."""
        return self.gen[level][self.rows]

    def lift(self, codes: np.ndarray, src: int, dst: int) -> np.ndarray:
        return codes if src == dst else self.up[(src, dst)][codes]


def sniff_delimiter(text: str) -> str:
    """Pick ``;`` or ``,``: the one that splits every line into the same number (>1) of fields.

    ``;`` wins a tie because it is ARX's default and labels such as "Married, spouse" contain commas.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    for delimiter in (";", ","):
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(widths) == 1 and widths.pop() > 1:
            return delimiter
    return ";" if ";" in text or "," not in text else ","


def load_hierarchy(path: str | Path, delimiter: str | None = None) -> Hierarchy:
    """Read one ARX hierarchy CSV (UTF-8, optional BOM)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise HierarchyError(f"hierarchy file {path} does not exist") from None
    except UnicodeDecodeError:
        raise HierarchyError(f"hierarchy file {path} is not UTF-8 text") from None
    delimiter = delimiter or sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return Hierarchy.from_rows(rows, source=str(path))


def find_hierarchy_file(directory: str | Path, column: str) -> Path:
    """The file for ``column``: ``<column>.csv``, else ARX's ``*_hierarchy_<column>.csv``, else any
    ``*_<column>.csv``. The tiers keep column "class" from taking ``adult_hierarchy_salary_class.csv``
    when ``adult_hierarchy_class.csv`` exists; several files in the same tier are an error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise HierarchyError(f"hierarchy directory {directory} does not exist")
    exact = directory / f"{column}.csv"
    if exact.is_file():
        return exact
    files = sorted(p for p in directory.iterdir() if p.is_file())
    for suffix in (f"_hierarchy_{column}.csv", f"_{column}.csv"):
        matches = [p for p in files if p.name.endswith(suffix)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise HierarchyError(f"several hierarchy files for column {column!r} in {directory}: {names}")
    raise HierarchyError(
        f"no hierarchy for column {column!r} in {directory} (expected {column}.csv or *_{column}.csv)"
    )


def load_hierarchies(directory: str | Path, columns: Iterable[str]) -> dict[str, Hierarchy]:
    """Load the hierarchy of every column from ``directory`` (see ``find_hierarchy_file``)."""
    return {column: load_hierarchy(find_hierarchy_file(directory, column)) for column in columns}


def encode_columns(
    df: pd.DataFrame, qi: Sequence[str], hierarchies: Mapping[str, Hierarchy]
) -> list[EncodedColumn]:
    """Encode each quasi-identifier of ``df`` with its hierarchy (errors name the column)."""
    missing = [c for c in qi if c not in df.columns]
    if missing:
        raise ValueError(f"quasi-identifier column(s) not in the table: {', '.join(map(repr, missing))}")
    absent = [c for c in qi if c not in hierarchies]
    if absent:
        raise HierarchyError(f"no hierarchy given for column(s): {', '.join(map(repr, absent))}")
    return [hierarchies[c].encode(df[c], c) for c in qi]
