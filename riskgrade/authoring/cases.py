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
    score = assessment.score
    out = _mismatches(
        case,
        {
            "risk level": assessment.risk_level.name.lower(),
            "duty grade": assessment.duty_grade.value,
            "duty score": score.duty_score,
            "risk score": score.risk_score,
            "tier": score.tier,
        },
        [f.rule for f in assessment.findings if f.kind in ("violation", "override")],
        [r.id for r in assessment.recommendations],
    )
    seen = scoring_env(
        env, assessment.findings, Decimal(str(score.duty_score)), assessment.duty_grade
    )
    return CaseResult(case.name, location, out, assessment, seen)


def _mismatches(
    case: TestCase, scalars: Mapping[str, Any], fired: list[str], recs: list[str]
) -> list[Mismatch]:
    """Every expectation of ``case`` that the grade (however computed) does not meet."""
    expect = case.expect
    wanted = {
        "risk level": expect.risk_level,
        "duty grade": expect.duty_grade,
        "duty score": expect.duty_score,
        "risk score": expect.risk_score,
        "tier": expect.tier,
    }
    out = [
        Mismatch(n, e, scalars[n]) for n, e in wanted.items() if e is not None and e != scalars[n]
    ]
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
    return out


def run_cases_columnar(policy: Policy) -> list[CaseResult]:
    """Every test case graded on the columnar engine (cases of one date as one table) and
    compared with its expectations; results carry no assessment (the engine builds none)."""
    from riskgrade.grading.columnar import grade_table

    cases = policy.checked.tests
    out: dict[int, CaseResult] = {}
    by_date: dict[Any, list[int]] = {}
    units: dict[int, Any] = {}
    for index, (case, location) in enumerate(cases):
        try:
            units[index] = policy.validate(case_facts(policy, case))
        except RiskgradeError as exc:
            out[index] = CaseResult(
                case.name, location, [Mismatch("grading", "an assessment", exc)], None
            )
            continue
        by_date.setdefault(case.as_of, []).append(index)
    for as_of, indexes in by_date.items():
        table = grade_table(policy.program, [units[i] for i in indexes], as_of)
        for index, row in zip(indexes, table.iter_rows(named=True), strict=True):
            case, location = cases[index]
            scalars = {
                "risk level": row["risk_level"],
                "duty grade": row["duty_grade"],
                "duty score": row["duty_score"],
                "risk score": row["risk_score"],
                "tier": row["tier"],
            }
            fired = [*row["overrides"], *row["violations"].split()]
            recs = row["recommendations"].split()
            out[index] = CaseResult(
                case.name, location, _mismatches(case, scalars, fired, recs), None
            )
    return [out[index] for index in range(len(cases))]


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
