"""The pytest plugin collects policy files only: a project that has riskgrade installed keeps
its own YAML files (a CI file with a ``tests:`` key) out of its test run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskgrade.policy import default_policy_path
from tests.conftest import MINI, ROOT

CI = """name: build
on: [push]
tests:
  - run: make test
  - run: make lint
"""

CASE = """tests:
  - name: no PPE is a finding
    as_of: 2026-11-28
    facts: {id: U1, industry: retail, employees: 5, part_time_safety_staff: 1,
            full_time_safety_staff: 0, ppe_provided: false, fatalities_3y: 0}
    expect:
      findings: [no_ppe]
"""


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """pytest in ``cwd`` as a project that has this riskgrade installed would run it."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )


def _project(tmp_path: Path) -> Path:
    (tmp_path / "ci.yaml").write_text(CI, encoding="utf-8")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "tests.yml").write_text(CI, encoding="utf-8")
    (tmp_path / "test_app.py").write_text("def test_app():\n    assert 1 + 1 == 2\n", "utf-8")
    return tmp_path


@pytest.mark.slow
def test_an_unrelated_yaml_with_a_tests_key_is_not_collected(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = _pytest(cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "policy loads" not in done.stdout


@pytest.mark.slow
def test_policy_files_beside_it_still_are(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "mini.yaml").write_text(MINI + CASE, encoding="utf-8")  # a single-file policy
    shutil.copytree(default_policy_path(), project / "district")  # a policy folder
    done = _pytest("--collect-only", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    collected = done.stdout.splitlines()
    assert "mini.yaml::no PPE is a finding" in collected
    assert "district/tests.yaml::compliant retail shop (R10)" in collected
    assert "test_app.py::test_app" in collected
    assert not [line for line in collected if "ci.yaml" in line or "tests.yml" in line]


@pytest.mark.slow
def test_the_ini_option_names_policies_to_collect(tmp_path: Path) -> None:
    project = _project(tmp_path)
    policy = project / "policies" / "mini.yaml"
    policy.parent.mkdir()
    # a header the plugin does not recognise by itself (quoted keys)
    quoted = MINI.replace(
        'policy:\n  name: mini\n  version: "1"\n', 'policy: {"name": mini, "version": "1"}\n'
    )
    assert quoted != MINI
    policy.write_text(quoted + CASE, encoding="utf-8")
    assert "1 passed" in _pytest(cwd=project).stdout  # the app's test only
    (project / "pytest.ini").write_text("[pytest]\nriskgrade_policies = policies\n", "utf-8")
    done = _pytest(cwd=project)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout


@pytest.mark.slow
def test_a_gbk_policy_is_collected_and_asked_for_utf8(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "mini.yaml").write_bytes((MINI + CASE).encode("gbk"))
    done = _pytest(cwd=project)
    assert done.returncode == 1
    assert "save it as UTF-8" in done.stdout and "UnicodeDecodeError" not in done.stdout
