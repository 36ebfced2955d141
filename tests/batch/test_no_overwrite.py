"""No command and no library writer ever writes over one of its inputs, or writes two outputs
into one file: it refuses before opening anything for writing, and the input is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskgrade
from riskgrade.batch.run import grade_file
from riskgrade.cli import main
from riskgrade.errors import OutputError

LEDGER = "id,industry,employees\nA1,retail,5\nA2,retail,7\n"
AS_OF = dt.date(2026, 11, 28)


def _ledger(tmp_path: Path, name: str = "same.csv") -> Path:
    path = tmp_path / name
    path.write_text(LEDGER, encoding="utf-8")
    return path


def _run(*args: str) -> object:
    return CliRunner().invoke(main, [*args, "--lang", "en"], catch_exceptions=False)


def _refused(result: object, path: Path) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "overwrite" in result.output  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == LEDGER


def test_grade_refuses_to_write_results_over_its_input(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    _refused(_run("grade", str(ledger), "-o", str(ledger)), ledger)
    assert not (tmp_path / "same.errors.csv").exists()  # nothing opened for writing


def test_grade_refuses_the_input_under_another_spelling(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    os.chdir(tmp_path)
    spelled = tmp_path / "sub" / ".." / "same.csv"
    (tmp_path / "sub").mkdir()
    _refused(_run("grade", "same.csv", "-o", str(spelled)), ledger)


def test_grade_refuses_a_symlink_or_hard_link_to_its_input(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    (tmp_path / "link.csv").symlink_to(ledger)
    _refused(_run("grade", str(ledger), "-o", str(tmp_path / "link.csv")), ledger)
    os.link(ledger, tmp_path / "hard.csv")
    _refused(_run("grade", str(ledger), "-o", str(tmp_path / "hard.csv")), ledger)


def test_grade_refuses_errors_over_the_input_or_over_the_results(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    out = tmp_path / "out.csv"
    _refused(_run("grade", str(ledger), "-o", str(out), "--errors", str(ledger)), ledger)
    assert not out.exists()
    result = _run("grade", str(ledger), "-o", str(out), "--errors", str(out))
    assert result.exit_code == 2 and "same file" in result.output  # type: ignore[attr-defined]
    assert not out.exists()


def test_grade_refuses_results_over_its_mapping_or_linked_files(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("人数: employees\n", encoding="utf-8")
    result = _run("grade", str(ledger), "-o", str(tmp_path / "map.yaml"), "--mapping", str(mapping))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert mapping.read_text(encoding="utf-8") == "人数: employees\n"
    hazards = _ledger(tmp_path, "hazards.csv")
    _refused(_run("grade", str(ledger), "-o", str(hazards), "--hazards", str(hazards)), hazards)


def test_grade_file_refuses_in_the_library_too(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    policy = riskgrade.load_policy()
    with pytest.raises(OutputError, match="overwrite"):
        grade_file(policy, policy.source, ledger, ledger, as_of=AS_OF)
    with pytest.raises(OutputError, match="same file"):
        grade_file(policy, policy.source, ledger, tmp_path / "o.csv", errors=tmp_path / "o.csv",
                   as_of=AS_OF)  # fmt: skip
    assert ledger.read_text(encoding="utf-8") == LEDGER and not (tmp_path / "o.csv").exists()


def _units(tmp_path: Path) -> Path:
    path = tmp_path / "pl.jsonl"
    rows = [{"id": "A1", "industry": "retail", "employees": 5}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_plan_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, "pl.csv")
    args = ["--inspectors", "1", "--days", "3"]
    _refused(_run("plan", str(ledger), "-o", str(ledger), *args), ledger)
    units = _units(tmp_path)
    summary = tmp_path / "plan.summary.csv"  # the plan's second file over an input
    summary.write_text(LEDGER, encoding="utf-8")
    result = _run("plan", str(units), "-o", str(tmp_path / "plan.csv"), *args,
                  "--mapping", str(summary))  # fmt: skip
    assert result.exit_code == 2 and summary.read_text(encoding="utf-8") == LEDGER  # type: ignore[attr-defined]


def test_report_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    units = _units(tmp_path)
    before = units.read_text(encoding="utf-8")
    result = _run("report", str(units), "-o", str(units))
    assert result.exit_code == 2 and "overwrite" in result.output  # type: ignore[attr-defined]
    assert units.read_text(encoding="utf-8") == before


def test_plan_writer_refuses_in_the_library(tmp_path: Path) -> None:
    from riskgrade.supervision.plan import make_plan, write_plan
    from riskgrade.supervision.settings import load_settings

    ledger = _ledger(tmp_path, "pl.csv")
    plan = make_plan([], inspectors=1, days=2, start=AS_OF, settings=load_settings(None))
    with pytest.raises(OutputError, match="overwrite"):
        write_plan(plan, ledger, inputs=[ledger])
    assert ledger.read_text(encoding="utf-8") == LEDGER
