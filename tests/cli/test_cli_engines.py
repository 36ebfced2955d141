"""``riskgrade test --engine all``: a policy's cases on every engine."""

from __future__ import annotations

import dataclasses
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
