"""``riskgrade check --format github|junit|sarif``: what CI reads, parsed as CI parses it, with
each diagnostic's file, line, column and code."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from riskgrade.cli import main
from riskgrade.policy import default_policy_path
from tests.conftest import MINI

BROKEN = MINI.replace("employees > 100 and not", "employes > 100 and not").replace(
    "staff_total == 0'", "staff_total = 0'"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A broken policy in a repository checkout (the working directory)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    path = tmp_path / "policies" / "mini.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def _line(marker: str) -> int:
    return BROKEN[: BROKEN.index(marker)].count("\n") + 1


def test_github_annotations(broken: Path) -> None:
    result = run("check", str(broken), "--format", "github")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    pattern = re.compile(r"^::error file=([^,]+),line=(\d+),col=(\d+),title=(RG\d{3})::(.+)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), lines
    found = {(m[1], int(m[2]), m[4]) for m in parsed if m}
    assert found == {
        ("policies/mini.yaml", _line("employes"), "RG203"),  # repository-relative
        ("policies/mini.yaml", _line("staff_total = 0"), "RG201"),
    }
    assert any("did you mean '=='?" in line for line in lines)


def test_github_annotations_of_a_clean_policy_are_empty() -> None:
    result = run("check", str(default_policy_path()), "--format", "github")
    assert result.exit_code == 0 and "::error" not in result.output


def test_junit_xml(broken: Path) -> None:
    result = run("check", str(broken), "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2" and suite.get("tests") == "2"
    failures = {
        (case.get("file"), case.get("line"), failure.get("type"))
        for case in suite.iter("testcase")
        for failure in case.iter("failure")
    }
    assert failures == {
        ("policies/mini.yaml", str(_line("employes")), "RG203"),
        ("policies/mini.yaml", str(_line("staff_total = 0")), "RG201"),
    }


def test_junit_xml_of_a_clean_policy_has_one_passing_case() -> None:
    result = run("check", str(default_policy_path()), "--format", "junit")
    assert result.exit_code == 0
    suite = ET.fromstring(result.output.encode("utf-8")).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.iter("testcase")] == ["policy checks clean"]


def test_sarif(broken: Path) -> None:
    result = run("check", str(broken), "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.output)
    assert set(log) == {"$schema", "version", "runs"} and log["version"] == "2.1.0"
    (only_run,) = log["runs"]
    assert only_run["tool"]["driver"]["name"] == "riskgrade"
    rules = [r["id"] for r in only_run["tool"]["driver"]["rules"]]
    located = set()
    for res in only_run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"] and res["level"] == "error"
        (where,) = res["locations"]
        physical = where["physicalLocation"]
        located.add(
            (
                physical["artifactLocation"]["uri"],
                physical["region"]["startLine"],
                res["ruleId"],
            )
        )
    assert located == {
        ("policies/mini.yaml", _line("employes"), "RG203"),
        ("policies/mini.yaml", _line("staff_total = 0"), "RG201"),
    }
