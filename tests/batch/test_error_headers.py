"""The errors file names a bad field by the clerk's own column header (从业人员数, not
``employees``), cross-field problems and items of a linked sheet too, in the chosen language;
the compiled and columnar engines write it byte for byte alike, and the command line's own
messages about failed rows (``explain``, ``diff``) name fields the same way."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from riskgrade.cli import main
from tests.conftest import MINI

HEADER = ["序号", "统一社会信用代码", "企业名称", "行业", "从业人员数", "农民工人数", "联系电话"]
ROWS = [
    [1, "C1", "面馆", "餐饮", "十二", None, "139"],  # not a number
    [2, "C2", "小店", "零售", 5, 9, "138"],  # more migrant workers than employees
    [3, "C3", "酒楼", "饭庄", 30, None, "137"],  # no such industry
    [4, "C4", "超市", "超市", 20, 3, "136"],  # a bad hazard on the 隐患 sheet
    [5, "C5", "报亭", "零售", None, None, "135"],  # employees left blank
]
HAZARDS = [["企业编号", "隐患编号", "隐患等级", "发现日期"], ["C4", "H1", "严重", "2026/5/2"]]
CSV_LEDGER = "\n".join(
    ",".join("" if c is None else str(c) for c in row) for row in [HEADER, *ROWS]
)

ZH = {
    "2": ("从业人员数", None),
    "3": ("农民工人数", "农民工人数（9）超过从业人员数（5）"),
    "4": ("行业", "did you mean 'catering'"),
    "5": ("隐患第1项·隐患等级", "did you mean 'major'"),
    "6": ("从业人员数", None),
}
EN = {
    "2": ("从业人员数", None),
    "3": ("农民工人数", "农民工人数 (9) exceeds 从业人员数 (5)"),
    "4": ("行业", None),
    "5": ("hazards item 1: level", None),
    "6": ("从业人员数", None),
}


def _xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    hazards = book.create_sheet("隐患")
    for row in HAZARDS:
        hazards.append(row)
    book.save(path)
    return path


def _grade(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["grade", *args, "--as-of", "2026-11-28"])
    assert result.exit_code == 1, result.output


def _errors(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {r["row"]: (r["field"], r["message"]) for r in csv.DictReader(handle)}


@pytest.mark.parametrize(("lang", "expected"), [("zh", ZH), ("en", EN)])
@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_the_errors_file_names_fields_by_the_ledgers_headers(
    tmp_path: Path, engine: str, lang: str, expected: dict[str, tuple[str, str | None]]
) -> None:
    ledger, out = _xlsx(tmp_path / "台账.xlsx"), tmp_path / "结果.csv"
    _grade([str(ledger), "-o", str(out), "--engine", engine, "--lang", lang])
    errors = _errors(tmp_path / "结果.errors.csv")
    assert set(errors) == set(expected)
    for row, (field, message) in expected.items():
        assert errors[row][0] == field
        if message is not None:
            assert message in errors[row][1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_engines_write_the_same_errors_file_from_a_csv_ledger(
    tmp_path: Path, lang: str
) -> None:
    ledger = tmp_path / "台账.csv"
    ledger.write_text(CSV_LEDGER + "\n", encoding="utf-8")
    for engine in ("compiled", "columnar"):
        _grade([str(ledger), "-o", str(tmp_path / f"{engine}.csv"), "--engine", engine,
                "--lang", lang])  # fmt: skip
    compiled = (tmp_path / "compiled.errors.csv").read_bytes()
    assert compiled == (tmp_path / "columnar.errors.csv").read_bytes()
    assert "从业人员数" in compiled.decode("utf-8-sig")
    assert "employees" not in compiled.decode("utf-8-sig")


def test_a_fact_without_a_column_is_named_in_the_chosen_language(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("统一社会信用代码,行业\nD1,零售\n", encoding="utf-8")
    for lang, name in (("zh", "从业人员数"), ("en", "employees")):
        out = tmp_path / f"{lang}.csv"
        _grade([str(ledger), "-o", str(out), "--lang", lang])
        assert _errors(tmp_path / f"{lang}.errors.csv")["2"][0] == name


def test_json_lines_errors_name_the_headers_too(tmp_path: Path) -> None:
    ledger, errors = _xlsx(tmp_path / "台账.xlsx"), tmp_path / "bad.jsonl"
    _grade([str(ledger), "-o", str(tmp_path / "out.csv"), "--errors", str(errors), "--lang", "zh"])
    lines = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert {e["field"] for line in lines for e in line["errors"]} == {f for f, _ in ZH.values()}


def test_explain_and_diff_name_failed_fields_by_the_header(tmp_path: Path) -> None:
    ledger = tmp_path / "台账.csv"
    ledger.write_text(CSV_LEDGER + "\n", encoding="utf-8")
    runner = CliRunner()
    explained = runner.invoke(main, ["explain", str(ledger), "--lang", "zh"])
    assert explained.exit_code == 1
    assert "从业人员数: Input should be a valid integer" in explained.output
    assert "农民工人数（9）超过从业人员数（5）" in explained.output
    mini = tmp_path / "mini.yaml"
    mini.write_text(MINI, encoding="utf-8")
    diffed = runner.invoke(main, ["diff", str(mini), str(mini), str(ledger), "--lang", "en"])
    assert diffed.exit_code == 1
    assert "(行业: '饭庄' is not an allowed value" in diffed.output


def test_the_plans_errors_file_names_the_headers_too(tmp_path: Path) -> None:
    ledger, plan = _xlsx(tmp_path / "台账.xlsx"), tmp_path / "计划.csv"
    args = ["plan", str(ledger), "-o", str(plan), "--inspectors", "1", "--days", "5"]
    result = CliRunner().invoke(main, [*args, "--as-of", "2026-11-28", "--lang", "zh"])
    assert result.exit_code == 1, result.output
    errors = _errors(tmp_path / "计划.errors.csv")
    assert {row: field for row, (field, _) in errors.items()} == {
        row: field for row, (field, _) in ZH.items()
    }
