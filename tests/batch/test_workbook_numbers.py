"""A numeric cell openpyxl cannot turn into a number (more digits than Python's int-string limit,
or text that is no number at all) fails its own row in a workbook as it does in a CSV file:
the other rows are graded, on the per-unit and the columnar engines alike."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.cli import main

pytest.importorskip("openpyxl")

HEADER = ["统一社会信用代码", "企业名称", "行业", "从业人员数"]
MARK = 424242  # the middle row's employees, replaced in the sheet XML by the hostile text


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"], catch_exceptions=False)


def _book(path: Path, number_text: str, *, column: int = 3) -> None:
    """Three units; the middle one's cell in ``column`` holds ``number_text`` as a number."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    middle: list[Any] = ["B1", "乙店", "retail", 3]
    middle[column] = MARK
    for row in (["G1", "甲店", "retail", 5], middle, ["G2", "丙店", "catering", 9]):
        sheet.append(row)
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    assert xml.count(f"<v>{MARK}</v>") == 1 and 't="n"' in xml  # a numeric cell, as Excel's
    parts["xl/worksheets/sheet1.xml"] = xml.replace(f"<v>{MARK}</v>", f"<v>{number_text}</v>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _run(tmp_path: Path, source: Path, engine: str) -> tuple[Any, Path, Path]:
    out = tmp_path / f"{engine}.csv"
    errors = tmp_path / f"{engine}.errors.csv"
    result = _grade(str(source), "-o", str(out), "--engine", engine, "--as-of", "2026-11-28")
    return result, out, errors


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9" * 5000, "a number of 5,000 digits (at most 4,300)"),
        ("9" * 4400 + ".5", "a number of 4,401 digits (at most 4,300)"),
        ("1" * 4301, "a number of 4,301 digits (at most 4,300)"),
    ],
)
@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_a_number_over_4300_digits_fails_its_row_only(
    tmp_path: Path, engine: str, text: str, words: str
) -> None:
    source = tmp_path / "ledger.xlsx"
    _book(source, text)
    result, out, errors = _run(tmp_path, source, engine)
    assert result.exit_code == 1, result.output
    assert "rows 3 · graded 2 · failed 1" in result.output
    assert [r["id"] for r in _rows(out)] == ["G1", "G2"]
    problems = _rows(errors)
    assert [(p["row"], p["id"], p["field"]) for p in problems] == [("3", "B1", "从业人员数")]
    assert words in problems[0]["message"]


def test_the_message_is_the_one_a_csv_ledger_gets(tmp_path: Path) -> None:
    big = "9" * 5000
    book = tmp_path / "ledger.xlsx"
    _book(book, big)
    text = tmp_path / "ledger.csv"
    lines = [",".join(HEADER), "G1,甲店,retail,5", f"B1,乙店,retail,{big}", "G2,丙店,catering,9"]
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _grade(str(book), "-o", str(tmp_path / "book.csv"))
    _grade(str(text), "-o", str(tmp_path / "text.csv"))
    assert _rows(tmp_path / "book.errors.csv") == _rows(tmp_path / "text.errors.csv")


def test_a_long_number_in_a_text_column_stays_text(tmp_path: Path) -> None:
    source = tmp_path / "ledger.xlsx"
    _book(source, "7" * 5000, column=1)  # the name: text, as in a CSV file
    result, out, _ = _run(tmp_path, source, "compiled")
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in _rows(out)] == ["甲店", "7" * 5000, "丙店"]


@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_a_numeric_cell_holding_no_number_fails_its_row_only(tmp_path: Path, engine: str) -> None:
    source = tmp_path / "ledger.xlsx"
    _book(source, "twelve")
    result, out, errors = _run(tmp_path, source, engine)
    assert result.exit_code == 1, result.output
    assert [r["id"] for r in _rows(out)] == ["G1", "G2"]
    # pydantic's verdict on the word, named by the ledger's own header
    assert [p["field"] for p in _rows(errors)] == ["从业人员数"]


def test_both_engines_write_the_same_results_and_errors(tmp_path: Path) -> None:
    source = tmp_path / "ledger.xlsx"
    _book(source, "9" * 5000)
    files = {}
    for engine in ("compiled", "columnar"):
        result, out, errors = _run(tmp_path, source, engine)
        assert result.exit_code == 1, result.output
        files[engine] = (out.read_bytes(), errors.read_bytes())
    assert files["compiled"] == files["columnar"]
