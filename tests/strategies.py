"""Hypothesis strategies for enterprises (valid facts, unknowns included)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from riskgrade.facts import Enterprise

INDUSTRIES = list(Enterprise.model_fields["industry"].annotation.__args__)  # type: ignore[union-attr]
AS_OF = dt.date(2026, 11, 28)

maybe_bool = st.one_of(st.none(), st.booleans())
dates = st.one_of(st.none(), st.dates(min_value=dt.date(2023, 1, 1), max_value=AS_OF))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def hazards(draw: st.DrawFn) -> dict[str, Any]:
    found = draw(st.dates(min_value=dt.date(2025, 1, 1), max_value=AS_OF))
    deadline = found + dt.timedelta(days=draw(st.integers(0, 120)))
    rectified = draw(
        st.one_of(st.none(), st.just(found + dt.timedelta(days=draw(st.integers(0, 60)))))
    )
    return {
        "level": draw(_maybe(st.sampled_from(["general", "major"]))),
        "found_on": found.isoformat(),
        "deadline": deadline.isoformat(),
        "rectified_on": rectified.isoformat() if rectified else None,
    }


buildings = st.fixed_dictionaries(
    {
        "height_m": _maybe(st.sampled_from([10, 24, 24.5, 27, 27.5, 60])),
        "residential": maybe_bool,
        "fire_alarm_ok": maybe_bool,
        "sprinklers_ok": maybe_bool,
        "fire_water_ok": maybe_bool,
        "smoke_control_ok": maybe_bool,
        "last_fire_test": dates,
        "control_room_staffed": maybe_bool,
    }
)
elevators = st.fixed_dictionaries(
    {
        "registered": maybe_bool,
        "commissioned_year": _maybe(st.integers(1995, 2026)),
        "last_maintenance": dates,
        "last_inspection": dates,
        "inspection_passed": maybe_bool,
    }
)


@st.composite
def enterprises(draw: st.DrawFn) -> dict[str, Any]:
    """A valid enterprise; any optional fact may be unknown."""
    employees = draw(st.sampled_from([0, 1, 9, 10, 19, 20, 99, 100, 101, 299, 300, 1000]))
    migrants = draw(_maybe(st.integers(0, employees)))
    special = draw(_maybe(st.integers(0, employees)))
    facts: dict[str, Any] = {
        "id": draw(st.text("ABC123", min_size=1, max_size=6)),
        "industry": draw(st.sampled_from(INDUSTRIES)),
        "employees": employees,
        "ownership": draw(
            _maybe(st.sampled_from(["state", "private", "foreign", "collective", "individual"]))
        ),
        "size": draw(_maybe(st.sampled_from(["large", "medium", "small", "micro"]))),
        "above_scale": maybe_bool,
        "annual_revenue": draw(_maybe(st.sampled_from([0, 50, 100, 200, 300, 500, 2000, 40000]))),
        "migrant_workers": migrants,
        "workers_trained": draw(_maybe(st.integers(0, employees))),
        "migrant_workers_trained": None
        if migrants is None
        else draw(_maybe(st.integers(0, migrants))),
        "special_workers": special,
        "special_workers_certified": None
        if special is None
        else draw(_maybe(st.integers(0, special))),
        "self_inspections_90d": draw(_maybe(st.integers(0, 6))),
        "full_time_safety_staff": draw(_maybe(st.integers(0, 2))),
        "part_time_safety_staff": draw(_maybe(st.integers(0, 2))),
        "last_drill": draw(dates),
        "hazards": draw(_maybe(st.lists(hazards(), max_size=3))),
        "buildings": draw(_maybe(st.lists(buildings, max_size=2))),
        "elevators": draw(_maybe(st.lists(elevators, max_size=2))),
        "fatalities_3y": draw(_maybe(st.integers(0, 2))),
        "violations_12m": draw(_maybe(st.integers(0, 3))),
        "penalties_12m": draw(_maybe(st.integers(0, 5))),
    }
    for name in (
        "safety_department",
        "responsibility_system",
        "safety_rules",
        "principal_certified",
        "safety_staff_certified",
        "ppe_provided",
        "risk_register",
        "emergency_plan",
        "uses_gas",
        "gas_alarm",
        "liability_insurance",
    ):
        facts[name] = draw(maybe_bool)
    for name, value in list(facts.items()):
        if isinstance(value, st.SearchStrategy):
            facts[name] = draw(value)
        if isinstance(facts[name], dt.date):
            facts[name] = facts[name].isoformat()
    return facts


@st.composite
def mostly_compliant(draw: st.DrawFn) -> dict[str, Any]:
    """A fully known enterprise that meets most duties, with a few random gaps: grades move
    when one more fact worsens, which is what monotonicity tests need."""
    employees = draw(st.sampled_from([3, 9, 10, 20, 21, 99, 100, 101, 300, 301, 1200]))
    migrants = draw(st.integers(0, employees))
    special = draw(st.integers(0, min(employees, 5)))
    today = AS_OF
    facts: dict[str, Any] = {
        "id": "P1",
        "industry": draw(st.sampled_from(INDUSTRIES)),
        "ownership": draw(st.sampled_from(["state", "private", "individual"])),
        "employees": employees,
        "annual_revenue": draw(st.sampled_from([50, 300, 2000, 50000])),
        "migrant_workers": migrants,
        "safety_department": draw(st.booleans()),
        "full_time_safety_staff": draw(st.integers(0, 2)),
        "part_time_safety_staff": draw(st.integers(0, 2)),
        "workers_trained": employees - draw(st.integers(0, min(employees, 3))),
        "migrant_workers_trained": migrants - draw(st.integers(0, min(migrants, 1))),
        "special_workers": special,
        "special_workers_certified": special - draw(st.integers(0, min(special, 1))),
        "self_inspections_90d": draw(st.integers(1, 8)),
        "last_drill": (today - dt.timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        "hazards": draw(st.lists(hazards(), max_size=2)),
        "buildings": draw(st.lists(buildings.filter(lambda b: None not in b.values()), max_size=1)),
        "elevators": draw(st.lists(elevators.filter(lambda e: None not in e.values()), max_size=1)),
        "accidents_3y": draw(st.integers(0, 1)),
        "fatalities_3y": draw(st.sampled_from([0, 0, 0, 1])),
        "violations_12m": draw(st.integers(0, 2)),
        "penalties_12m": draw(st.integers(0, 4)),
        "confined_spaces": draw(st.booleans()),
        "combustible_dust": draw(st.booleans()),
        "uses_gas": draw(st.booleans()),
    }
    for name in (
        "responsibility_system",
        "safety_rules",
        "principal_certified",
        "safety_staff_certified",
        "ppe_provided",
        "risk_register",
        "emergency_plan",
        "gas_alarm",
        "liability_insurance",
    ):
        facts[name] = draw(st.sampled_from([True, True, True, False]))
    for hazard in facts["hazards"]:
        if hazard["level"] is None:
            hazard["level"] = "general"
    for group in ("buildings", "elevators"):
        for item in facts[group]:
            for key, value in item.items():
                if isinstance(value, dt.date):
                    item[key] = value.isoformat()
    return facts
