"""Reading a workbook (XLSX) safely: limits checked on the zip before openpyxl opens it, the
cells there are read (not the size the file claims), runs of empty rows bounded, merged cells
filled down, nested lists taken from linked sheets."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from riskgrade.batch.columns import (
    MAX_DIGITS,
    NESTED,
    Columns,
    Row,
    group_items,
    plan_header,
    table_row,
)
from riskgrade.errors import InputError

MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""Largest total a workbook may inflate to (its zip members' sizes), in bytes."""
MAX_SHARED_STRINGS = 64 * 1024 * 1024
"""Largest shared-strings part of a workbook, in bytes (it is held in memory whole)."""
MAX_EMPTY_RUN = 100_000
"""Most empty rows in a row inside a sheet."""
MAX_SHEET_ROW = 1_048_576
"""Excel's last row: a workbook claiming a row past it is refused."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # what openpyxl always reads


def _archive_limits(path: Path) -> None:
    """Refuse a workbook that would inflate past :data:`MAX_UNCOMPRESSED` (or whose shared
    strings, held in memory whole, pass :data:`MAX_SHARED_STRINGS`), before opening it."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise InputError(
            f"{path}: the workbook inflates to {total:,} bytes "
            f"(at most {MAX_UNCOMPRESSED:,}); split it or save it as CSV"
        )
    for member in members:
        if member.filename.lower().endswith("sharedstrings.xml"):
            if member.file_size > MAX_SHARED_STRINGS:
                raise InputError(
                    f"{path}: its shared strings inflate to {member.file_size:,} bytes "
                    f"(at most {MAX_SHARED_STRINGS:,}); split it or save it as CSV"
                )


