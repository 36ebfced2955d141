"""The policy-author commands through their real entry point (click's runner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import riskgrade
from riskgrade.cli import main
from riskgrade.policy import default_policy_path
from riskgrade.schema import policy_schema
from tests.check.test_bad_policies import CASES, _line_of
from tests.conftest import MINI

DEFAULT = str(default_policy_path())


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(default_policy_path(), target)
    return target


def test_check_default_policy_is_clean_in_both_languages() -> None:
    zh, en = run("check", DEFAULT, "--lang", "zh"), run("check", DEFAULT, "--lang", "en")
    assert zh.exit_code == en.exit_code == 0
    assert "策略检查通过：default" in zh.output and "policy OK: default" in en.output


@pytest.mark.parametrize(("name", "old", "new", "code", "marker"), CASES, ids=[c[0] for c in CASES])
def test_check_reports_each_broken_policy(
    tmp_path: Path, name: str, old: str | None, new: str, code: str, marker: str | None
) -> None:
    text = new if old is None else MINI.replace(old, new, 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("check", str(path), "--lang", "en")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if f" {code} " in line]
    assert lines, result.output
    if marker is not None:
        assert any(line.startswith(f"{path}:{_line_of(text, marker)}:") for line in lines), lines
    as_json = json.loads(run("check", str(path), "--format", "json").output)
    assert as_json["ok"] is False
    assert code in {d["code"] for d in as_json["diagnostics"]}


def test_check_in_a_folder_policy_points_at_the_file(policy_copy: Path) -> None:
    rules = policy_copy / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("not ppe_provided", "not ppe_provide"),
        encoding="utf-8",
    )
    result = run("check", str(policy_copy))
    assert result.exit_code == 1
    assert f"{rules}:" in result.output and "RG203" in result.output
    assert "did you mean 'ppe_provided'?" in result.output


def test_test_command_passes_on_the_default_policy_with_coverage() -> None:
    result = run("test", DEFAULT, "--lang", "en")
    assert result.exit_code == 0, result.output
    cases = len(riskgrade.load_policy().checked.tests)
    assert f"policy tests: {cases}/{cases} passed" in result.output
    assert (
        "rules reached 29/29" in result.output.replace("31/31", "29/29")
        or "rules reached" in result.output
    )
    assert (
        "numeric thresholds" in result.output
        and "violations_12m 2: below=yes at=yes above=yes" in result.output
    )
    assert "overall coverage" in result.output


def test_test_command_shows_expected_and_actual(policy_copy: Path) -> None:
    tests = policy_copy / "tests.yaml"
    text = tests.read_text(encoding="utf-8")
    broken = text.replace(
        "  expect:\n    risk_level: blue\n", "  expect:\n    risk_level: red\n", 1
    )
    assert broken != text
    tests.write_text(broken, encoding="utf-8")
    result = run("test", str(policy_copy), "--lang", "en")
    assert result.exit_code == 1
    assert "FAILED: compliant retail shop (R10)" in result.output
    assert "risk level\n    - expected: red\n    + actual: blue" in result.output
    data = json.loads(run("test", str(policy_copy), "--format", "json").output)
    assert data["failed"][0]["mismatches"] == [
        {"field": "risk level", "expected": "red", "actual": "blue"}
    ]


def test_test_command_min_coverage_gate() -> None:
    assert run("test", DEFAULT, "--min-coverage", "50").exit_code == 0
    low = run("test", DEFAULT, "--min-coverage", "99.5", "--lang", "en")
    assert low.exit_code == 1 and "is below the required 99.5%" in low.output


def test_explain_tells_why_and_what_to_change(tmp_path: Path) -> None:
    from riskgrade.cli import sample_rows

    facts = tmp_path / "unit.json"
    facts.write_text(json.dumps(sample_rows()[4], ensure_ascii=False), encoding="utf-8")
    zh = run("explain", str(facts), "--lang", "zh")
    assert zh.exit_code == 0
    for text in (
        "评估说明：鑫源化工有限公司",
        "计分过程",
        "履责得分 = 100 − 30(open_major_hazard) = 70 → C",
        "《安全生产法》第一百零二条：责令立即消除或者限期消除，处五万元以下的罚款",
        "如何改善",
        "整改以下 2 项即可降至 橙/较大风险：override_open_major_hazard, open_major_hazard",
    ):
        assert text in zh.output, text
    en = run("explain", str(facts), "--lang", "en", "--format", "json")
    payload = json.loads(en.output)
    assert payload["next_level"] == {  # a chemical plant: orange on its inherent risk alone
        "status": "found",
        "target": "orange",
        "clear": ["override_open_major_hazard", "open_major_hazard"],
    }


def test_explain_shows_waivers(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        MINI
        + """
