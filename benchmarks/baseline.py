"""The default policy written by hand in plain Python: the speed baseline.

It follows default policy v2 (inherent risk x management through the stated matrix). It reads
raw dicts and assumes every fact is known (no validation, no unknowns, no findings
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
TOP_TIER = {"mining", "metal_smelting", "hazardous_chemicals", "fireworks"}
CHEMICALS = {"hazardous_chemicals", "fireworks"}
INDUSTRY_TRADE = {"metal_smelting", "manufacturing", "warehousing", "wholesale", "retail"}
CROWDED = {"retail", "catering", "hospitality", "entertainment"}
GAS_VENUES = {"catering", "hospitality", "entertainment"}
GENERAL = {"manufacturing", "warehousing", "catering", "hospitality", "entertainment"}
GENERAL |= {"property_management"}
DRILL_6M = {"mining", "metal_smelting", "construction", "hazardous_chemicals", "fireworks"}
DRILL_6M |= {"hospitality", "entertainment"}
RESCUE = {"mining", "metal_smelting", "construction", "hazardous_chemicals", "fireworks"}
RULES = {  # rule id -> (severity, deduction)
    "staffing_high_risk": ("serious", 15),
    "staffing_over_100": ("serious", 15),
    "staffing_small": ("serious", 15),
    "safety_staff_nominal": ("serious", 10),
    "no_responsibility_system": ("serious", 10),
    "no_safety_rules": ("minor", 5),
    "insufficient_safety_investment": ("serious", 10),
    "principal_uncertified_smelting": ("major", 20),
    "principal_uncertified_chemicals": ("major", 20),
    "principal_uncertified_construction": ("major", 20),
    "principal_not_certified": ("serious", 10),
    "workers_untrained": ("serious", 15),
    "some_workers_untrained": ("minor", 5),
    "migrant_workers_untrained": ("serious", 10),
    "uncertified_special_ops_industry_trade": ("major", 20),
    "uncertified_special_ops_chemicals": ("major", 20),
    "uncertified_special_ops_construction": ("major", 20),
    "special_workers_uncertified": ("serious", 15),
    "no_ppe": ("serious", 10),
    "no_risk_register": ("serious", 10),
    "perfunctory_self_inspection": ("serious", 10),
    "open_major_hazard": ("major", 30),
    "overdue_general_hazard": ("serious", 10),
    "unclassified_hazard_overdue": ("serious", 10),
    "no_emergency_plan": ("serious", 10),
    "drill_overdue": ("serious", 5),
    "onsite_drill_overdue": ("minor", 5),
    "no_rescue_team": ("serious", 10),
    "gas_alarm_missing": ("serious", 10),
    "canteen_gas_alarm_missing": ("serious", 10),
    "highrise_fire_system_failed": ("serious", 15),
    "highrise_fire_test_overdue": ("minor", 5),
    "highrise_control_room_unstaffed": ("serious", 10),
    "elevator_unregistered": ("serious", 10),
    "elevator_maintenance_overdue": ("serious", 10),
    "elevator_inspection_overdue": ("serious", 10),
    "elevator_failed_inspection": ("serious", 10),
    "elevator_failed_in_use": ("major", 20),
    "elevator_self_test_overdue": ("minor", 5),
    "old_elevator_unassessed": ("minor", 5),
    "no_liability_insurance": ("serious", 10),
    "confined_space_uncontrolled": ("serious", 10),
    "combustible_dust_uncontrolled": ("serious", 10),
    "fatal_accident_3y": ("serious", 10),
    "repeated_violations": ("serious", 10),
    "refused_correction": ("serious", 15),
    "closure_conditions": ("major", 20),
}
LEVELS = ("blue", "yellow", "orange", "red")
MATRIX = {  # inherent tier S -> level index for management level L = 1..5
    5: (2, 2, 3, 3, 3),
    4: (1, 1, 2, 2, 3),
    3: (0, 1, 2, 2, 3),
    2: (0, 1, 1, 2, 3),
    1: (0, 0, 1, 1, 3),
}
READS = (
    "industry",
    "employees",
    "annual_revenue",
    "safety_department",
    "full_time_safety_staff",
    "part_time_safety_staff",
    "safety_staff_on_duty",
    "responsibility_system",
    "safety_rules",
    "safety_investment",
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
    "last_onsite_drill",
    "rescue_team",
    "hazardous_goods",
    "uses_gas",
    "gas_alarm",
    "canteen_uses_gas",
    "buildings",
    "elevators",
    "liability_insurance",
    "confined_spaces",
    "combustible_dust",
    "violations_12m",
    "penalties_12m",
    "penalties_180d",
    "refused_correction",
    "fatalities_3y",
    "worst_accident_deaths_3y",
)
"""The facts the baseline reads: it needs every one of them known."""


def _days(as_of: dt.date, text: str) -> int:
    return (as_of - dt.date.fromisoformat(text)).days


def _highrise(b: dict[str, Any]) -> bool:
    """A high-rise civil building (GB 50016 §2.1.1)."""
    if b["industrial"] or b["floors"] <= 1:
        return False
    return b["height_m"] > 27 or (b["height_m"] > 24 and not b["residential"])


def _open(h: dict[str, Any], as_of: dt.date) -> bool:
    found = dt.date.fromisoformat(h["found_on"])
    fixed = h["rectified_on"]
    return found <= as_of and (fixed is None or dt.date.fromisoformat(fixed) > as_of)


def _overdue(h: dict[str, Any], as_of: dt.date) -> bool:
    if h["deadline"] is None:
        return dt.date.fromisoformat(h["found_on"]) < as_of
    return dt.date.fromisoformat(h["deadline"]) < as_of


def _late(as_of: dt.date, text: str, days: int) -> bool:
    """Not done within ``days`` before ``as_of`` (a date after ``as_of`` does not count)."""
    return _days(as_of, text) > days or _days(as_of, text) < 0


def _inspection_overdue(lift: dict[str, Any], as_of: dt.date) -> bool:
    age = as_of.year - lift["commissioned_year"]
    return _late(as_of, lift["last_inspection"], 1095 if age <= 7 else 730 if age <= 15 else 365)


def breached(e: dict[str, Any], as_of: dt.date) -> list[str]:
    """The rules the unit breaches, in policy order."""
    industry, emp = e["industry"], e["employees"]
    goods = e["hazardous_goods"]
    high = industry in HIGH_RISK or goods
    full = e["safety_department"] or e["full_time_safety_staff"] > 0
    anyone = full or e["part_time_safety_staff"] > 0
    untrained = emp - e["workers_trained"]
    hazards, buildings, lifts = e["hazards"], e["buildings"], e["elevators"]
    open_major = sum(1 for h in hazards if h["level"] == "major" and _open(h, as_of))
    overdue = any(
        h["level"] == "general" and _open(h, as_of) and _overdue(h, as_of) for h in hazards
    )
    tested = e["principal_certified"] and e["safety_staff_certified"]
    uncertified = e["special_workers_certified"] < e["special_workers"]
    chemicals = industry in CHEMICALS or (
        goods and industry not in {"mining", "metal_smelting", "construction"}
    )
    trade = industry in INDUSTRY_TRADE and not chemicals
    six_months = (
        industry in DRILL_6M or goods or (industry == "retail" and _size(e) in ("large", "medium"))
    )
    micro = _size(e) == "micro"
    tall = [b for b in buildings if _highrise(b)]
    plain = not (e["uses_gas"] or e["combustible_dust"] or e["confined_spaces"] or lifts or tall)
    single_risk = micro and not high and not six_months and plain
    checks = {
        "staffing_high_risk": high and not full,
        "staffing_over_100": not high and emp > 100 and not full,
        "staffing_small": not high and emp <= 100 and not anyone,
        "safety_staff_nominal": not e["safety_staff_on_duty"]
        and (full or (not high and emp <= 100 and e["part_time_safety_staff"] > 0)),
        "no_responsibility_system": not e["responsibility_system"],
        "no_safety_rules": not e["safety_rules"],
        "insufficient_safety_investment": not e["safety_investment"],
        "principal_uncertified_smelting": industry == "metal_smelting" and not tested,
        "principal_uncertified_chemicals": chemicals and not tested,
        "principal_uncertified_construction": industry == "construction" and not tested,
        "principal_not_certified": high
        and not chemicals
        and industry not in {"metal_smelting", "construction"}
        and not tested,
        "workers_untrained": untrained > 0 and untrained * 4 >= emp,
        "some_workers_untrained": untrained > 0 and untrained * 4 < emp,
        "migrant_workers_untrained": e["migrant_workers"] - e["migrant_workers_trained"] > 0,
        "uncertified_special_ops_industry_trade": trade and uncertified,
        "uncertified_special_ops_chemicals": chemicals and uncertified,
        "uncertified_special_ops_construction": industry == "construction" and uncertified,
        "special_workers_uncertified": industry not in INDUSTRY_TRADE
        and not chemicals
        and industry != "construction"
        and uncertified,
        "no_ppe": not e["ppe_provided"],
        "no_risk_register": not e["risk_register"],
        "perfunctory_self_inspection": e["self_inspections_90d"] < 3,
        "open_major_hazard": open_major > 0,
        "overdue_general_hazard": overdue,
        "unclassified_hazard_overdue": any(
            h["level"] is None and _open(h, as_of) and _overdue(h, as_of) for h in hazards
        ),
        "no_emergency_plan": not e["emergency_plan"],
        "drill_overdue": not single_risk
        and _late(as_of, e["last_drill"], 183 if six_months else 365),
        "onsite_drill_overdue": _late(as_of, e["last_onsite_drill"], 183)
        and _late(as_of, e["last_drill"], 183),
        "no_rescue_team": (industry in RESCUE or goods) and not e["rescue_team"],
        "gas_alarm_missing": industry in GAS_VENUES and e["uses_gas"] and not e["gas_alarm"],
        "canteen_gas_alarm_missing": industry not in GAS_VENUES
        and e["canteen_uses_gas"]
        and not e["gas_alarm"],
        "highrise_fire_system_failed": any(
            not (
                b["fire_alarm_ok"]
                and b["sprinklers_ok"]
                and b["fire_water_ok"]
                and b["smoke_control_ok"]
            )
            for b in tall
        ),
        "highrise_fire_test_overdue": any(_late(as_of, b["last_fire_test"], 365) for b in tall),
        "highrise_control_room_unstaffed": any(not b["control_room_staffed"] for b in tall),
        "elevator_unregistered": any(not lift["registered"] for lift in lifts),
        "elevator_maintenance_overdue": any(
            _late(as_of, lift["last_maintenance"], 15) for lift in lifts
        ),
        "elevator_inspection_overdue": any(_inspection_overdue(lift, as_of) for lift in lifts),
        "elevator_failed_inspection": any(lift["inspection_passed"] is False for lift in lifts),
        "elevator_failed_in_use": any(
            lift["inspection_passed"] is False and lift["in_use"] for lift in lifts
        ),
        "elevator_self_test_overdue": any(
            as_of.year - lift["commissioned_year"] >= 1
            and _days(as_of, lift["last_inspection"]) > 365
            and _late(as_of, lift["last_self_test"], 365)
            for lift in lifts
        ),
        "old_elevator_unassessed": any(
            as_of.year - lift["commissioned_year"] > 15 and not lift["safety_assessed"]
            for lift in lifts
        ),
        "no_liability_insurance": high and not e["liability_insurance"],
        "confined_space_uncontrolled": e["confined_spaces"] and not e["risk_register"],
        "combustible_dust_uncontrolled": e["combustible_dust"]
        and (not e["risk_register"] or e["self_inspections_90d"] < 3),
        "fatal_accident_3y": e["fatalities_3y"] > 0,  # worst <= fatalities when both are known
        "repeated_violations": e["violations_12m"] >= 2,
        "refused_correction": e["refused_correction"],
        "closure_conditions": open_major > 0
        and (e["penalties_180d"] >= 3 or e["penalties_12m"] >= 4),
    }
    return [rule for rule, hit in checks.items() if hit]


_FLOORS = {  # MIIT 2011 floors (staff, revenue in 10k yuan) for large, medium, small
    "industry": ((1000, 40000), (300, 2000), (20, 300)),
    "construction": ((0, 80000), (0, 6000), (0, 300)),
    "transport": ((1000, 30000), (300, 3000), (20, 200)),
    "warehousing": ((200, 30000), (100, 1000), (20, 100)),
    "wholesale": ((200, 40000), (20, 5000), (5, 1000)),
    "retail": ((300, 20000), (50, 500), (10, 100)),
    "hotels": ((300, 10000), (100, 2000), (10, 100)),
    "property_management": ((1000, 5000), (300, 1000), (100, 500)),
    "other": ((300, 0), (100, 0), (10, 0)),
}
_GROUP = {"mining": "industry", "metal_smelting": "industry", "manufacturing": "industry"}
_GROUP |= {"hazardous_chemicals": "industry", "fireworks": "industry", "catering": "hotels"}
_GROUP |= {"hospitality": "hotels", "entertainment": "other"}


def _size(e: dict[str, Any]) -> str:
    """The size class: the ledger's, else from the MIIT 2011 table."""
    if e.get("size") is not None:
        return e["size"]
    floors = _FLOORS[_GROUP.get(e["industry"], e["industry"])]
    revenue = e["annual_revenue"]
    for name, (staff, money) in zip(("large", "medium", "small"), floors, strict=True):
        if e["employees"] >= staff and revenue >= money:
            return name
    return "micro"


def _inherent(e: dict[str, Any]) -> int:
    """The inherent risk tier S (1-5)."""
    industry, emp = e["industry"], e["employees"]
    if industry in TOP_TIER or e["hazardous_goods"]:
        return 5
    if industry in {"construction", "transport"}:
        return 4
    if emp > 300 or e["combustible_dust"] or e["confined_spaces"]:
        return 3
    if any(_highrise(b) for b in e["buildings"]) or (industry in CROWDED and emp > 100):
        return 3
    if industry in GENERAL or emp > 100 or e["uses_gas"] or e["elevators"]:
        return 2
    return 1


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
    management = 5 if "major" in severities else "ABCD".index(grade) + 1
    level = MATRIX[_inherent(e)][management - 1]
    if "open_major_hazard" in rules or e["worst_accident_deaths_3y"] >= 3:
        level = 3
    if e["fatalities_3y"] > 0:
        level = max(level, 2)
    return LEVELS[level], grade, rules
