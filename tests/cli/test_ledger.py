"""Real ledgers: a district clerk's spreadsheet, written as an office suite writes it (Chinese
headers, 是/否 and √/×, 2026/6/1 and 2026年6月1日, Excel date numbers, ids read as numbers),
graded through the command line and the API; the template and the fact reference."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

import riskgrade
from riskgrade.cli import main
from riskgrade.supervision.plan import working_days
from tests.conftest import AS_OF, ROOT

_HEADERS = ["统一社会信用代码", "企业名称", "行业", "所有制", "规模", "从业人员数",
            "安全生产管理机构", "应急预案", "最近演练日期", "最近监管检查日期", "使用燃气",
            "燃气报警装置"]  # fmt: skip
_ROWS: list[list[Any]] = [
    [91330100123, "老张饭店", "饭店", "民营", "小型", 12, "是", "√", "2026/6/1", "2026年3月5日",
     "有", "无"],
    ["9133A1", "宏达危化", "危化", "国企", "中型", 80, "Y", "yes", 46174, "2026.6.1", "否", "N"],
    ["9133A2", "城东物业", "物业", "集体", "微型", 5, "1", "TRUE", dt.date(2026, 6, 1), None,
     "0", "×"],
]  # fmt: skip


def _ledger(path: Path, rows: list[list[Any]] = _ROWS) -> Path:
    """An XLSX ledger as a clerk's office suite saves it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(_HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--as-of", str(AS_OF), "--lang", "en"])


