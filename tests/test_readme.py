"""The README's Python example gives what it says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import riskgrade

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_readme_python_example(default_policy: riskgrade.Policy) -> None:
    example = README.split("a = policy.grade(\n", 1)[1].split("\n)\n", 1)[0]
    facts_text = example.split("as_of=")[0].strip().rstrip(",")
    facts = _literal(facts_text)
    a = default_policy.grade(facts, as_of=dt.date(2026, 11, 28))
    assert a.risk_level is riskgrade.RiskLevel.YELLOW and a.duty_grade == "D"
    assert [f.rule for f in a.violations] == [
        "staffing_small",
        "workers_untrained",
        "migrant_workers_untrained",
        "no_ppe",
        "no_risk_register",
        "perfunctory_self_inspection",
        "gas_alarm_missing",
    ]
    assert [r.id for r in a.recommendations] == [
        "install_gas_alarm",
        "enforcement_penalty",
        "safety_training",
        "provide_ppe",
        "designate_safety_officer",
        "risk_identification",
        "third_party_audit",
        "hazard_screening_system",
    ]
    assert (
        "《安全生产法》第九十九条：责令限期改正，处五万元以下的罚款" in a.recommendations[1].message
    )
    assert a.recommendations[0].because == ["gas_alarm_missing"]


def _literal(text: str) -> dict[str, object]:
    import ast

    return ast.literal_eval(re.sub(r"\s+", " ", text))
