"""Properties of the default policy over generated enterprises.

R11 (justified, unique, deterministic countermeasures), R12 (worsening one fact never improves a
grade) and R13 (unknown facts never silently improve one) are checked for the default policy by
``riskgrade.testing.assert_policy_properties`` in ``testing/test_testing_kit.py``; this file
adds R8, which is specific to the default policy's enforcement countermeasure, and the principles
of default policy v2: the colour matrix (R16), dates as of ``as_of`` (R17) and verification
instead of orders on missing data (R18).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.testing import enterprises
from tests.conftest import examples

pytestmark = pytest.mark.slow  # long hypothesis property suites

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()
HIGH_RISK = {
    "mining",
    "metal_smelting",
    "construction",
    "transport",
    "hazardous_chemicals",
    "fireworks",
}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises(policy=POLICY, as_of=AS_OF))
def test_r8_serious_failures_in_high_risk_industries_bring_enforcement(
    facts: dict[str, Any],
) -> None:
    a = POLICY.grade(facts, as_of=AS_OF, engine="compiled")
    # serious breaches the law fines (a basis with a penalty); a past accident, or a duty
    # with no fine of its own (a rescue organisation, Art. 82), is graded but not fined
    bases = POLICY.checked.bases
    established = [
        f
        for f in a.violations
        if f.severity in ("serious", "major")
        and not f.assumed
        and any(bases[b].penalty is not None for b in f.bases)
    ]
    recs = {r.id for r in a.recommendations}
    if facts["industry"] in HIGH_RISK and established:
        assert "enforcement_penalty" in recs, [f.rule for f in established]
    if facts.get("violations_12m") is not None and facts["violations_12m"] >= 2:
        assert "enforcement_penalty" in recs
    for rec in a.recommendations:
        if rec.id == "enforcement_penalty":
            assert "罚款" in rec.message or "处罚" in rec.message
            assert any(not f.assumed for f in a.violations if f.rule in rec.because)


# ---------------------------------------------------------------- default policy v2 (R16-R18)
_TOP_TIER = 5
_POOR = {"C", "D"}


def _graded(facts: dict[str, Any]) -> riskgrade.Assessment:
    return POLICY.grade(facts, as_of=AS_OF, engine="compiled")


# Generated units lean to the upper tiers (large staffs, hazardous goods); low-tier units are
# drawn on purpose too, so that every row of the matrix is exercised.
POPULATION = st.one_of(
    enterprises(policy=POLICY, as_of=AS_OF),
    enterprises(
        policy=POLICY,
        as_of=AS_OF,
        industry=st.sampled_from(["retail", "wholesale", "other", "catering", "warehousing"]),
        employees=st.integers(1, 120),
        hazardous_goods=False,
        uses_gas=st.sampled_from([False, None, True]),
        combustible_dust=False,
        confined_spaces=False,
        elevators=st.sampled_from([[], None]),
        buildings=st.sampled_from([[], None]),
    ),
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POPULATION)
def test_r16_colour_follows_inherent_risk_and_management(facts: dict[str, Any]) -> None:
    a = _graded(facts)
    level, grade = a.risk_level, a.duty_grade
    if grade == "D":
        assert level != riskgrade.RiskLevel.BLUE  # duty grade D is never blue
    if grade == "A":
        assert level != riskgrade.RiskLevel.RED  # grade A is not red on inherent risk alone
    if level == riskgrade.RiskLevel.RED:
        major = any(f.severity == "major" for f in a.violations)
        direct = {"override_open_major_hazard", "override_large_accident"} & set(a.score.overrides)
        top_and_poor = a.score.factors["S"] == _TOP_TIER and grade in _POOR
        assert major or direct or top_and_poor, (a.score.factors, grade, a.score.overrides)
    deaths = facts.get("worst_accident_deaths_3y")
    if deaths is not None and deaths >= 3:
        assert level == riskgrade.RiskLevel.RED  # a 较大 accident or worse: direct red
    if facts.get("fatalities_3y"):
        assert grade != "A" and level >= riskgrade.RiskLevel.ORANGE


_DUTY_FACTS = {  # facts that only say how a unit is run, with their worse value
    "responsibility_system": False,
    "safety_rules": False,
    "ppe_provided": False,
    "risk_register": False,
    "emergency_plan": False,
    "safety_investment": False,
    "self_inspections_90d": 0,
    "workers_trained": 0,
}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POPULATION)
def test_r16_worse_management_never_lowers_the_colour(facts: dict[str, Any]) -> None:
    """Management only: the inherent facts stay as they are, a duty is neglected."""
    before = _graded(facts)
    for name, worse in _DUTY_FACTS.items():
        if facts.get(name) is None or facts[name] == worse:
            continue
        after = _graded({**facts, name: worse})
        assert after.duty_grade.rank >= before.duty_grade.rank, name
        assert after.risk_level >= before.risk_level, name
        # and the other way round: better management never raises it
        assert before.risk_level <= after.risk_level


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises(policy=POLICY, as_of=AS_OF), st.integers(1, 400), st.booleans())
def test_r17_hazards_after_the_grading_date_do_not_count(
    facts: dict[str, Any], days: int, major: bool
) -> None:
    later = (AS_OF + dt.timedelta(days=days)).isoformat()
    hazard = {"id": "HF", "level": "major" if major else "general", "found_on": later}
    listed = facts.get("hazards")
    if listed is None:
        return
    before = _graded(facts)
    after = _graded({**facts, "hazards": [*listed, hazard]})
    assert (after.risk_level, after.duty_grade) == (before.risk_level, before.duty_grade)
    assert {f.rule for f in after.violations} == {f.rule for f in before.violations}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises(policy=POLICY, as_of=AS_OF, unknown=0.4))
def test_r18_missing_facts_give_verification_never_orders(facts: dict[str, Any]) -> None:
    a = _graded(facts)
    assumed = {f.rule for f in a.findings if f.assumed}
    assert all(f.severity != "major" for f in a.violations if f.assumed)
    for rec in a.recommendations:
        if rec.because and set(rec.because) <= assumed:
            assert rec.id == "verify_facts", (rec.id, rec.because)
    verify = [r for r in a.recommendations if r.id == "verify_facts"]
    if assumed:
        assert verify and set(verify[0].because) == assumed
        assert verify[0].priority > 1 and "待核实" in verify[0].message
