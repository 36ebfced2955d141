"""The default policy written by hand in plain Python: the speed baseline.

It reads raw dicts and assumes every fact is known (no validation, no unknowns, no findings
objects, no countermeasures): the least work that gives the same risk level, duty grade and
breached rules as the default policy, which ``tests/test_baseline.py`` checks on generated
enterprises with every fact known.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

HIGH_RISK = {
    "mining",
    "metal_smelting",
    "construction",
    "transport",
    "hazardous_chemicals",
    "fireworks",
}
CROWDED = {"retail", "catering", "hospitality", "entertainment"}
SEVERE_INDUSTRY = {"mining", "hazardous_chemicals", "fireworks", "metal_smelting"}
RULES = {  # rule id -> (severity, deduction)
    "staffing_high_risk": ("serious", 15),
    "staffing_over_100": ("serious", 15),
    "staffing_small": ("serious", 15),
    "no_responsibility_system": ("serious", 10),
    "no_safety_rules": ("minor", 5),
    "principal_not_certified": ("serious", 10),
    "workers_untrained": ("serious", 15),
    "some_workers_untrained": ("minor", 5),
    "migrant_workers_untrained": ("serious", 10),
    "special_workers_uncertified": ("serious", 15),
    "no_ppe": ("serious", 10),
    "no_risk_register": ("serious", 10),
    "perfunctory_self_inspection": ("serious", 10),
    "open_major_hazard": ("major", 30),
    "overdue_general_hazard": ("serious", 10),
    "no_emergency_plan": ("serious", 10),
    "drill_overdue": ("serious", 5),
    "gas_alarm_missing": ("serious", 10),
    "highrise_fire_system_failed": ("serious", 15),
    "highrise_fire_test_overdue": ("minor", 5),
    "highrise_control_room_unstaffed": ("serious", 10),
    "elevator_unregistered": ("serious", 10),
    "elevator_maintenance_overdue": ("serious", 10),
    "elevator_inspection_overdue": ("serious", 10),
    "no_liability_insurance": ("serious", 10),
    "confined_space_uncontrolled": ("serious", 10),
    "combustible_dust_uncontrolled": ("serious", 10),
    "repeated_violations": ("serious", 10),
    "closure_conditions": ("major", 20),
}
LEVELS = ("blue", "yellow", "orange", "red")
READS = (
    "industry",
    "employees",
    "safety_department",
    "full_time_safety_staff",
    "part_time_safety_staff",
    "responsibility_system",
    "safety_rules",
    "principal_certified",
    "safety_staff_certified",
    "workers_trained",
    "migrant_workers",
    "migrant_workers_trained",
    "special_workers",
    "special_workers_certified",
    "ppe_provided",
    "risk_register",
    "self_inspections_90d",
    "hazards",
    "emergency_plan",
    "last_drill",
    "uses_gas",
    "gas_alarm",
    "buildings",
    "elevators",
    "liability_insurance",
    "confined_spaces",
    "combustible_dust",
    "violations_12m",
    "penalties_12m",
    "fatalities_3y",
)
"""The facts the baseline reads: it needs every one of them known."""


def _days(as_of: dt.date, text: str) -> int:
    return (as_of - dt.date.fromisoformat(text)).days


def _tall(b: dict[str, Any]) -> bool:
    return b["height_m"] > 27 if b["residential"] else b["height_m"] > 24


def breached(e: dict[str, Any], as_of: dt.date) -> list[str]:
    """The rules the unit breaches, in policy order."""
    industry, emp = e["industry"], e["employees"]
    high = industry in HIGH_RISK
    full = e["safety_department"] or e["full_time_safety_staff"] > 0
    untrained = emp - e["workers_trained"]
    hazards, buildings, lifts = e["hazards"], e["buildings"], e["elevators"]
    open_major = sum(1 for h in hazards if h["level"] == "major" and h["rectified_on"] is None)
    overdue = any(
        h["level"] == "general"
        and h["rectified_on"] is None
        and dt.date.fromisoformat(h["deadline"]) < as_of
        for h in hazards
    )
    checks = {
        "staffing_high_risk": high and not full,
        "staffing_over_100": not high and emp > 100 and not full,
        "staffing_small": not high and emp <= 100 and not (full or e["part_time_safety_staff"] > 0),
        "no_responsibility_system": not e["responsibility_system"],
        "no_safety_rules": not e["safety_rules"],
        "principal_not_certified": high
        and not (e["principal_certified"] and e["safety_staff_certified"]),
        "workers_untrained": untrained > 0 and untrained * 4 >= emp,
        "some_workers_untrained": untrained > 0 and untrained * 4 < emp,
        "migrant_workers_untrained": e["migrant_workers"] - e["migrant_workers_trained"] > 0,
        "special_workers_uncertified": e["special_workers_certified"] < e["special_workers"],
        "no_ppe": not e["ppe_provided"],
        "no_risk_register": not e["risk_register"],
        "perfunctory_self_inspection": e["self_inspections_90d"] < 3,
        "open_major_hazard": open_major > 0,
        "overdue_general_hazard": overdue,
        "no_emergency_plan": not e["emergency_plan"],
        "drill_overdue": _days(as_of, e["last_drill"])
        > (183 if high or industry in CROWDED else 365),
        "gas_alarm_missing": industry == "catering" and e["uses_gas"] and not e["gas_alarm"],
        "highrise_fire_system_failed": any(
            _tall(b)
            and not (
                b["fire_alarm_ok"]
                and b["sprinklers_ok"]
                and b["fire_water_ok"]
                and b["smoke_control_ok"]
            )
            for b in buildings
        ),
        "highrise_fire_test_overdue": any(
            _tall(b) and _days(as_of, b["last_fire_test"]) > 365 for b in buildings
        ),
        "highrise_control_room_unstaffed": any(
            _tall(b) and not b["control_room_staffed"] for b in buildings
        ),
        "elevator_unregistered": any(not lift["registered"] for lift in lifts),
        "elevator_maintenance_overdue": any(
            _days(as_of, lift["last_maintenance"]) > 15 for lift in lifts
        ),
        "elevator_inspection_overdue": any(
            lift["inspection_passed"] is False
            or _days(as_of, lift["last_inspection"]) > 730
            or (
                as_of.year - lift["commissioned_year"] >= 15
                and _days(as_of, lift["last_inspection"]) > 365
            )
            for lift in lifts
        ),
        "no_liability_insurance": high and not e["liability_insurance"],
        "confined_space_uncontrolled": e["confined_spaces"] and not e["risk_register"],
        "combustible_dust_uncontrolled": e["combustible_dust"]
        and (not e["risk_register"] or e["self_inspections_90d"] < 3),
        "repeated_violations": e["violations_12m"] >= 2,
        "closure_conditions": open_major > 0 and e["penalties_12m"] >= 4,
    }
    return [rule for rule, hit in checks.items() if hit]


def grade(e: dict[str, Any], as_of: dt.date) -> tuple[str, str, list[str]]:
    """(risk level, duty grade, breached rules) for a unit whose facts are all known."""
    rules = breached(e, as_of)
    severities = [RULES[r][0] for r in rules]
    score = max(100 - sum(RULES[r][1] for r in rules), 0)
    grade = "A" if score >= 90 else "B" if score >= 75 else "C" if score >= 60 else "D"
    if "major" in severities:
        grade = max(grade, "C")
    elif "serious" in severities:
        grade = max(grade, "B")
    serious = severities.count("serious")
    industry, emp = e["industry"], e["employees"]
    high, crowded = industry in HIGH_RISK, industry in CROWDED
    likelihood = (
        10
        if "major" in severities
        else 6
        if serious >= 2
        else 3
        if serious
        else 1
        if "minor" in severities
        else 0.5
    )
    exposure = (
        10 if high and emp > 100 else 6 if high or emp > 300 else 3 if emp > 20 or crowded else 2
    )
    if industry in SEVERE_INDUSTRY:
        consequence = 40
    elif (
        high
        or emp > 300
        or e["confined_spaces"]
        or e["combustible_dust"]
        or any(b["height_m"] > 24 for b in e["buildings"])
    ):
        consequence = 15
    elif crowded or emp > 100 or e["elevators"]:
        consequence = 7
    else:
        consequence = 3
    d = likelihood * exposure * consequence
    level = 3 if d > 320 else 2 if d >= 160 else 1 if d >= 70 else 0
    if "open_major_hazard" in rules:
        level = 3
    if e["fatalities_3y"] > 0:
        level = max(level, 2)
    return LEVELS[level], grade, rules