def _results(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows reads it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_clerks_ledger_with_chinese_spellings_grades(tmp_path: Path) -> None:
    out = tmp_path / "结果.csv"
    result = _grade(str(_ledger(tmp_path / "台账.xlsx")), "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = _results(out)
    assert [r["id"] for r in rows] == ["91330100123", "9133A1", "9133A2"]
    assert "rows 3 · graded 3 · failed 0" in result.output


@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_the_spellings_mean_what_they_say(tmp_path: Path, engine: str) -> None:
    """The same ledger in English words grades the same as in the clerk's words."""
    plain = [[str(r[0]), r[1], "catering" if i == 0 else "hazardous_chemicals" if i == 1 else
              "property_management", ["private", "state", "collective"][i],
              ["small", "medium", "micro"][i], r[5], *(
                  ["true", "true", "2026-06-01", "2026-03-05", "true", "false"],
                  ["true", "true", "2026-06-01", "2026-06-01", "false", "false"],
                  ["true", "true", "2026-06-01", None, "false", "false"])[i]]
             for i, r in enumerate(_ROWS)]  # fmt: skip
    outs = []
    for name, rows in (("clerk", _ROWS), ("plain", plain)):
        out = tmp_path / f"{name}.csv"
        result = _grade(
            str(_ledger(tmp_path / f"{name}.xlsx", rows)), "-o", str(out), "--engine", engine
        )
        assert result.exit_code == 0, result.output
        outs.append(_results(out))
    assert outs[0] == outs[1]


def test_garbage_still_fails_naming_the_field_and_close_values(tmp_path: Path) -> None:
    rows = [*_ROWS, ["9133A3", "某店", "餐饮店铺", "民营", "小型", 3, "好的", None, "明天", None,
                     None, None]]  # fmt: skip
    out = tmp_path / "out.csv"
    result = _grade(str(_ledger(tmp_path / "l.xlsx", rows)), "-o", str(out))
    assert result.exit_code == 1
    errors = {r["field"]: r["message"] for r in _results(tmp_path / "out.errors.csv")}
    assert set(errors) == {"行业", "安全生产管理机构", "最近演练日期"}  # the ledger's headers
    assert "did you mean 'catering'" in errors["行业"]
    assert "not a date" in errors["最近演练日期"]


def test_the_api_reads_the_same_spellings() -> None:
    policy = riskgrade.load_policy()
    facts = {"id": 91330100123, "行业": "餐馆", "规模": "小型", "从业人员数": 12,
             "应急预案": "√", "最近演练日期": "2026年6月1日", "使用燃气": "有",
             "hazards": [{"level": "重大", "found_on": "2026/5/2", "deadline": 46174}]}  # fmt: skip
    unit, _ = policy.validate(facts)
    assert (unit.id, unit.industry, unit.size, unit.emergency_plan) == (
        "91330100123", "catering", "small", True)  # fmt: skip
    assert unit.last_drill == dt.date(2026, 6, 1) and unit.uses_gas is True
    assert unit.hazards[0].level == "major" and unit.hazards[0].deadline == dt.date(2026, 6, 1)
    frame = policy.grade_frame(pl.DataFrame([facts]), as_of=AS_OF)
    assert frame.failed.height == 0
    assert frame.results["id"].to_list() == ["91330100123"]
    with pytest.raises(riskgrade.FactError) as caught:
        policy.validate({"id": "x", "industry": "hazardous chemical", "employees": 1})
    assert caught.value.errors[0][0] == "industry"
    assert "did you mean 'hazardous_chemicals'" in caught.value.errors[0][1]


def test_the_mapping_file_respells_local_values(tmp_path: Path) -> None:
    mapping = tmp_path / "映射.yaml"
    mapping.write_text("单位性质: ownership\nvalues:\n  industry:\n    大排档: catering\n",
                       encoding="utf-8")  # fmt: skip
    ledger = tmp_path / "l.csv"
    ledger.write_text("编号,行业,单位性质,从业人员数\nA1,大排档,私企,4\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _grade(str(ledger), "-o", str(out), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert _results(out)[0]["id"] == "A1"


def test_a_gbk_ledger_reads_with_encoding_and_no_bom_leaves_the_mark_off(tmp_path: Path) -> None:
    ledger = tmp_path / "gbk.csv"
    ledger.write_bytes("编号,行业,从业人员数\nA1,餐饮,4\n".encode("gbk"))
    out = tmp_path / "out.csv"
    result = _grade(str(ledger), "-o", str(out), "--encoding", "gbk", "--no-bom")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"id,")
    assert _grade(str(ledger), "-o", str(out), "--encoding", "klingon").exit_code == 2


def test_results_to_stdout_and_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "l.xlsx", _ROWS * 200)
    command = f"{sys.executable} -m riskgrade grade {ledger} -o - --as-of 2026-11-28 | head -1"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.stdout.startswith("id,name,risk_level")
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr
    whole = CliRunner().invoke(main, ["grade", str(_ledger(tmp_path / "s.xlsx")), "-o", "-"])
    assert whole.exit_code == 0
    assert whole.stdout.splitlines()[0].startswith("id,name")
    assert len(whole.stdout.splitlines()) == 4


def test_the_template_has_chinese_headers_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    result = CliRunner().invoke(main, ["template", "-o", str(path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames[:4] == ["企业", "隐患", "建筑", "电梯"]
    main_sheet = book["企业"]
    headers = [c.value for c in main_sheet[1]]
    assert headers[:3] == ["统一社会信用代码", "企业名称", "街道"]
    assert {"行业", "应急预案", "最近演练日期", "从业人员数"} <= set(headers)
    checks = {str(v.sqref).split(":")[0]: v for v in main_sheet.data_validations.dataValidation}
    column = {h: main_sheet.cell(row=1, column=i + 1).column_letter for i, h in enumerate(headers)}
    assert "餐饮" in checks[f"{column['行业']}2"].formula1
    assert checks[f"{column['应急预案']}2"].formula1 == '"是,否"'
    assert checks[f"{column['最近演练日期']}2"].type == "date"
    assert [c.value for c in book["隐患"][1]][:3] == ["企业编号", "隐患编号", "隐患等级"]
    again = CliRunner().invoke(main, ["template", "-o", str(path)])
    assert again.exit_code == 2  # never overwrites


def test_a_filled_template_grades(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    assert CliRunner().invoke(main, ["template", "-o", str(path)]).exit_code == 0
    book = load_workbook(path)
    sheet = book["企业"]
    where = {c.value: c.column for c in sheet[1]}
    filled = {"统一社会信用代码": "9133X", "企业名称": "好味餐馆", "行业": "餐饮",
              "从业人员数": 20, "应急预案": "是", "使用燃气": "是", "燃气报警装置": "否",
              "最近演练日期": dt.date(2026, 5, 1)}  # fmt: skip
    for header, value in filled.items():
        sheet.cell(row=2, column=where[header], value=value)
    hazards = book["隐患"]
    for column, value in enumerate(["9133X", "H1", "重大", "2026/10/1", "2026年11月1日"], 1):
        hazards.cell(row=2, column=column, value=value)
    book.save(path)
    out = tmp_path / "结果.csv"
    result = _grade(str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    (row,) = _results(out)
    assert row["id"] == "9133X" and "gas_alarm" in row["violations"]
    assert "hazard" in row["violations"]  # the linked sheet's overdue major hazard


def test_facts_lists_every_fact_with_values_and_unknown_handling() -> None:
    result = CliRunner().invoke(main, ["facts", "--format", "json"])
    assert result.exit_code == 0, result.output
    facts = {f["name"]: f for f in json.loads(result.stdout)}
    assert set(riskgrade.Enterprise.model_fields) <= set(facts)
    industry = {v["value"]: v["zh"] for v in facts["industry"]["values"]}
    assert {"餐饮", "饭店", "餐馆"} <= set(industry["catering"])
    assert facts["industry"]["unknown"] == {"required": True}
    assert facts["gas_alarm"]["unknown"]["finding"] or facts["gas_alarm"]["unknown"]["gap"]
    assert facts["hazards.level"]["headers"] == ["隐患等级"]
    text = CliRunner().invoke(main, ["facts", "--lang", "zh"])
    assert text.exit_code == 0 and "统一社会信用代码" in text.stdout


@pytest.mark.parametrize("command", ["grade", "facts", "template", "demo", "report", "check"])
def test_every_help_has_both_languages_exit_statuses_and_examples(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "退出状态" in result.output and "Exit status" in result.output
    assert f"riskgrade {command}" in result.output


def test_user_data_is_graded_as_of_today_the_sample_says_its_date(tmp_path: Path) -> None:
    ledger = tmp_path / "l.csv"
    deadline = dt.date.today() - dt.timedelta(days=1)
    ledger.write_text(
        "id,industry,employees,hazards\n"
        f'A1,retail,3,"[{{""level"": ""major"", ""found_on"": ""2020-01-01"", '
        f'""deadline"": ""{deadline}""}}]"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["grade", str(ledger), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "overdue" in _results(out)[0]["violations"]  # past its deadline today
    demo = CliRunner().invoke(main, ["demo", "--lang", "en"])
    assert "2026-11-28" in demo.stderr


def test_a_make_up_saturday_is_a_working_day() -> None:
    saturday, sunday = dt.date(2026, 9, 26), dt.date(2026, 9, 27)  # 调休 before 国庆
    assert working_days(saturday, 2) == [dt.date(2026, 9, 28), dt.date(2026, 9, 29)]
    assert working_days(saturday, 2, workdays=[saturday]) == [saturday, dt.date(2026, 9, 28)]
    holidays = [dt.date(2026, 10, d) for d in range(1, 8)]
    after = working_days(dt.date(2026, 9, 30), 2, holidays, [dt.date(2026, 10, 10)])
    assert after == [dt.date(2026, 9, 30), dt.date(2026, 10, 8)]
    assert sunday not in working_days(saturday, 5, workdays=[saturday])


def test_the_plan_works_a_listed_saturday(tmp_path: Path) -> None:
    from riskgrade.bundled import default_settings_path

    settings = tmp_path / "settings.yaml"
    text = default_settings_path().read_text(encoding="utf-8")
    settings.write_text(text.replace("workdays: []", "workdays: [2026-09-26]"), encoding="utf-8")
    out = tmp_path / "plan.csv"
    args = ["plan", "--settings", str(settings), "--inspectors", "1", "--days", "2", "--start",
            "2026-09-26", "--as-of", "2026-09-25", "-o", str(out), "--lang", "en"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    days = {row["date"] for row in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))}
    assert days <= {"2026-09-26", "2026-09-28"} and "2026-09-26" in days
