"""The pytest plugin collects a policy's YAML cases as pytest items (through pytest itself)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import riskgrade
from riskgrade.policy import default_policy_path
from tests.conftest import MINI


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


@pytest.mark.slow
def test_default_policy_cases_run_as_pytest_items(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(default_policy_path(), policy)
    done = _pytest(str(policy), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = len(riskgrade.load_policy(policy).checked.tests)
    assert f"{cases} passed" in done.stdout


def test_a_failing_case_reads_as_expected_and_actual(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(default_policy_path(), policy)
    tests = policy / "tests.yaml"
    text = tests.read_text(encoding="utf-8")
    tests.write_text(
        text.replace("  expect:\n    risk_level: blue\n", "  expect:\n    risk_level: red\n", 1),
        encoding="utf-8",
    )
    done = _pytest(str(policy), "-k", "R10", cwd=tmp_path)
    assert done.returncode == 1
    assert "policy case 'compliant retail shop (R10)' failed" in done.stdout
    assert "- expected: red" in done.stdout and "+ actual:   blue" in done.stdout
    assert "tests.yaml::compliant retail shop (R10)" in done.stdout


@pytest.mark.slow
def test_single_file_policy_and_broken_policy(tmp_path: Path) -> None:
    case = """
tests:
  - name: no PPE is a finding
    as_of: 2026-11-28
    facts: {id: U1, industry: retail, employees: 5, part_time_safety_staff: 1,
            full_time_safety_staff: 0, ppe_provided: false, fatalities_3y: 0}
    expect:
      findings: [no_ppe]
"""
    good = tmp_path / "good" / "policy.yaml"
    good.parent.mkdir()
    good.write_text(MINI + case, encoding="utf-8")
    done = _pytest(str(good.parent), cwd=tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout
    bad = tmp_path / "bad" / "policy.yaml"
    bad.parent.mkdir()
    bad.write_text(MINI.replace("employees > 100", "employes > 100") + case, encoding="utf-8")
    done = _pytest(str(bad.parent), cwd=tmp_path)
    assert (
        done.returncode == 1
        and "RG203" in done.stdout
        and "did you mean 'employees'" in done.stdout
    )


def test_plain_yaml_files_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("name: app\nitems: [1, 2]\n", encoding="utf-8")
    done = _pytest(str(tmp_path), cwd=tmp_path)
    assert done.returncode == 5  # pytest's "no tests collected"
