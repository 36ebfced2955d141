"""Workbooks that would inflate past their limits are refused before openpyxl reads them, and
sheets that claim more rows or columns than they hold are read by what is there."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.cli import main

HEADER = ["统一社会信用代码", "企业名称", "行业", "从业人员数"]


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"])


def _book(path: Path, rows: list[list[Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _rewrite(path: Path, part: str, text: str) -> None:
    """Replace one part of the workbook's zip (compressed, as Excel would)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts[part] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.slow
def test_a_shared_string_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    source = tmp_path / "bomb.xlsx"
    _book(source, [["B1", "甲店", "retail", 5]])
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (
        f'<sst xmlns="{ns}" count="1" uniqueCount="1"><si><t>{"a" * 200_000_000}</t></si></sst>'
    )
    _rewrite(source, "xl/sharedStrings.xml", strings)
    assert source.stat().st_size < 400_000  # a small file ...
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2, result.output  # ... refused by the sizes in its zip
    assert "67,108,864" in result.output and "shared strings" in result.output


@pytest.mark.slow
def test_a_workbook_inflating_past_the_limit_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "big.xlsx"
    _book(source, [["B1", "甲店", "retail", 5]])
    with zipfile.ZipFile(source, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * 600_000_000)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "536,870,912" in result.output, result.output


def _sheet(rows: str, dimension: str = "A1:XFD1048576") -> str:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return (
        f'<worksheet xmlns="{ns}"><dimension ref="{dimension}"/><sheetData>{rows}'
        "</sheetData></worksheet>"
    )


def _cells(r: int, values: list[Any]) -> str:
    cols = "ABCD"
    cells = "".join(
        f'<c r="{cols[i]}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
        if isinstance(v, str)
        else f'<c r="{cols[i]}{r}"><v>{v}</v></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def test_a_sheet_claiming_every_cell_is_read_by_the_cells_it_has(tmp_path: Path) -> None:
    source = tmp_path / "wide.xlsx"
    _book(source, [])
    rows = _cells(1, HEADER) + _cells(2, ["W1", "甲店", "retail", 5])
    rows += "".join(f'<row r="{r}"><c r="XFD{r}"/></row>' for r in range(3, 20_000))
    rows += _cells(20_000, ["W2", "乙店", "retail", 6])
    _rewrite(source, "xl/worksheets/sheet1.xml", _sheet(rows))
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0 and "rows 2 · graded 2 · failed 0" in result.output, result.output


def test_a_long_run_of_empty_rows_is_refused_naming_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "gap.xlsx"
    _book(source, [])
    rows = _cells(1, HEADER) + _cells(2, ["E1", "甲店", "retail", 5])
    rows += _cells(900_000, ["E2", "乙店", "retail", 6])
    _rewrite(source, "xl/worksheets/sheet1.xml", _sheet(rows))
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "100,000 empty rows" in result.output, result.output


def test_a_row_past_excels_last_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "far.xlsx"
    _book(source, [])
    rows = _cells(1, HEADER) + _cells(2, ["F1", "甲店", "retail", 5])
    rows += _cells(2_000_000_000, ["F2", "乙店", "retail", 6])
    _rewrite(source, "xl/worksheets/sheet1.xml", _sheet(rows, "A1:D2"))
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "empty rows" in result.output, result.output


def test_a_cell_over_the_limit_fails_its_row(tmp_path: Path) -> None:
    source = tmp_path / "cell.xlsx"
    _book(source, [])
    rows = _cells(1, HEADER) + _cells(2, ["C1", "甲店", "retail", 5])
    rows += _cells(3, ["C2", "名" * 200_000, "retail", 5]) + _cells(4, ["C3", "丙店", "retail", 5])
    _rewrite(source, "xl/worksheets/sheet1.xml", _sheet(rows, "A1:D4"))
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "rows 3 · graded 2 · failed 1" in result.output
    text = (tmp_path / "out.errors.csv").read_text(encoding="utf-8-sig")
    assert "企业名称" in text and "131,072" in text
