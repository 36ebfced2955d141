"""Which CSV text the table reader takes: UTF-8, one record per line.

:func:`parsed_block` parses a block with Polars and keeps it only where it is plain, so that a
file is never read twice; where a block is not plain, the row reader reads the rest.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from riskgrade.batch.columns import MAX_CELL
from riskgrade.batch.read import MAX_LINE

LINE = "__line"
"""The column of a parsed block holding each row's line number."""

_BLOCK = 1 << 22
_LONE_CR = re.compile(rb"\r(?!\n)")
_ODD_QUOTE = (  # past an even number of quotes on its line (outside a quoted cell), a quote
    r'(?m)^(?:[^"\n]*"[^"\n]*")*[^"\n]*'
    r'(?:[^,"\n]"'  # not at a cell's start, or one that closes a cell
    r'|"[^"\n]*"[^",\r\n])'  # and is followed by more than a separator or the line's end
)


def plain_csv(path: Path, encoding: str | None = None) -> bool:
    """Whether ``path`` is plain throughout: a plain header (:func:`plain_line`) and every block
    plain (:func:`parsed_block`), so that record ``k`` is line ``k + 2``. The table reader
    checks the same block by block as it reads."""
    if not tabular_encoding(encoding):
        return False
    with path.open("rb") as handle:
        head = handle.readline()
        if not plain_line(head.removeprefix(codecs.BOM_UTF8)):
            return False
        line = 2
        for block in blocks(handle, _BLOCK):
            if parsed_block(head, block, line) is None:
                return False
            line += lines_in(block)
    return True


def tabular_encoding(encoding: str | None) -> bool:
    """Whether a file read with ``encoding`` (None: not named) may be read as tables. Not
    ``utf-8-sig``: the row reader then takes a byte order mark off every line (files joined
    from exports each begin with one), where Polars takes off the file's first only."""
    return encoding in (None, "utf-8", "utf8")


def plain_line(line: bytes) -> bool:
    """Whether a header line is not blank, no longer than one cell may be (bytes), is UTF-8, has
    no carriage return but before its line feed and has its quotes where RFC 4180 puts them (no
    cell runs over the line's end, and the csv module and Polars count the same cells)."""
    if not line.strip() or len(line) > MAX_CELL:
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _LONE_CR.search(line) or line.count(b'"') & 1:
        return False
    return b'"' not in line or not _odd_quotes(line)  # header cells counted alike


def parsed_block(head: bytes, block: bytes, line: int) -> pl.DataFrame | None:
    """A block of whole lines under the header line ``head``, parsed by Polars as text columns
    with each row's line number (from ``line``) in :data:`LINE`; None where it is not plain.

    Plain: UTF-8 (Polars refuses other bytes in a text column), no carriage return but before a
    line feed (the csv module fails such a cell), quotes only as RFC 4180 places them (the csv
    module and Polars read others apart), no cell past the header's last column, none longer
    than the csv module reads (:data:`~riskgrade.batch.columns.MAX_CELL`), and exactly one row
    per line (a cell running over a line break makes fewer rows than lines, or an error). A
    blank line is a row of nulls, as it is a record of no cells to the csv module, numbered alike.
    """
    if b"\r" in block and _LONE_CR.search(block):
        return None
    if _long_line(block):  # the row reader fails such a line
        return None
    try:
        if b'"' in block and _odd_quotes(block):
            return None
        end = b"" if block.endswith(b"\n") else b"\n"  # a quote left open on the last line
        batch = pl.read_csv(
            head + block + end, infer_schema=False, row_index_name=LINE, row_index_offset=line
        )
    except pl.exceptions.PolarsError:  # not UTF-8, a cell past the header, a quote left open
        return None
    if batch.height != lines_in(block) or _long_cell(batch):
        return None
    return batch.cast({LINE: pl.Int64})


def _long_cell(batch: pl.DataFrame) -> bool:
    """Whether a cell is longer than the csv module reads (:data:`MAX_CELL` characters): the
    row reader fails such a record without reading its other cells, its id included."""
    texts = pl.col(pl.String)
    longest = batch.select(pl.max_horizontal(texts.str.len_bytes().max())).item()
    if longest is None or longest <= MAX_CELL:  # no cell has more characters than bytes
        return False
    return bool(batch.select(pl.max_horizontal(texts.str.len_chars().max())).item() > MAX_CELL)


def _odd_quotes(block: bytes) -> bool:
    """Whether a line of the block quotes a cell otherwise than RFC 4180 does (``"a"b``,
    ``""a""``, ``x"y``): the csv module and Polars read such cells differently."""
    text = pl.DataFrame({"text": _pieces(block)}, schema={"text": pl.Binary})
    odd = pl.col("text").cast(pl.String).str.contains(_ODD_QUOTE)  # refuses what is not UTF-8
    return bool(text.select(odd.any()).item())  # a query lets go of the interpreter, a Series not


_PIECE = 1 << 20


def _pieces(block: bytes) -> list[bytes]:
    """A block cut into pieces of whole lines of about :data:`_PIECE` bytes: the pattern
    never runs past a line's end, and over one 8 MiB text Polars' regex needed 48 MB more
    (measured with the allocator returning freed memory at once: 8 MB in pieces, as fast)."""
    pieces, start = [], 0
    while start < len(block):
        end = block.find(b"\n", start + _PIECE)
        end = len(block) if end < 0 else end + 1
        pieces.append(block[start:end])
        start = end
    return pieces


def _long_line(block: bytes) -> bool:
    """Whether a line of the block is longer than the row reader reads
    (:data:`~riskgrade.batch.read.MAX_LINE` bytes with its line feed, or as many without)."""
    if len(block) - MAX_LINE < lines_in(block) - 1:  # too many lines for any to be that long
        return False
    start = 0
    while (end := block.find(b"\n", start)) >= 0:
        if end + 1 - start > MAX_LINE:
            return True
        start = end + 1
    return len(block) - start >= MAX_LINE


def lines_in(block: bytes) -> int:
    """The number of lines in a block of whole lines (the last may lack its line feed)."""
    return block.count(b"\n") + (not block.endswith(b"\n"))


def blocks(handle: Any, size: int) -> Iterator[bytes]:
    """The bytes of a file in blocks of about ``size`` that end at a line's end."""
    rest = b""
    while block := handle.read(size):
        block = rest + block if rest else block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if cut:
            whole = block if cut == len(block) else block[:cut]
            del block  # one copy held while the caller works on it
            yield whole
    if rest:
        yield rest
