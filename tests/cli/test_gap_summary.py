"""``riskgrade grade`` says which facts most rows lack: the grades of a sparse ledger rest on
assumed breaches, and the clerk sees which columns to fill in first."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskgrade
from riskgrade.batch.read import load_mapping
from riskgrade.batch.run import grade_file
from riskgrade.cli import main

LEDGER = """统一社会信用代码,行业,从业人员数,企业名称,已培训人数
A1,餐饮,5,面馆,
A2,retail,8,小店,8
A3,零售,12,超市,
A4,retail,3,报亭,
"""


@pytest.mark.parametrize("engine", ["compiled", "columnar"])
def test_the_summary_counts_each_missing_fact_over_the_graded_rows(
    tmp_path: Path, engine: str
) -> None:
    source, out = tmp_path / "ledger.csv", tmp_path / "out.csv"
    source.write_text(LEDGER, encoding="utf-8")
    policy = riskgrade.load_policy()
    summary = grade_file(
        policy, policy.source, source, out, as_of=dt.date(2026, 11, 28), engine=engine,
        mapping=load_mapping(None, policy=policy),
    )  # fmt: skip
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = Counter(f for r in csv.DictReader(handle) for f in r["data_gaps"].split())
    assert summary.gaps == written
    assert summary.gaps["workers_trained"] == 3  # one row of four gave it
    counts = list(summary.gaps.values())
    assert counts == sorted(counts, reverse=True)


def test_the_cli_shows_the_most_missed_facts_with_their_share(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    source.write_text(LEDGER, encoding="utf-8")
    args = ["grade", str(source), "-o", str(tmp_path / "out.csv"), "--as-of", "2026-11-28"]
    result = CliRunner().invoke(main, [*args, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("缺失最多的事实"))
    shown = lines[start + 1 :]
    assert 1 <= len(shown) <= 10
    assert all(line.endswith("% 的行缺失") for line in shown)
    assert any("营业收入 (annual_revenue)" in line for line in shown)  # Chinese header first


def test_results_mark_the_breaches_assumed_for_missing_facts(tmp_path: Path) -> None:
    source, out = tmp_path / "ledger.csv", tmp_path / "out.csv"
    source.write_text(LEDGER, encoding="utf-8")
    args = ["grade", str(source), "-o", str(out), "--as-of", "2026-11-28"]
    assert CliRunner().invoke(main, args).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assumed, violations = row["assumed_violations"].split(), row["violations"].split()
        assert assumed and set(assumed) <= set(violations)
    # A2 gave its training count: its training breach, if any, is not an assumed one
    a2 = next(r for r in rows if r["id"] == "A2")
    assert "workers_untrained" not in a2["assumed_violations"].split()
    a1 = next(r for r in rows if r["id"] == "A1")
    assert "workers_untrained" in a1["assumed_violations"].split()
