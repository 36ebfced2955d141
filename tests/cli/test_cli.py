"""The command line, through its real entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from riskgrade.cli import main
from tests.conftest import MINI


def test_demo_prints_the_sample_table_in_chinese() -> None:
    result = CliRunner().invoke(main, ["demo", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "鑫源化工有限公司" in result.output
    assert "红/重大风险" in result.output and "重大事故隐患挂牌督办" in result.output
    assert "行数 11 · 已评级 11 · 失败 0" in result.output


def test_demo_in_english() -> None:
    result = CliRunner().invoke(main, ["demo", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "red/major risk" in result.output and "Supervised rectification" in result.output


def test_demo_reports_bad_rows_and_exits_1(tmp_path: Path) -> None:
    data = tmp_path / "rows.json"
    data.write_text(
        '[{"id": "ok", "industry": "retail", "employees": 3},'
        ' {"id": "bad", "industry": "retail", "employees": -3}]',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["demo", "--lang", "en", "--input", str(data)])
    assert result.exit_code == 1
    assert "employees" in result.output and "rows 2 · graded 1 · failed 1" in result.output


def test_demo_shows_policy_diagnostics(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(MINI.replace("employees > 100", "employes > 100"), encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--policy", str(policy)])
    assert result.exit_code == 2  # a policy error
    assert (
        f"{policy}:" in result.output
        and "RG203" in result.output
        and "did you mean" in result.output
    )


def test_python_dash_m_runs_the_demo() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "riskgrade", "demo", "--lang", "en", "--engine", "python"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "rows 11 · graded 11 · failed 0" in completed.stdout
