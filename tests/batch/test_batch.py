"""Batch grading of files: formats, damaged input, nothing lost, processes agree."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from riskgrade.batch.read import coerce, read_rows
from riskgrade.cli import main, sample_rows
from tests.conftest import ROOT

ROWS = sample_rows()
HEADERS_ZH = {
    "id": "统一社会信用代码",
    "name": "企业名称",
    "industry": "行业",
    "employees": "从业人员数",
}


def _grade(*args: str) -> Any:
    return CliRunner().invoke(main, ["grade", *args, "--lang", "en"], catch_exceptions=False)


def _csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> None:
    flat = [
        {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v) for k, v in r.items()}
        for r in rows
    ]
    fields = sorted({k for r in flat for k in r})
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[HEADERS_ZH.get(f, f) for f in fields])
        writer.writeheader()
        for r in flat:
            writer.writerow(
                {
                    HEADERS_ZH.get(k, k): ("是" if v is True else "否" if v is False else v)
                    for k, v in r.items()
                }
            )


def _read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_coerce_reads_ledger_cells() -> None:
    assert [coerce(v) for v in ("是", "否", "TRUE", "", " 12 ", "3.5", "1,200", "[1]", "abc")] == [
        True,
        False,
        True,
        None,
        12,
        3.5,
        1200,
        [1],
        "abc",
    ]


def test_csv_with_chinese_headers_grades_like_the_api(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    _csv(source, ROWS)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert "rows 11 · graded 11 · failed 0" in result.output
    got = {r["id"]: (r["risk_level"], r["duty_grade"]) for r in _read_results(tmp_path / "out.csv")}
    from riskgrade import load_policy
    from riskgrade.cli._common import SAMPLE_AS_OF

    policy = load_policy()
    for row in ROWS:
        a = policy.grade(row, as_of=SAMPLE_AS_OF)
        assert got[row["id"]] == (a.risk_level.name.lower(), a.duty_grade.value)


def test_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    source = tmp_path / "gbk.csv"
    _csv(source, ROWS[:3], encoding="gbk")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0 and "graded 3" in result.output
    assert [r["name"] for r in _read_results(tmp_path / "out.csv")] == [r["name"] for r in ROWS[:3]]


def test_damaged_rows_go_to_the_errors_file_and_nothing_is_lost(tmp_path: Path) -> None:
    source = tmp_path / "damaged.csv"
    _csv(source, ROWS[:4])
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = dict.fromkeys(header, "")
    bad.update({"统一社会信用代码": "BAD-1", "行业": "retial", "从业人员数": "-3"})
    lines.insert(2, "")  # a blank line in the middle
    lines.insert(3, ",".join(bad[h] for h in header))
    lines.append(lines[-1][: len(lines[-1]) // 2])  # a truncated last line
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--errors", str(errors))
    assert result.exit_code == 1
    assert "rows 6 · graded 4 · failed 2" in result.output  # the blank line is no row
    problems = _read_results(errors)
    # named by the ledger's own headers (行业, 从业人员数), not the facts' names
    assert {(p["row"], p["field"]) for p in problems} >= {("4", "行业"), ("4", "从业人员数")}
    assert all(p["row"] for p in problems)
    assert len(_read_results(tmp_path / "out.csv")) == 4


def test_jsonl_with_a_broken_line(tmp_path: Path) -> None:
    source = tmp_path / "units.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in ROWS[:3]]
    lines.insert(1, '{"id": "X", "industry": ')
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1 and "rows 4 · graded 3 · failed 1" in result.output
    graded = [
        json.loads(line)
        for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [g["entity_id"] for g in graded] == [r["id"] for r in ROWS[:3]]
    errors = _read_results(tmp_path / "out.errors.csv")
    assert errors[0]["row"] == "2" and "invalid JSON" in errors[0]["message"]


def test_xlsx_with_a_linked_hazards_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    units = book.active
    units.title = "单位"
    units.append(["统一社会信用代码", "企业名称", "行业", "从业人员数", "安全生产责任保险"])
    units.append(["A1", "甲厂", "manufacturing", 30, "否"])
    units.append(["A2", "乙店", "retail", 5, None])
    hazards = book.create_sheet("隐患")
    hazards.append(["单位编号", "编号", "level", "found_on", "deadline"])
    hazards.append(["A1", "H1", "major", "2026-10-01", "2026-12-01"])
    source = tmp_path / "ledger.xlsx"
    book.save(source)
    facts = [row.facts for row in read_rows(source)]
    assert facts[0]["hazards"] == [
        {"id": "H1", "level": "major", "found_on": "2026-10-01", "deadline": "2026-12-01"}
    ]
    assert facts[1]["hazards"] == []
    assert facts[0]["liability_insurance"] is False
    result = _grade(str(source), "-o", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 0 and "graded 2" in result.output
    from openpyxl import load_workbook

    out = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(values_only=True))
    assert out[1][0] == "A1" and out[1][2] == "red"  # the open major hazard from the linked sheet


def test_xlsx_merged_cells_fill_down_and_nothing_is_lost(tmp_path: Path) -> None:
    """A hand-made ledger: the community typed once in a cell merged over three rows, a name
    merged across the industry column (so that row lacks its industry), and a blank row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "企业名称", "行业", "从业人员数", "社区"])
    sheet.append(["M1", "甲店", "retail", 5, "东风社区"])
    sheet.append(["M2", "乙店", "catering", 7, None])
    sheet.append(["M3", "丙厂", "manufacturing", 30, None])
    sheet.append([None, None, None, None, None])
    sheet.append(["M4", "丁店（名称跨两列）", None, 4, "滨河社区"])
    sheet.merge_cells("E2:E4")
    sheet.merge_cells("B6:C6")
    source = tmp_path / "merged.xlsx"
    book.save(source)
    facts = [row.facts for row in read_rows(source)]
    assert [f.get("community") for f in facts] == ["东风社区", "东风社区", "东风社区", "滨河社区"]
    assert facts[3].get("industry") is None  # under the merge: empty, not copied across
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1
    assert "rows 4 · graded 3 · failed 1" in result.output  # the blank row is not a unit
    errors = _read_results(tmp_path / "out.errors.csv")
    assert errors[0]["row"] == "6" and errors[0]["field"] == "行业"


