"""Properties of the default policy over generated enterprises: R11 (justified, unique,
deterministic countermeasures) and R12 (worsening one fact never improves a grade)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import riskgrade
from tests.strategies import AS_OF, enterprises, mostly_compliant

POLICY = riskgrade.load_policy()
Facts = dict[str, Any]

GOOD_WHEN_TRUE = [
    "safety_department",
    "responsibility_system",
    "safety_rules",
    "principal_certified",
    "safety_staff_certified",
    "ppe_provided",
    "risk_register",
    "emergency_plan",
    "gas_alarm",
    "liability_insurance",
]
BAD_WHEN_TRUE = ["uses_gas", "confined_spaces", "combustible_dust"]
MORE_IS_WORSE = ["violations_12m", "penalties_12m", "fatalities_3y", "accidents_3y"]
FEWER_IS_WORSE = [
    "full_time_safety_staff",
    "part_time_safety_staff",
    "workers_trained",
    "migrant_workers_trained",
    "special_workers_certified",
    "self_inspections_90d",
]


def _set(name: str, value: Any) -> Callable[[Facts], Facts | None]:
    def change(facts: Facts) -> Facts | None:
        if facts.get(name) is None or facts[name] == value:
            return None
        return {**facts, name: value}

    return change


def _add(name: str, delta: int) -> Callable[[Facts], Facts | None]:
    def change(facts: Facts) -> Facts | None:
        if facts.get(name) is None or facts[name] + delta < 0:
            return None
        return {**facts, name: facts[name] + delta}

    return change


def _more_people(name: str) -> Callable[[Facts], Facts | None]:
    def change(facts: Facts) -> Facts | None:
        if facts.get(name) is None:
            return None
        worse = {**facts, name: facts[name] + 1}
        if name != "employees" and worse[name] > worse["employees"]:
            worse["employees"] = worse[name]
        return worse

    return change


def _older_drill(facts: Facts) -> Facts | None:
    if facts.get("last_drill") is None:
        return None
    drill = dt.date.fromisoformat(facts["last_drill"]) - dt.timedelta(days=30)
    return {**facts, "last_drill": drill.isoformat()}


def _open_hazard(level: str) -> Callable[[Facts], Facts | None]:
    def change(facts: Facts) -> Facts | None:
        if facts.get("hazards") is None:
            return None
        hazard = {"level": level, "found_on": "2026-01-01", "deadline": "2026-02-01"}
        return {**facts, "hazards": [*facts["hazards"], hazard]}

    return change


def _break_item(kind: str, field: str, value: Any) -> Callable[[Facts], Facts | None]:
    def change(facts: Facts) -> Facts | None:
        if not facts.get(kind):
            return None
        items = copy.deepcopy(facts[kind])
        if items[0].get(field) is None or items[0][field] == value:
            return None
        items[0][field] = value
        return {**facts, kind: items}

    return change


WORSENINGS: dict[str, Callable[[Facts], Facts | None]] = {
    **{f"{n} false": _set(n, False) for n in GOOD_WHEN_TRUE},
    **{f"{n} true": _set(n, True) for n in BAD_WHEN_TRUE},
    **{f"{n} +1": _add(n, 1) for n in MORE_IS_WORSE},
    **{f"{n} -1": _add(n, -1) for n in FEWER_IS_WORSE},
    **{f"{n} +1": _more_people(n) for n in ("employees", "migrant_workers", "special_workers")},
    "drill 30 days older": _older_drill,
    "new open general hazard": _open_hazard("general"),
    "new open major hazard": _open_hazard("major"),
    "building sprinklers fail": _break_item("buildings", "sprinklers_ok", False),
    "control room unstaffed": _break_item("buildings", "control_room_staffed", False),
    "elevator unregistered": _break_item("elevators", "registered", False),
    "elevator maintenance 30 days old": _break_item("elevators", "last_maintenance", "2026-10-29"),
}


def _grade(facts: Facts) -> riskgrade.Assessment:
    return POLICY.grade(facts, as_of=AS_OF, engine="python")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mostly_compliant(), enterprises()), st.sampled_from(sorted(WORSENINGS)))
def test_r12_worsening_a_fact_never_improves_a_grade(facts: Facts, worsening: str) -> None:
    worse = WORSENINGS[worsening](facts)
    assume(worse is not None)
    assert worse is not None
    before, after = _grade(facts), _grade(worse)
    assert after.risk_level >= before.risk_level, (worsening, before.risk_level, after.risk_level)
    assert after.duty_grade.rank >= before.duty_grade.rank, (
        worsening,
        before.duty_grade,
        after.duty_grade,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises())
def test_r11_countermeasures_are_justified_unique_and_deterministic(facts: Facts) -> None:
    a = _grade(facts)
    assert _grade(facts) == a
    rules = {f.rule for f in a.findings}
    ids = [r.id for r in a.recommendations]
    assert len(ids) == len(set(ids))
    closure = POLICY.checked.supersedes_closure
    for rec in a.recommendations:
        assert rec.because and set(rec.because) <= rules, rec
        assert not closure[rec.id] & set(ids), f"{rec.id} shown with what it supersedes"
    assert all(f.basis for f in a.findings)
    priorities = [r.priority for r in a.recommendations]
    assert priorities == sorted(priorities)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mostly_compliant(), enterprises()))
def test_r8_serious_failures_in_high_risk_industries_bring_enforcement(facts: Facts) -> None:
    a = _grade(facts)
    established = [f for f in a.violations if f.severity in ("serious", "major") and not f.assumed]
    high_risk = a.findings and facts["industry"] in (
        "mining",
        "metal_smelting",
        "construction",
        "transport",
        "hazardous_chemicals",
        "fireworks",
    )
    recs = {r.id for r in a.recommendations}
    if high_risk and established:
        assert "enforcement_penalty" in recs, [f.rule for f in established]
    if facts.get("violations_12m") is not None and facts["violations_12m"] >= 2:
        assert "enforcement_penalty" in recs
    for rec in a.recommendations:
        if rec.id == "enforcement_penalty":
            assert "罚款" in rec.message or "处罚" in rec.message
            assert any(not f.assumed for f in a.violations if f.rule in rec.because)
