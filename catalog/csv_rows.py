"""A chunk of a published table as CSV rows, encoded column by column with Arrow's compute kernels.

The published `data.csv` is what pandas' `to_csv(index=False, lineterminator="\\r\\n")` writes: the
standard library's `csv.writer` with minimal quoting (a cell holding the delimiter, a double quote,
CR or LF is quoted, its quotes doubled; a row's only cell is quoted when it is empty), missing
cells empty, integers as digits, floats as `repr`, booleans as True / False. pandas hands the csv
module a Python object per cell, about 3 CPU-s per million rows of the bench table; here each column
becomes an Arrow array of its cells' CSV text, quoted where it must be by vectorized kernels, the
cells of a row are joined element-wise and the rows taken from the array's buffer. The bytes are
pandas' (a property test pins it); a chunk holding a column of other Python objects is written
by pandas itself.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from catalog.json_rows import _large, joined_views, typed_cells

LINE_END = "\r\n"  # RFC 4180 rows: the csv module then also quotes a cell holding a lone CR
_QUOTE_WHEN = '[,"\r\n]'  # the delimiter, the quote character, the line terminator's characters


def _cells(values: pd.Series) -> pa.Array | None:
    """Each cell's text as pandas writes it into a CSV (null: missing); None for a column of other objects
    (and for floats narrower than 32 bits, which pandas writes by their own repr)."""
    if pd.api.types.is_float_dtype(values.dtype) and getattr(values.dtype, "itemsize", 8) < 4:
        return None
    typed = typed_cells(values, ("True", "False"), infinite=True)
    return None if typed is None else typed[0]


def _quoted(cells: pa.Array, alone: bool) -> pa.Array:
    """Cells as the csv module writes them with QUOTE_MINIMAL; `alone`: the row's only cell."""
    if alone:  # csv.writer quotes a row's only cell when it is empty, so the row is no blank line
        cells = pc.fill_null(cells, _large(""))
    needs = pc.match_substring_regex(cells, _QUOTE_WHEN)
    if alone:
        needs = pc.or_(needs, pc.equal(cells, _large("")))
    needs = pc.fill_null(needs, False)
    if pc.any(needs).as_py():  # quote only the cells that need it (most hold no comma, quote or line break)
        chosen = pc.filter(cells, needs)
        quoted = pc.binary_join_element_wise(_large('"'), pc.replace_substring(chosen, '"', '""'), _large('"'),
                                             _large(""))
        cells = pc.replace_with_mask(cells, needs, quoted)
    return pc.fill_null(cells, _large(""))  # a missing cell: nothing


def _rows(columns: list[pa.Array]) -> list[memoryview]:
    alone = len(columns) == 1
    cells = [_quoted(c, alone) for c in columns]
    cells[-1] = pc.binary_join_element_wise(cells[-1], _large(LINE_END), _large(""))  # each row's end
    return joined_views(pc.binary_join_element_wise(*cells, _large(",")))


def csv_pieces(frame: pd.DataFrame, header: bool) -> list[bytes | memoryview]:
    """The CSV text of `frame` (its header row first when `header`), in UTF-8, as pandas writes it, in
    pieces to write one after the other (views of Arrow's buffers: a chunk's text is not copied)."""
    columns = [_cells(frame.iloc[:, i]) for i in range(len(frame.columns))]
    named = all(isinstance(name, str) for name in frame.columns)  # pandas writes a None or NaN name as ''
    if not len(frame.columns) or any(c is None for c in columns) or (header and not named):
        return [frame.to_csv(index=False, header=header, lineterminator=LINE_END).encode("utf-8")]
    head = _rows([pa.array([name], type=pa.large_string()) for name in frame.columns]) if header else []
    return [*head, *(_rows(columns) if len(frame) else [])]  # type: ignore[arg-type]


def csv_rows(frame: pd.DataFrame, header: bool) -> bytes:
    """:func:`csv_pieces` as one bytes object."""
    return b"".join(csv_pieces(frame, header))
