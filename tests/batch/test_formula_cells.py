"""Names from a ledger never become live spreadsheet formulas: CSV text cells that a
spreadsheet would read as a formula get a leading ``'`` (OWASP), and XLSX cells are strings or
numbers, never formulas, in results, errors files and plans (read back with openpyxl)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.batch.write import FORMULA_STARTS
from riskgrade.cli import main

openpyxl = pytest.importorskip("openpyxl")

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "#N/A",
]


def _units(tmp_path: Path, *, bad: bool = False) -> Path:
    rows: list[dict[str, Any]] = [
        {
            "id": name if bad else f"U{n}",
            "name": name,
            "street": name,
            "community": name,
            "industry": "retail",
            "employees": -1 if bad else 5,
        }
        for n, name in enumerate(HOSTILE)
    ]
    path = tmp_path / "units.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--lang", "en"], catch_exceptions=False)


def _csv_cells(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def _assert_csv_inert(rows: list[list[str]]) -> int:
    """No cell starts a formula; returns how many cells were neutralised."""
    quoted = 0
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
            quoted += cell.startswith("'")
    return quoted


def _xlsx_cells(path: Path) -> list[Any]:
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_xlsx_inert(path: Path) -> list[Any]:
    cells = _xlsx_cells(path)
    assert cells
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        assert cell.data_type != "e", (cell.coordinate, cell.value)
    return cells


def test_csv_results_quote_formula_names(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert _run("grade", str(_units(tmp_path)), "-o", str(out)).exit_code == 0
    rows = _csv_cells(out)
    assert _assert_csv_inert(rows) >= len(HOSTILE) - 2  # names (tab/CR may be trimmed)
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x","y")' in names and "'-2+3" in names
    assert all(float(row[5]) >= 0 for row in rows[1:])  # scores stay plain numbers


def test_xlsx_results_hold_no_formula(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert _run("grade", str(_units(tmp_path)), "-o", str(out)).exit_code == 0
    cells = _assert_xlsx_inert(out)
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://x","y")' in values and "#N/A" in values  # text, as written
    scores = [c for c in cells if c.column == 6 and c.row > 1]  # duty_score
    assert scores and all(c.data_type == "n" for c in scores)  # numbers stay numbers


def test_xlsx_results_on_the_columnar_engine_hold_no_formula(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    args = ("grade", str(_units(tmp_path)), "-o", str(out), "--engine", "columnar")
    assert _run(*args).exit_code == 0
    _assert_xlsx_inert(out)


def test_errors_file_quotes_formula_ids(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert _run("grade", str(_units(tmp_path, bad=True)), "-o", str(out)).exit_code == 1
    rows = _csv_cells(tmp_path / "out.errors.csv")
    assert _assert_csv_inert(rows) >= 5
    assert "'@SUM(1+1)" in {row[1] for row in rows}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_plans_hold_no_formula(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"plan{suffix}"
    args = ["--inspectors", "2", "--days", "5"]
    result = _run("plan", str(_units(tmp_path)), "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        rows = _csv_cells(out, "utf-8-sig")
        assert _assert_csv_inert(rows) >= len(HOSTILE)
        summary = _csv_cells(tmp_path / "plan.summary.csv", "utf-8-sig")
        _assert_csv_inert(summary)
    else:
        cells = _assert_xlsx_inert(out)
        assert '=HYPERLINK("http://x","y")' in {c.value for c in cells}
        numbers = [c for c in cells if isinstance(c.value, int)]
        assert numbers and all(c.data_type == "n" for c in numbers)


def test_a_negative_number_is_not_text() -> None:
    from riskgrade.batch.write import csv_cell

    assert csv_cell(-2) == -2 and csv_cell(-0.5) == -0.5 and csv_cell("-2") == "'-2"
