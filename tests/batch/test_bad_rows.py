"""One bad row never sinks a run: each hostile cell or line becomes a failed row naming its
field, every other row is graded, and the summary is printed."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.cli import main

GOOD = [
    {"id": "G1", "industry": "retail", "employees": 5},
    {"id": "G2", "industry": "catering", "employees": 9},
]


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"], catch_exceptions=False)


def _errors(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _csv_text(rows: list[dict[str, Any]]) -> str:
    header = ["统一社会信用代码", "行业", "从业人员数", "企业名称"]
    lines = [",".join(header)]
    for r in rows:
        lines.append(",".join(str(r.get(k, "")) for k in ("id", "industry", "employees", "name")))
    return "\n".join(lines) + "\n"


def _only_middle_row_failed(result: Any, errors: Path, field: str, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "rows 3 · graded 2 · failed 1" in result.output
    problems = _errors(errors)
    assert {p["field"] for p in problems} == {field}, problems
    assert all(words in p["message"] for p in problems), problems


def test_a_csv_cell_over_the_field_limit_fails_its_row(tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    huge = "名" * 200_000  # over csv's 128 KiB field limit
    body = _csv_text([GOOD[0], {"id": "B1", "industry": "retail", "employees": 3}, GOOD[1]])
    lines = body.splitlines()
    lines[2] += huge
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "企业名称", "131,072")
    assert _errors(tmp_path / "out.errors.csv")[0]["row"] == "3"


def test_a_multiline_quoted_cell_over_the_limit_fails_only_its_row(tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    lines = _csv_text([GOOD[0], {"id": "B1", "industry": "retail", "employees": 3}, GOOD[1]])
    rows = lines.splitlines()
    rows[2] += '"' + ("x" * 1000 + "\n") * 200 + 'end"'
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "企业名称", "131,072")


def test_a_deeply_nested_list_cell_fails_its_row(tmp_path: Path) -> None:
    source = tmp_path / "deep.csv"
    deep = "[" * 60_000 + "]" * 60_000  # under the cell limit, past the recursion limit
    source.write_text(
        "id,industry,employees,hazards\nG1,retail,5,\nB1,retail,3," + deep + "\nG2,retail,4,\n",
        encoding="utf-8",
    )
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "hazards", "nested")


def test_a_moderately_nested_cell_fails_on_depth_not_on_the_stack(tmp_path: Path) -> None:
    source = tmp_path / "deep.csv"
    deep = "[" * 500 + "]" * 500
    source.write_text(
        "id,industry,employees,hazards\nG1,retail,5,\nB1,retail,3," + deep + "\nG2,retail,4,\n",
        encoding="utf-8",
    )
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "hazards", "nested")


def _jsonl(path: Path, middle: str) -> None:
    lines = [json.dumps(GOOD[0]), middle, json.dumps(GOOD[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_jsonl_line_nested_1e5_deep_fails_its_row(tmp_path: Path) -> None:
    source = tmp_path / "deep.jsonl"
    _jsonl(source, '{"id": "B1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "(row)", "nested")


def test_explain_on_a_deeply_nested_line_reports_instead_of_crashing(tmp_path: Path) -> None:
    source = tmp_path / "deep.jsonl"
    _jsonl(source, '{"id": "B1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CliRunner().invoke(main, ["explain", str(source), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "G1" in result.output and "G2" in result.output
    assert "nested" in result.output and "Field required" not in result.output  # its real reason


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_a_number_over_4300_digits_fails_its_row_only(tmp_path: Path, suffix: str) -> None:
    big = "9" * 5000
    source = tmp_path / f"big{suffix}"
    if suffix == ".jsonl":
        _jsonl(source, '{"id": "B1", "industry": "retail", "employees": ' + big + "}")
    elif suffix == ".json":
        middle = '{"id": "B1", "industry": "retail", "employees": ' + big + "}"
        text = "[" + json.dumps(GOOD[0]) + "," + middle + "," + json.dumps(GOOD[1]) + "]"
        source.write_text(text, encoding="utf-8")
    else:
        source.write_text(
            f"id,industry,employees\nG1,retail,5\nB1,retail,{big}\nG2,retail,9\n", encoding="utf-8"
        )
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "employees", "digits")


@pytest.mark.parametrize("errors_name", ["errors.csv", "errors.jsonl"])
def test_a_lone_surrogate_fails_its_row_and_the_errors_file_is_written(
    tmp_path: Path, errors_name: str
) -> None:
    source = tmp_path / "s.jsonl"
    _jsonl(source, '{"id": "B\\ud800", "industry": "retail", "employees": 3}')
    errors = tmp_path / errors_name
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--errors", str(errors))
    assert result.exit_code == 1, result.output
    assert "rows 3 · graded 2 · failed 1" in result.output
    text = errors.read_text(encoding="utf-8-sig")
    assert "surrogate" in text and "B\ufffd" in text


def test_a_lone_surrogate_in_a_name_never_reaches_the_results(tmp_path: Path) -> None:
    source = tmp_path / "s.jsonl"
    _jsonl(source, '{"id": "B1", "name": "x\\udfff", "industry": "retail", "employees": 3}')
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "name", "surrogate")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_a_control_character_fails_its_row_and_the_workbook_is_sound(
    tmp_path: Path, char: str
) -> None:
    from openpyxl import load_workbook

    source = tmp_path / "c.jsonl"
    middle = {"id": "B1", "name": f"甲{char}厂", "industry": "retail", "employees": 3}
    _jsonl(source, json.dumps(middle))
    out = tmp_path / "out.xlsx"
    result = _grade(str(source), "-o", str(out))
    _only_middle_row_failed(result, tmp_path / "out.errors.csv", "name", "control character")
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["G1", "G2"]


def test_a_dollar_in_a_community_name_does_not_break_the_report(tmp_path: Path) -> None:
    import re

    source = tmp_path / "d.jsonl"
    names = ["$x^$社区", "东风$\\社区$", "收费$5$元"]  # bad TeX, bad TeX, valid TeX
    rows = [
        {"id": f"D{i}", "industry": "retail", "employees": 5, "community": name}
        for i, name in enumerate(names)
    ]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    page = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["report", str(source), "-o", str(page), "--lang", "en"])
    assert result.exit_code == 0, result.exception
    charts = "".join(re.findall(r"<svg.*?</svg>", page.read_text(encoding="utf-8"), re.S))
    for name in names:
        assert name.replace("\\", "\\") in charts.replace("&#x27;", "'")  # drawn as written


def test_gb18030_rows_after_64_kib_of_utf8_are_graded(tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    head = "统一社会信用代码,企业名称,行业,从业人员数\n"
    utf8 = "".join(f"U{i},东风商店{i},retail,5\n" for i in range(3000))
    gb = "".join(f"K{i},西湖饭店{i},catering,7\n" for i in range(200))
    data = (head + utf8).encode("utf-8") + gb.encode("gb18030") + b"X1,\xff\xfe,retail,3\n"
    assert len((head + utf8).encode("utf-8")) > 65536
    source.write_bytes(data)
    out = tmp_path / "out.csv"
    result = _grade(str(source), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert "rows 3201 · graded 3200 · failed 1" in result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        names = [r["name"] for r in csv.DictReader(handle)]
    assert names[-1] == "西湖饭店199"
    (problem,) = _errors(tmp_path / "out.errors.csv")
    assert problem["row"] == "3202" and "UTF-8" in problem["message"]