def test_user_mapping_file_for_local_headers(tmp_path: Path) -> None:
    source = tmp_path / "local.csv"
    source.write_text("单位代码,所属行业,职工人数\nL1,retail,7\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("单位代码: id\n所属行业: industry\n职工人数: employees\n", encoding="utf-8")
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"), "--mapping", str(mapping))
    assert result.exit_code == 0 and "graded 1" in result.output


@pytest.mark.slow
def test_workers_give_the_same_results_in_order(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from population import population

    source = tmp_path / "district.jsonl"
    rows = population(1200, seed=3)
    rows[7]["employees"] = -1  # one bad row
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert _grade(str(source), "-o", str(one)).exit_code == 1
    result = _grade(str(source), "-o", str(two), "--workers", "2")
    assert "rows 1200 · graded 1199 · failed 1" in result.output
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["ledger.xls", "ledger.txt"])
def test_unknown_formats_are_refused_clearly(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["grade", str(source), "-o", str(tmp_path / "o.csv"), "--lang", "en"]
    )
    assert result.exit_code == 2 and "bad input" in result.output


def test_parquet_in_and_out(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    records = [
        {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v) for k, v in r.items()}
        for r in ROWS
    ]
    source = tmp_path / "ledger.parquet"
    pq.write_table(pa.Table.from_pylist(records), source)
    result = _grade(str(source), "-o", str(tmp_path / "out.parquet"))
    assert result.exit_code == 0 and "graded 11" in result.output
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["id"] for r in out] == [r["id"] for r in ROWS]
    assert out[4]["risk_level"] == "red"  # the chemical plant with an open major hazard


