"""What-would-have-to-change answers are correct and small."""

from __future__ import annotations

import riskgrade
from riskgrade.authoring.explain import explain
from riskgrade.cli import sample_rows
from riskgrade.grading.score import grade as score
from tests.conftest import AS_OF


def _after(policy: riskgrade.Policy, facts: dict[str, object], cleared: tuple[str, ...]) -> object:
    evaluated = policy.evaluate(facts, AS_OF, "python")
    env, findings = evaluated.facts, evaluated.findings
    kept = [f for f in findings if f.rule not in cleared]
    return score(policy.program, env, kept, frozenset(cleared))


def test_next_grade_clears_the_fewest_findings(default_policy: riskgrade.Policy) -> None:
    facts = sample_rows()[6]  # a workshop with thirteen violations, duty score 0
    e = explain(default_policy, facts, as_of=AS_OF, engine="python")
    assert e.assessment.duty_grade == "D" and e.next_grade.target == "C"
    # the fewest findings whose deductions lift the score to C's floor (60): the heaviest first
    deductions = sorted(e.assessment.score.deductions.values(), reverse=True)
    short = 60 - (e.assessment.score.duty_start - sum(deductions))  # the score floors at 0
    fewest = next(k for k in range(len(deductions) + 1) if sum(deductions[:k]) >= short)
    assert len(e.next_grade.clear) == fewest
    assert _after(default_policy, facts, e.next_grade.clear).duty_grade == "C"  # type: ignore[attr-defined]


def test_next_level_and_inherent_risk(default_policy: riskgrade.Policy) -> None:
    rows = sample_rows()
    chemical = explain(default_policy, rows[4], as_of=AS_OF, engine="python")
    assert chemical.next_level.clear == ("override_open_major_hazard", "open_major_hazard")
    after = _after(default_policy, rows[4], chemical.next_level.clear)
    # a chemical plant stays orange on its inherent risk (top tier) once it is well run
    assert after.risk_level == riskgrade.RiskLevel.ORANGE  # type: ignore[attr-defined]
    assert chemical.next_level.target == "orange"  # what clearing reaches, not just "one better"
    mine = {
        **rows[0],
        "id": "M",
        "industry": "mining",
        "employees": 150,
        "workers_trained": 150,
        "migrant_workers": 30,
        "migrant_workers_trained": 30,
    }
    clean = explain(default_policy, mine, as_of=AS_OF, engine="python")
    assert (
        clean.assessment.risk_level == riskgrade.RiskLevel.ORANGE
        and not clean.assessment.violations
    )
    assert clean.next_level.status == "inherent"
    assert clean.next_grade.status == "best"
