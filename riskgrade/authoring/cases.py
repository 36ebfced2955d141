"""Run a policy's own YAML test cases (facts in, expected grade and countermeasures out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from riskgrade.assessment import Assessment
from riskgrade.check.format import TestCase
from riskgrade.diagnostics import Location
from riskgrade.errors import RiskgradeError
from riskgrade.grading.evaluate import environment
from riskgrade.grading.score import scoring_env
from riskgrade.policy import EngineName, Policy


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: what was expected and what came out."""

    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case: ``mismatches`` is empty when it passed."""

    name: str
    location: Location
    mismatches: list[Mismatch]
    assessment: Assessment | None
    facts: Mapping[str, Any] = field(default_factory=dict)
    """Every fact the rules saw (derived facts included), for threshold coverage."""

    @property
    def passed(self) -> bool:
        """True when every expectation of the case held."""
        return not self.mismatches

    @property
    def problems(self) -> list[str]:
        """The mismatches as lines of text, e.g. ``risk level: expected red, got orange``."""
        return [str(m) for m in self.mismatches]


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
    policy: Policy, case: TestCase, location: Location, engine: EngineName = "durable"
) -> CaseResult:
    """Grade one case and compare every expectation it states."""
    try:
        facts = case_facts(policy, case)
        assessment = policy.grade(facts, as_of=case.as_of, engine=engine)
        env = environment(policy.program, *policy.validate(facts), case.as_of)
    except RiskgradeError as exc:
        return CaseResult(case.name, location, [Mismatch("grading", "an assessment", exc)], None)
    expect = case.expect
    out: list[Mismatch] = []
    score = assessment.score
    scalars = (
        ("risk level", expect.risk_level, assessment.risk_level.name.lower()),
        ("duty grade", expect.duty_grade, assessment.duty_grade.value),
        ("duty score", expect.duty_score, score.duty_score),
        ("risk score", expect.risk_score, score.risk_score),
        ("tier", expect.tier, score.tier),
    )
    out += [Mismatch(n, e, a) for n, e, a in scalars if e is not None and e != a]
    fired = [f.rule for f in assessment.findings if f.kind in ("violation", "override")]
    recs = [r.id for r in assessment.recommendations]
    out += _compare(
        "findings", fired, expect.findings, expect.includes_findings, expect.excludes_findings
    )
    out += _compare(
        "recommendations",
        recs,
        expect.recommendations,
        expect.includes_recommendations,
        expect.excludes_recommendations,
    )
    seen = scoring_env(
        env, assessment.findings, Decimal(str(score.duty_score)), assessment.duty_grade
    )
    return CaseResult(case.name, location, out, assessment, seen)


def _compare(
    what: str,
    actual: list[str],
    exact: list[str] | None,
    includes: list[str],
    excludes: list[str],
) -> list[Mismatch]:
    out = []
    if exact is not None and set(exact) != set(actual):
        out.append(Mismatch(what, sorted(exact), sorted(actual)))
    missing = [x for x in includes if x not in actual]
    if missing:
        out.append(Mismatch(f"{what} (includes)", missing, actual))
    present = [x for x in excludes if x in actual]
    if present:
        out.append(Mismatch(f"{what} (excludes)", f"none of {present}", actual))
    return out


def run_cases(policy: Policy, engine: EngineName = "durable") -> list[CaseResult]:
    """Run every test case the policy carries, in file order."""
    return [run_case(policy, case, location, engine) for case, location in policy.checked.tests]