def test_linked_hazards_file_for_a_csv_ledger(tmp_path: Path) -> None:
    source = tmp_path / "units.csv"
    source.write_text(
        "统一社会信用代码,行业,从业人员数\nK1,retail,5\nK2,retail,6\n", encoding="utf-8"
    )
    hazards = tmp_path / "hazards.csv"
    hazards.write_text(
        "unit_id,id,level,found_on,deadline\nK2,H9,major,2026-10-01,2026-12-01\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    result = _grade(str(source), "-o", str(out), "--hazards", str(hazards))
    assert result.exit_code == 0, result.output
    levels = {r["id"]: r["risk_level"] for r in _read_results(out)}
    assert levels["K2"] == "red" and levels["K1"] != "red"


def test_duplicate_ids_fail_naming_the_first_row(tmp_path: Path) -> None:
    source = tmp_path / "dups.csv"
    source.write_text(
        "统一社会信用代码,行业,从业人员数\nD1,retail,5\nD2,retail,6\nD1,retail,7\n",
        encoding="utf-8",
    )
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "rows 3 · graded 2 · failed 1" in result.output
    (problem,) = _read_results(tmp_path / "out.errors.csv")
    assert (problem["row"], problem["id"], problem["field"]) == ("4", "D1", "统一社会信用代码")
    assert "first in row 2" in problem["message"]


def test_rows_that_already_failed_carry_their_problem_and_are_never_graded(
    tmp_path: Path,
) -> None:
    import datetime as dt

    import riskgrade
    from riskgrade.batch.read import Row, RowProblem
    from riskgrade.batch.run import Failed, Graded, grade_rows, mark_duplicates

    source = tmp_path / "units.jsonl"
    lines = [json.dumps(ROWS[0], ensure_ascii=False), "{broken", "[1]"]
    lines += [json.dumps(ROWS[1], ensure_ascii=False), json.dumps(ROWS[0], ensure_ascii=False)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(mark_duplicates(read_rows(source)))
    assert [r.problem for r in rows[1:3]] == [
        RowProblem(
            "(row)", "line 2: invalid JSON: Expecting property name enclosed in double quotes"
        ),
        RowProblem("(row)", "not an object"),
    ]
    assert rows[1].facts == {} and rows[0].problem is None and rows[3].problem is None
    first = f"duplicate id {ROWS[0]['id']!r}: first in row 1"
    assert rows[4].problem == RowProblem("id", first) and rows[4].facts == rows[0].facts

    policy = riskgrade.load_policy()
    seen: list[dict[str, Any]] = []
    original = policy.grade_many

    def spy(facts: Any, **kwargs: Any) -> Any:
        items = list(facts)
        seen.extend(items)
        return original(items, **kwargs)

    object.__setattr__(policy, "grade_many", spy)
    results = grade_rows(policy, rows, dt.date(2026, 11, 28), "compiled")
    assert [r["id"] for r in seen] == [ROWS[0]["id"], ROWS[1]["id"]]  # flagged rows not graded
    assert [type(r) for r in results] == [Graded, Failed, Failed, Graded, Failed]
    assert [r.number for r in results] == [1, 2, 3, 4, 5]
    assert results[4] == Failed(5, ROWS[0]["id"], [("id", first)])
    assert results[2] == Failed(3, None, [("(row)", "not an object")])
    assert Row(7, {"id": 3}).problem is None


@pytest.mark.slow
def test_an_interrupted_run_resumes_without_repeating_or_skipping_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import riskgrade.batch.run as batch
    import riskgrade.batch.write as rio

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from population import population

    rows = population(2300, seed=21)
    rows[1234]["employees"] = -5  # one bad row before the interruption
    rows[2100]["industry"] = "nowhere"  # and one after it
    source = tmp_path / "district.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    clean = tmp_path / "clean.csv"
    assert _grade(str(source), "-o", str(clean)).exit_code == 1

    target = tmp_path / "resumed.csv"
    original = rio.ResultWriter.write_prepared
    written = {"n": 0}

    def crash_midway(self: Any, record: Any, text: str) -> None:
        written["n"] += 1
        if written["n"] == 1700:  # after the checkpoint at 1,500 rows, mid-chunk
            raise KeyboardInterrupt
        original(self, record, text)

    monkeypatch.setattr(rio.ResultWriter, "write_prepared", crash_midway)
    interrupted = CliRunner().invoke(main, ["grade", str(source), "-o", str(target)])
    assert interrupted.exit_code == 3 and "--resume" in interrupted.output  # Ctrl-C
    assert batch.checkpoint_path(target).exists()
    assert target.read_text(encoding="utf-8").count("\n") > 1500  # rows past the checkpoint
    monkeypatch.setattr(rio.ResultWriter, "write_prepared", original)

    result = _grade(str(source), "-o", str(target), "--resume")
    assert "rows 2300 · graded 2298 · failed 2" in result.output
    assert target.read_text(encoding="utf-8-sig") == clean.read_text(encoding="utf-8-sig")
    clean_errors = (tmp_path / "clean.errors.csv").read_text(encoding="utf-8-sig")
    assert (tmp_path / "resumed.errors.csv").read_text(encoding="utf-8-sig") == clean_errors
    assert not batch.checkpoint_path(target).exists()


def test_resume_refuses_a_checkpoint_from_another_run(tmp_path: Path) -> None:
    import riskgrade.batch.run as batch

    source = tmp_path / "units.jsonl"
    source.write_text(json.dumps(ROWS[0], ensure_ascii=False) + "\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    target.write_text("", encoding="utf-8")
    batch.checkpoint_path(target).write_text('{"input": "elsewhere"}', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["grade", str(source), "-o", str(target), "--resume", "--lang", "en"]
    )
    assert result.exit_code == 2 and "not resuming" in result.output


MIXED = [
    {"id": "G1", "industry": "retail", "employees": 5},
    {"id": "B1", "industry": "retail", "employees": -2},  # out of range
    {"id": "B2", "industry": None, "employees": 3},  # required fact missing
    {"id": "B3", "industry": "spaceport", "employees": 3},  # not an industry
    {"id": "G2", "industry": "catering", "employees": 9},
    {"id": "G1", "industry": "retail", "employees": 5},  # repeated unit id
]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
        book.save(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)


FORMATS = [".csv", ".json", ".jsonl", ".xlsx", ".parquet"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_accounts_for_every_row(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"mixed{suffix}"
    _write(source, MIXED)
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1, result.output
    assert "rows 6 · graded 2 · failed 4" in result.output
    graded = [r["id"] for r in _read_results(tmp_path / "out.csv")]
    failed = {p["id"] for p in _read_results(tmp_path / "out.errors.csv")}
    assert graded == ["G1", "G2"] and failed == {"B1", "B2", "B3", "G1"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_truncated_files_are_accounted_for_or_refused_whole(tmp_path: Path, suffix: str) -> None:
    """A file cut short: each row read is graded or failed; a file that cannot be read at all
    is refused with exit status 2 and a message naming it, and no partial results are left."""
    source = tmp_path / f"cut{suffix}"
    _write(source, [{"id": f"T{i}", "industry": "retail", "employees": i} for i in range(40)])
    data = source.read_bytes()
    source.write_bytes(data[: len(data) * 2 // 3])
    result = _grade(str(source), "-o", str(tmp_path / "out.csv"))
    if result.exit_code == 2:
        assert str(source.name) in result.output and "bad input" in result.output
        assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.errors.csv").exists()
    else:
        summary = re.search(r"rows (\d+) · graded (\d+) · failed (\d+)", result.output)
        assert summary is not None, result.output
        rows, graded, failed = map(int, summary.groups())
        assert rows == graded + failed and 0 < rows <= 40
        assert len(_read_results(tmp_path / "out.csv")) == graded
