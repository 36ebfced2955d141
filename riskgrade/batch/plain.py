"""Which CSV text the table reader takes: UTF-8, one record per line.

:func:`plain_block` is checked block by block as :mod:`riskgrade.batch.table` reads, so that a file
is never read twice; where a block is not plain, the row reader reads the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_BLOCK = 1 << 22
_LONE_CR = re.compile(rb"\r(?!\n)")


def plain_csv(path: Path, encoding: str | None = None) -> bool:
    """Whether every block of ``path`` is plain (:func:`plain_block`): UTF-8 throughout and one
    record per line, so that record ``k`` is line ``k + 2``. The table reader checks the same
    block by block as it reads (and also hands over a block Polars cannot parse as the header
    says, e.g. with a cell past the header's last column)."""
    if not tabular_encoding(encoding):
        return False
    with path.open("rb") as handle:
        return all(plain_block(block) for block in blocks(handle, _BLOCK))


def tabular_encoding(encoding: str | None) -> bool:
    """Whether a file read with ``encoding`` (None: not named) may be read as tables."""
    return encoding in (None, "utf-8", "utf-8-sig", "utf8")


def plain_block(block: bytes) -> bool:
    """Whether a block of whole lines is UTF-8 with no blank line, no carriage return but
    before a line feed, and an even number of quotes on every line (no cell runs over a line
    break)."""
    try:
        block.decode("utf-8")  # blocks end at a line's end, never inside a character
    except UnicodeDecodeError:
        return False
    if block.startswith(b"\n") or b"\n\n" in block or b"\n\r\n" in block:
        return False
    if b"\r" in block and _LONE_CR.search(block):  # the csv module refuses it in a cell
        return False
    return b'"' not in block or not any(line.count(b'"') & 1 for line in block.split(b"\n"))


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
