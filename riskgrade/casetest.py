"""Run a policy's own YAML test cases (facts in, expected grade and countermeasures out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riskgrade.assessment import Assessment
from riskgrade.checked import Location
from riskgrade.errors import RiskgradeError
from riskgrade.model import TestCase
from riskgrade.policy import Policy


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case: ``problems`` is empty when it passed."""

    name: str
    location: Location
    problems: list[str]
    assessment: Assessment | None

    @property
    def passed(self) -> bool:
        return not self.problems


def case_facts(policy: Policy, case: TestCase) -> dict[str, Any]:
    """The case's facts, starting from the case it ``extends`` (followed transitively)."""
    by_name = {c.name: c for c, _ in policy.checked.tests}
    chain = [case]
    while chain[-1].extends is not None:
        parent = by_name.get(chain[-1].extends)
        if parent is None:
            raise RiskgradeError(
                f"test {chain[-1].name!r} extends unknown case {chain[-1].extends!r}"
            )
        if parent in chain:
            raise RiskgradeError(f"test {case.name!r} extends itself through {parent.name!r}")
        chain.append(parent)
    facts: dict[str, Any] = {}
    for link in reversed(chain):
        facts.update(link.facts)
    return facts


def run_case(
    policy: Policy, case: TestCase, location: Location, engine: str = "durable"
) -> CaseResult:
    try:
        assessment = policy.grade(case_facts(policy, case), as_of=case.as_of, engine=engine)  # type: ignore[arg-type]
    except RiskgradeError as exc:
        return CaseResult(case.name, location, [f"grading failed: {exc}"], None)
    expect = case.expect
    problems: list[str] = []
    level = assessment.risk_level.name.lower()
    if expect.risk_level is not None and level != expect.risk_level:
        problems.append(f"risk level: expected {expect.risk_level}, got {level}")
    if expect.duty_grade is not None and assessment.duty_grade.value != expect.duty_grade:
        problems.append(
            f"duty grade: expected {expect.duty_grade}, got {assessment.duty_grade.value}"
        )
    for name, expected, actual in (
        ("duty score", expect.duty_score, assessment.score.duty_score),
        ("risk score", expect.risk_score, assessment.score.risk_score),
        ("tier", expect.tier, assessment.score.tier),
    ):
        if expected is not None and expected != actual:
            problems.append(f"{name}: expected {expected}, got {actual}")
    fired = [f.rule for f in assessment.findings if f.kind in ("violation", "override")]
    recs = [r.id for r in assessment.recommendations]
    _compare_sets(
        problems,
        "findings",
        fired,
        expect.findings,
        expect.includes_findings,
        expect.excludes_findings,
    )
    _compare_sets(
        problems,
        "recommendations",
        recs,
        expect.recommendations,
        expect.includes_recommendations,
        expect.excludes_recommendations,
    )
    return CaseResult(case.name, location, problems, assessment)


def _compare_sets(
    problems: list[str],
    what: str,
    actual: list[str],
    exact: list[str] | None,
    includes: list[str],
    excludes: list[str],
) -> None:
    if exact is not None:
        missing = sorted(set(exact) - set(actual))
        extra = sorted(set(actual) - set(exact))
        if missing or extra:
            problems.append(f"{what}: missing {missing}, unexpected {extra}")
    missing = [x for x in includes if x not in actual]
    if missing:
        problems.append(f"{what}: expected to include {missing}, got {actual}")
    present = [x for x in excludes if x in actual]
    if present:
        problems.append(f"{what}: expected not to include {present}")


def run_cases(policy: Policy, engine: str = "durable") -> list[CaseResult]:
    """Run every test case the policy carries, in file order."""
    return [run_case(policy, case, location, engine) for case, location in policy.checked.tests]