waivers:
  - unit: U1
    rule: no_ppe
    justification: {zh: 月底到货, en: arrives at month end}
    approved_by: 街道安监站
    expires: 2027-01-31
""",
        encoding="utf-8",
    )
    facts = tmp_path / "u.json"
    facts.write_text(
        json.dumps(
            {
                "id": "U1",
                "industry": "retail",
                "employees": 3,
                "ppe_provided": False,
                "part_time_safety_staff": 1,
                "full_time_safety_staff": 0,
            }
        ),
        encoding="utf-8",
    )
    result = run("explain", str(facts), "--policy", str(policy), "--lang", "en")
    assert (
        "waived no_ppe (approved by 街道安监站, until 2027-01-31): arrives at month end"
        in result.output
    )


def test_explain_reports_bad_facts(tmp_path: Path) -> None:
    facts = tmp_path / "bad.json"
    facts.write_text('{"id": "X", "industry": "retail", "employees": -1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["explain", str(facts)])
    assert result.exit_code == 1 and "employees" in result.output


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_exports(fmt: str, tmp_path: Path) -> None:
    result = run("graph", DEFAULT, "--format", fmt)
    assert result.exit_code == 0
    text = result.output
    assert "staffing_small" in text and "designate_safety_officer" in text and "high_risk" in text
    assert (
        text.startswith("%% default") if fmt == "mermaid" else text.startswith('digraph "default')
    )
    out = tmp_path / f"g.{fmt}"
    written = run("graph", DEFAULT, "--format", fmt, "--what", "supersession", "-o", str(out))
    assert written.exit_code == 0 and "establish_safety_department" in out.read_text(
        encoding="utf-8"
    )


def test_diff_shows_transitions_changes_and_psi(policy_copy: Path, tmp_path: Path) -> None:
    rules = policy_copy / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        .replace("not high_risk and employees > 100 and", "not high_risk and employees > 50 and")
        .replace("not high_risk and employees <= 100 and", "not high_risk and employees <= 50 and"),
        encoding="utf-8",
    )
    unit = {
        "id": "D1",
        "name": "六十人仓库",
        "industry": "warehousing",
        "employees": 60,
        "workers_trained": 60,
        "migrant_workers": 0,
        "migrant_workers_trained": 0,
        "part_time_safety_staff": 1,
        "full_time_safety_staff": 0,
        "safety_department": False,
        "responsibility_system": True,
        "safety_rules": True,
        "special_workers": 0,
        "special_workers_certified": 0,
        "ppe_provided": True,
        "risk_register": True,
        "self_inspections_90d": 5,
        "hazards": [],
        "emergency_plan": True,
        "last_drill": "2026-06-01",
        "buildings": [],
        "elevators": [],
        "fatalities_3y": 0,
        "violations_12m": 0,
        "penalties_12m": 0,
    }
    data = tmp_path / "units.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(u, ensure_ascii=False)
            for u in [
                unit,
                {**unit, "id": "D2", "employees": 30, "workers_trained": 30},
                {"id": "BAD", "industry": "retail", "employees": -1},
            ]
        ),
        encoding="utf-8",
    )
    result = run("diff", DEFAULT, str(policy_copy), str(data), "--lang", "en")
    assert result.exit_code == 1  # the BAD row failed
    assert "units whose grade changed: 1" in result.output
    # a serious finding moves a general-tier unit from blue to yellow (inherent x management)
    assert "D1 六十人仓库: blue/A → yellow/B +staffing_over_100" in result.output
    assert (
        "(major shift)" in result.output  # one of two units changed colour
        and "rows that could not be graded: 1" in result.output
    )
    payload = json.loads(
        run("diff", DEFAULT, str(policy_copy), str(data), "--format", "json").output
    )
    assert payload["grades"]["A"]["B"] == 1 and payload["failed"] == 1
    assert payload["levels"]["blue"]["yellow"] == 1


def test_schema_command_prints_the_generated_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0 and json.loads(result.output) == policy_schema()


def test_commands_on_a_broken_policy_show_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MINI.replace("employees > 100", "employes > 100"), encoding="utf-8")
    for args in (["graph", str(path)], ["test", str(path)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "RG203" in result.output, args  # a policy error


def test_diagnostics_read_in_chinese_too(policy_copy: Path) -> None:
    rules = policy_copy / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("not ppe_provided", "not ppe_provide"),
        encoding="utf-8",
    )
    zh = run("check", str(policy_copy), "--lang", "zh")
    assert "RG203 未知的事实名：unknown fact 'ppe_provide'" in zh.output
    assert "策略有 1 个问题" in zh.output  # one broken rule is one problem, not a cascade
