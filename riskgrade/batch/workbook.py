"""Reading a workbook (XLSX) safely: limits checked on the zip before openpyxl opens it, the
cells there are read (not the size the file claims), runs of empty rows bounded, merged cells
filled down, nested lists taken from linked sheets."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from riskgrade.batch.columns import NESTED, Columns, Row, group_items, plan_header, table_row
from riskgrade.errors import InputError

MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""Largest total a workbook may inflate to (its zip members' sizes), in bytes."""
MAX_SHARED_STRINGS = 64 * 1024 * 1024
"""Largest shared-strings part of a workbook, in bytes (it is held in memory whole)."""
MAX_EMPTY_RUN = 100_000
"""Most empty rows in a row inside a sheet."""
MAX_SHEET_ROW = 1_048_576
"""Excel's last row: a workbook claiming a row past it is refused."""


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
    rows = ws.iter_rows(min_row=2, max_col=max(width, 1), values_only=True)
    for number, values in enumerate(rows, start=2):
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


def _header(ws: Any) -> tuple[Any, ...]:
    """The first row of a sheet (its header), trailing blanks dropped."""
    header = list(next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ()))
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
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # read the cells there are, not the size the file claims
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
