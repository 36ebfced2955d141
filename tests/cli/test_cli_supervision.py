"""``riskgrade report`` and ``riskgrade plan`` through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskgrade.cli import main

pytest.importorskip("matplotlib")


def _ledger(tmp_path: Path) -> Path:
    rows = [
        {"id": "A1", "name": "甲", "industry": "retail", "employees": 3, "community": "东风社区"},
        {"id": "B2", "name": "乙", "industry": "catering", "employees": -1},
        {"id": "C3", "name": "丙", "industry": "mining", "employees": 40, "community": "东风社区"},
    ]
    path = tmp_path / "units.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_report_of_the_sample_district_with_a_plan(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", "-o", str(out), "--inspectors", "2", "--days", "10", "--lang", "en"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 400 graded, 0 row(s) with bad data" in result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="plan-visits"' in html and "District report" in html


def test_report_counts_bad_rows_and_writes_them_out(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(_ledger(tmp_path)), "-o", str(out)])
    assert result.exit_code == 1  # a row failed
    assert "评估 2 家，数据有误 1 行" in result.output
    with (tmp_path / "report.errors.csv").open(encoding="utf-8") as handle:
        errors = list(csv.reader(handle))
    assert errors[1][:3] == ["2", "B2", "employees"]  # line 2 of the JSON Lines file
    assert 'id="failed">1<' in out.read_text(encoding="utf-8")


def test_repeated_ids_and_broken_lines_are_failed_rows_not_counted_twice(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "A1", "industry": "retail", "employees": 3}),
        '{"id": "X", "industry": ',
        json.dumps({"id": "A1", "industry": "catering", "employees": 4}),
        json.dumps({"id": "A2", "industry": "catering", "employees": 4}),
    ]
    source = tmp_path / "units.jsonl"
    source.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "plan.csv"
    result = CliRunner().invoke(
        main, ["plan", str(source), "--inspectors", "1", "--days", "3", "-o", str(out)]
    )
    assert result.exit_code == 1
    with (tmp_path / "plan.errors.csv").open(encoding="utf-8") as handle:
        errors = [row[:3] for row in csv.reader(handle)][1:]
    assert errors == [["2", "", "(row)"], ["3", "A1", "id"]]
    with out.open(encoding="utf-8-sig") as handle:
        planned = [row[2] for row in csv.reader(handle)][1:]
    assert sorted(planned) == ["A1", "A2"]  # each unit once: the repeated row is not a unit


def test_plan_writes_csv_and_shows_the_gap(tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    args = ["plan", "--inspectors", "1", "--days", "5", "--per-day", "2", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "capacity gap (inspector-days)" in result.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1 + 10  # 1 inspector x 5 days x 2 units
    assert {row[6] for row in rows[1:]} == {"red/major risk"}  # the sample has > 10 red units


def test_plan_needs_staff_and_a_known_format(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["plan", "-o", str(tmp_path / "p.csv"), "--days", "5"])
    assert missing.exit_code == 2 and "--inspectors" in missing.output
    wrong = runner.invoke(
        main, ["plan", "-o", str(tmp_path / "p.txt"), "--days", "5", "--inspectors", "1"]
    )
    assert wrong.exit_code == 2 and ".csv or .xlsx" in wrong.output


def test_bad_settings_exit_2_with_located_problems(tmp_path: Path) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text("inspection: {every_days: {red: 0}}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["report", "-o", str(tmp_path / "r.html"), "--settings", str(settings)]
    )
    assert result.exit_code == 2
    assert f"{settings}:1:" in result.output and "RG101" in result.output


def test_report_without_the_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    result = CliRunner().invoke(main, ["report", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert "pip install 'riskgrade[report]'" in result.output
    assert not (tmp_path / "r.html").exists()
