"""Columns of a ledger: two columns for one fact are refused, cells are typed by their fact's
declared type, unknown columns are ignored and named once, row numbers mean the same in every
format, and ids that differ only in invisible ways are one unit."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.batch.read import load_mapping, read_rows
from riskgrade.cli import main
from tests.conftest import FIXTURES


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"])


def _errors(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _xlsx(path: Path, header: list[Any], rows: list[list[Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _parquet(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array([r[i] for r in rows]) for i in range(len(header))]
    pq.write_table(pa.Table.from_arrays(columns, names=header), path)


TWICE = ["统一社会信用代码", "行业", "employees", "从业人员数"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_fact_given_by_two_columns_is_refused_naming_both(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"twice{suffix}"
    rows = [["T1", "retail", 35, 20]]
    if suffix == ".csv":
        source.write_text(",".join(TWICE) + "\nT1,retail,35,20\n", encoding="utf-8")
    elif suffix == ".xlsx":
        _xlsx(source, TWICE, rows)
    else:
        _parquet(source, TWICE, rows)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2, result.output
    assert "'employees' and '从业人员数'" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_a_repeated_csv_header_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "twice.csv"
    source.write_text("id,industry,employees,employees\nT1,retail,35,20\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "'employees' and 'employees'" in result.output


def test_a_json_line_giving_a_fact_twice_fails_its_row(tmp_path: Path) -> None:
    source = tmp_path / "twice.jsonl"
    lines = [
        '{"id": "T1", "industry": "retail", "employees": 35, "从业人员数": 20}',
        '{"id": "T2", "industry": "retail", "employees": 3, "employees": 4}',
        '{"id": "T3", "industry": "retail", "employees": 3}',
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "rows 3 · graded 1 · failed 2" in result.output
    first, second = _errors(tmp_path / "out.errors.csv")
    assert first["field"] == "从业人员数" and "'employees' and '从业人员数'" in first["message"]
    assert "given twice" in second["message"]


def _policy_with_text_facts(tmp_path: Path) -> Path:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    facts = (
        "facts:\n  permit_no: {type: str}\n  hot_work: {type: bool}\n  license_class: {type: str}\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace("rules:\n", facts + "rules:\n", 1), encoding="utf-8")
    return path


def test_text_facts_are_typed_by_their_declared_type_not_their_content(tmp_path: Path) -> None:
    import riskgrade

    policy_path = _policy_with_text_facts(tmp_path)
    source = tmp_path / "ledger.csv"
    source.write_text(
        "统一社会信用代码,企业名称,行业,从业人员数,permit_no,hot_work,license_class\n"
        "007,001,retail,5,001,是,是\n",
        encoding="utf-8",
    )
    policy = riskgrade.load_policy(policy_path)
    (row,) = read_rows(source, mapping=load_mapping(None, policy=policy))
    assert row.facts["id"] == "007" and row.facts["name"] == "001"
    assert row.facts["permit_no"] == "001" and row.facts["license_class"] == "是"
    assert row.facts["hot_work"] is True and row.facts["employees"] == 5
    _, extras = policy.validate(row.facts)
    assert extras == {"permit_no": "001", "hot_work": True, "license_class": "是"}
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--policy", str(policy_path))
    assert result.exit_code == 0, result.output


LEDGER = "序号,统一社会信用代码,企业名称,行业,从业人员数,联系电话\n1,U1,甲店,retail,5,13800000000\n"


def test_unknown_columns_are_ignored_and_named_once(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    source.write_text(LEDGER + "2,U2,乙店,retail,6,13900000000\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert "rows 2 · graded 2 · failed 0" in result.output
    (line,) = [x for x in result.output.splitlines() if "ignored" in x]
    assert "序号" in line and "联系电话" in line


def test_strict_columns_refuses_unknown_columns(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    source.write_text(LEDGER, encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--strict-columns")
    assert result.exit_code == 2 and "序号" in result.output and "联系电话" in result.output


def test_strict_columns_fails_json_lines_with_unknown_keys(tmp_path: Path) -> None:
    source = tmp_path / "ledger.jsonl"
    lines = ['{"id": "J1", "industry": "retail", "employees": 5}']
    lines.append('{"id": "J2", "industry": "retail", "employees": 5, "联系电话": "1"}')
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--strict-columns")
    assert result.exit_code == 1 and "rows 2 · graded 1 · failed 1" in result.output
    (problem,) = _errors(tmp_path / "out.errors.csv")
    assert problem["field"] == "联系电话" and problem["row"] == "2"


def test_a_mapping_can_drop_a_column(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    source.write_text("统一社会信用代码,行业,从业人员数,旧人数\nM1,retail,5,x\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('旧人数: "-"\n', encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--mapping", str(mapping))
    assert result.exit_code == 0 and "ignored" not in result.output, result.output


def test_a_bad_cell_is_named_by_the_users_own_header(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    big = "9" * 5000
    source.write_text(f"统一社会信用代码,行业,从业人员数\nH1,retail,{big}\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    (problem,) = _errors(tmp_path / "out.errors.csv")
    assert result.exit_code == 1 and problem["field"] == "从业人员数"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_row_numbers_are_spreadsheet_rows_in_every_table_format(
    tmp_path: Path, suffix: str
) -> None:
    header = ["统一社会信用代码", "行业", "从业人员数"]
    rows = [["R1", "retail", 5], ["R2", "retail", -1], ["R3", "retail", 7]]
    source = tmp_path / f"rows{suffix}"
    if suffix == ".csv":
        text = "\n".join(",".join(map(str, r)) for r in [header, *rows])
        source.write_text(text + "\n", encoding="utf-8")
    elif suffix == ".xlsx":
        _xlsx(source, header, rows)
    else:
        _parquet(source, header, rows)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1, result.output
    (problem,) = _errors(tmp_path / "out.errors.csv")
    assert (problem["row"], problem["id"]) == ("3", "R2")  # header row 1, R1 row 2, R2 row 3


def test_ids_differing_only_invisibly_are_one_unit(tmp_path: Path) -> None:
    source = tmp_path / "ids.jsonl"
    ids = ["91110000ABC", "91110000ABC\u200b", "９１１１００００ＡＢＣ", " 91110000abc "]
    lines = [json.dumps({"id": i, "industry": "retail", "employees": 5}) for i in ids]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "rows 4 · graded 1 · failed 3" in result.output
    problems = _errors(tmp_path / "out.errors.csv")
    assert [p["row"] for p in problems] == ["2", "3", "4"]
    assert all("first in row 1" in p["message"] for p in problems)
