"""``riskgrade test --engine all``: a policy's cases on every engine."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskgrade
from riskgrade.authoring.cases import Mismatch
from riskgrade.bundled import default_policy_path
from riskgrade.cli import main
from tests.conftest import FIXTURES

CASE = """
tests:
  - name: big shop without a department
    as_of: 2026-11-28
    facts: {id: t1, industry: retail, employees: 150, safety_department: false,
            ppe_provided: true}
    expect: {risk_level: %s, findings: [no_staff]}
"""


def _policy(tmp_path: Path, level: str) -> Path:
    path = tmp_path / "cased.yaml"
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    path.write_text(text + CASE % level, encoding="utf-8")
    return path


def test_every_engine_passes_the_default_policy_cases() -> None:
    result = CliRunner().invoke(main, ["test", str(default_policy_path()), "--engine", "all",
                                       "--lang", "en"])  # fmt: skip
    cases = len(riskgrade.load_policy().checked.tests)
    assert result.exit_code == 0, result.output
    assert f"policy tests: {4 * cases}/{4 * cases} passed" in result.output


def test_a_case_that_fails_is_named_for_each_engine(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "red")  # the unit is yellow on every engine
    result = CliRunner().invoke(main, ["test", str(policy), "--engine", "all", "--lang", "en"])
    assert result.exit_code == 1
    for suffix in ("", " [compiled]", " [python]", " [columnar]"):
        assert f"FAILED: big shop without a department{suffix} (" in result.output
    assert "policy tests: 0/4 passed" in result.output


def test_a_failure_on_one_engine_only_is_shown_for_that_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskgrade.cli.testing as testing

    right = riskgrade.load_policy(_policy(tmp_path, "yellow"))
    assert all(r.passed for r in testing.run_cases(right))
    original = testing.run_cases_columnar

    def broken(policy: riskgrade.Policy) -> list[testing.CaseResult]:
        """A columnar bug: every case comes out at the wrong level."""
        wrong = Mismatch("risk level", "yellow", "red")
        return [dataclasses.replace(r, mismatches=[wrong]) for r in original(policy)]

    monkeypatch.setattr(testing, "run_cases_columnar", broken)
    path = tmp_path / "cased.yaml"
    result = CliRunner().invoke(main, ["test", str(path), "--engine", "all", "--lang", "en"])
    assert result.exit_code == 1
    assert "FAILED: big shop without a department [columnar] (" in result.output
    assert "FAILED: big shop without a department (" not in result.output
    assert "policy tests: 3/4 passed" in result.output


@pytest.fixture
def engines_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The engine each ``grade_file`` call is given (the calls do nothing else), for
    ``tmp_path / "in.jsonl"``, a ledger of one unit."""
    from riskgrade.batch.run import BatchSummary
    from riskgrade.cli import batching

    used: list[str] = []

    def fake(*args: object, **kwargs: object) -> BatchSummary:
        used.append(str(kwargs["engine"]))
        return BatchSummary(rows=0, graded=0, failed=0, seconds=0.0)

    monkeypatch.setattr(batching, "grade_file", fake)
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "industry": "retail", "employees": 3}\n', encoding="utf-8")
    return used


@pytest.mark.parametrize(
    ("output", "given", "engine"),
    [
        ("out.csv", [], "columnar"),
        ("out.xlsx", [], "columnar"),
        ("out.parquet", [], "columnar"),
        ("out.jsonl", [], "compiled"),  # whole assessments: a per-unit engine
        ("out.json", [], "compiled"),
        ("out.csv", ["--engine", "durable"], "durable"),
        ("-", [], "columnar"),  # CSV to stdout
        ("-", ["--to", "jsonl"], "compiled"),
    ],
)
def test_grade_picks_columnar_unless_results_are_json(
    tmp_path: Path, engines_used: list[str], output: str, given: list[str], engine: str
) -> None:
    target = output if output == "-" else str(tmp_path / output)
    CliRunner().invoke(main, ["grade", str(tmp_path / "in.jsonl"), "-o", target, *given])
    assert engines_used == [engine]


@pytest.mark.parametrize(
    ("checkpoint", "engine"),
    [('{"engine": "durable"}', "durable"), ("not json", "columnar"), ('{"engine": 3}', "columnar")],
)
def test_a_resumed_run_goes_on_on_the_engine_it_was_graded_on(
    tmp_path: Path, engines_used: list[str], checkpoint: str, engine: str
) -> None:
    """Without ``--engine``, ``--resume`` takes the engine the checkpoint names (a run the
    library started on its default, compiled, resumes from the command line); a checkpoint
    that names none leaves the default, and ``grade_file`` judges the checkpoint."""
    (tmp_path / "out.csv.checkpoint.json").write_text(checkpoint, encoding="utf-8")
    output = str(tmp_path / "out.csv")
    CliRunner().invoke(main, ["grade", str(tmp_path / "in.jsonl"), "-o", output, "--resume"])
    assert engines_used == [engine]


def test_a_policy_no_table_can_grade_is_graded_on_the_compiled_engine_by_default(
    tmp_path: Path,
) -> None:
    from tests.conftest import MINI

    policy = tmp_path / "mini.yaml"
    policy.write_text(MINI.replace("deduction: 10\n", "deduction: 10.1234567\n", 1), "utf-8")
    source = tmp_path / "in.jsonl"
    rows = [{"id": f"u{i}", "industry": "retail", "employees": i} for i in range(1, 4)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["grade", str(source), "--policy", str(policy), "--as-of", "2026-11-28", "-o"]
    default = CliRunner().invoke(main, [*args, str(tmp_path / "a.csv")])
    assert default.exit_code == 0, default.output
    assert "10.1234567 has more" in default.output and "改用 compiled 引擎" in default.output
    compiled = CliRunner().invoke(main, [*args, str(tmp_path / "b.csv"), "--engine", "compiled"])
    assert compiled.exit_code == 0 and "改用 compiled" not in compiled.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    refused = CliRunner().invoke(main, [*args, str(tmp_path / "c.xlsx"), "--resume"])
    assert refused.exit_code == 2 and "改用 compiled" not in refused.output  # not before a refusal