def _sheet_rows(ws: Any, path: Path, width: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of a sheet from row 2, at most ``width`` columns; an
    :class:`InputError` at a run of more than :data:`MAX_EMPTY_RUN` empty rows or a row past
    Excel's last."""
    empty = 0
    for number, values in enumerate(_sheet_values(ws, 2, max(width, 1)), start=2):
        if number > MAX_SHEET_ROW:
            raise InputError(f"{path}: sheet {ws.title!r} has rows past row {MAX_SHEET_ROW:,}")
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            empty += 1
            if empty > MAX_EMPTY_RUN:
                raise InputError(
                    f"{path}: sheet {ws.title!r} has more than {MAX_EMPTY_RUN:,} empty rows "
                    f"in a row (from row {number - empty + 1:,}); delete them"
                )
        else:
            empty = 0
        yield number, values


def _sheet_values(ws: Any, first: int, width: int | None) -> Iterator[tuple[Any, ...]]:
    """The values of a read-only sheet's rows from row ``first`` on, each ``width`` wide (when
    None, as wide as its last cell), a missing row as an empty one: the cells the sheet holds,
    whatever size it claims. A numeric cell whose text is past :data:`MAX_DIGITS`
    or no number Python reads is given as its text, for its row's reader to fail that row.

    openpyxl turns a numeric cell's text into a number inside its sheet parser and raises there
    (``int()`` past 4,300 digits, or on text that is no number), which ends the whole sheet.
    It has no public hook for that conversion, so this is ``ReadOnlyWorksheet.iter_rows`` over
    a subclass of its private ``WorkSheetParser``, fed by the sheet's private attributes (its
    part, shared strings, date formats): the one place the reader leans on openpyxl's internals
    for cells (checked against openpyxl 3.1)."""
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser, _cast_number

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            text = element.findtext(VALUE_TAG)
            if text and element.get("t", "n") == "n" and not _readable(text, _cast_number):
                element.set("t", "str")  # read as its text
            result: dict[str, Any] = super().parse_cell(element)
            return result

    book = ws.parent
    counter = first
    with book._archive.open(ws._worksheet_path) as source:
        parser = Parser(
            source,
            ws._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number < counter:
                continue  # a row before ``first``, or out of order (openpyxl skips it too)
            while counter < number:
                counter += 1
                yield (None,) * (width or 0)
            counter += 1
            size = width if width is not None else max((c["column"] for c in cells), default=0)
            values: list[Any] = [None] * size
            for cell in cells:
                if 1 <= cell["column"] <= size:
                    values[cell["column"] - 1] = cell["value"]
            yield tuple(values)


def _readable(text: str, cast: Any) -> bool:
    """Whether openpyxl's ``cast`` reads a numeric cell's text as a number within
    :data:`MAX_DIGITS` (the regular expression spares the common case a second conversion)."""
    if len(text) > MAX_DIGITS:
        return False
    if _NUMBER.fullmatch(text):
        return True
    try:
        cast(text)
    except ValueError:
        return False
    return True


def _header(ws: Any) -> tuple[Any, ...]:
    """The first row of a sheet (its header), trailing blanks dropped."""
    header = list(next(_sheet_values(ws, 1, None), ()))
    while header and (header[-1] is None or not str(header[-1]).strip()):
        header.pop()
    return tuple(header)


def xlsx_rows(path: Path, columns: Columns, sheet: str | None) -> Iterator[Row]:
    """Rows of a workbook's main sheet, nested lists filled from its linked sheets."""
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError("reading .xlsx needs openpyxl: pip install riskgrade[excel]") from exc
    _archive_limits(path)
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        main = workbook[sheet] if sheet else workbook.worksheets[0]
        linked = {
            columns.get(ws.title, ws.title): _sheet_records(ws, path)
            for ws in workbook.worksheets
            if ws is not main and columns.get(ws.title, ws.title) in NESTED
        }
        nested = {name: group_items(records, columns) for name, records in linked.items()}
        header = _header(main)
        if not header:
            return
        plan = plan_header(header, columns, str(path))
        merged = _Merged(_merged_ranges(main))
        for number, values in _sheet_rows(main, path, len(header)):
            values = merged.fill(number, values)
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            row = table_row(number, values, plan)
            for name, by_unit in nested.items():
                if row.facts.get(name) is None and row.facts.get("id") is not None:
                    row.facts[name] = by_unit.get(str(row.facts["id"]), [])
            yield row
    finally:
        workbook.close()


def _merged_ranges(ws: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges as (min_col, min_row, max_col, max_row), read by streaming the
    sheet's XML (read-only worksheets do not expose them; memory stays flat)."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    if path is None:
        return []
    ranges: list[tuple[int, int, int, int]] = []
    sheet_data = None
    with ws.parent._archive.open(path) as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "sheetData":
                    sheet_data = element
                continue
            if tag == "row" and sheet_data is not None:
                sheet_data.clear()  # drop parsed rows as we go
            elif tag == "mergeCell" and element.get("ref"):
                try:
                    bounds = range_boundaries(element.get("ref"))
                except (TypeError, ValueError):
                    continue
                if None not in bounds:
                    ranges.append(bounds)  # type: ignore[arg-type]
    return ranges


class _Merged:
    """Fills merged cells down: a value typed once in a cell merged over several rows (a
    community, a street) belongs to every row the merge covers. Only the merge's first column
    is filled; other columns under a merge stay empty, as in the sheet."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]) -> None:
        self._ranges = sorted((r for r in ranges if r[3] > r[1] and r[1] >= 2), key=lambda r: r[1])
        self._next = 0
        self._active: list[tuple[int, int, Any]] = []  # (column, last row, value)

    def fill(self, number: int, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """Row ``number``'s values with the merges covering it filled in."""
        if not self._ranges:
            return values
        self._active = [a for a in self._active if a[1] >= number]
        out = list(values)
        for column, _, value in self._active:
            if column - 1 < len(out):
                out[column - 1] = value
            else:
                out += [None] * (column - 1 - len(out)) + [value]
        while self._next < len(self._ranges) and self._ranges[self._next][1] == number:
            min_col, _, _, max_row = self._ranges[self._next]
            value = out[min_col - 1] if min_col - 1 < len(out) else None
            self._active.append((min_col, max_row, value))
            self._next += 1
        while self._next < len(self._ranges) and self._ranges[self._next][1] < number:
            self._next += 1  # a merge starting on a row that was never read
        return tuple(out)


def _sheet_records(ws: Any, path: Path) -> list[dict[str, Any]]:
    """A linked sheet's non-empty rows as records keyed by its header."""
    header = _header(ws)
    names: list[Any] = [str(h).strip() if h is not None else None for h in header]
    return [
        dict(zip(names, values, strict=False))
        for _, values in _sheet_rows(ws, path, len(header))
        if any(v is not None for v in values)
    ]
