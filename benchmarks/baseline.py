"""A hand-written plain-Python grading of the default policy's rules (the speed baseline).

It evaluates the same rule conditions, LEC factors and overrides with ordinary ``if``
statements over the raw dicts, reading an unknown fact as "breached" where the policy does, but
without validation, derived-fact machinery, data-gap findings or traces. It is a yardstick for
cost, not a second implementation: equality with the policy is not claimed here.
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
DEDUCTIONS = {"serious": 10, "minor": 5, "major": 30}


def _not(value: Any) -> bool:
    return value is None or not value


def _days(as_of: dt.date, text: str | None) -> int | None:
    return None if text is None else (as_of - dt.date.fromisoformat(text)).days


def grade(e: dict[str, Any], as_of: dt.date) -> tuple[str, float, list[str]]:
    found: list[tuple[str, str]] = []
    industry, employees = e["industry"], e["employees"]
    high = industry in HIGH_RISK
    has_full = bool(e.get("safety_department")) or (e.get("full_time_safety_staff") or 0) > 0
    if high and not has_full:
        found.append(("staffing_high_risk", "serious"))
    elif employees > 100 and not has_full:
        found.append(("staffing_over_100", "serious"))
    elif employees <= 100 and not has_full and not (e.get("part_time_safety_staff") or 0) > 0:
        found.append(("staffing_small", "serious"))
    for fact, rule, severity in (
        ("responsibility_system", "no_responsibility_system", "serious"),
        ("safety_rules", "no_safety_rules", "minor"),
        ("ppe_provided", "no_ppe", "serious"),
        ("risk_register", "no_risk_register", "serious"),
        ("emergency_plan", "no_emergency_plan", "serious"),
    ):
        if _not(e.get(fact)):
            found.append((rule, severity))
    if high and not (e.get("principal_certified") and e.get("safety_staff_certified")):
        found.append(("principal_not_certified", "serious"))
    trained = e.get("workers_trained")
    untrained = employees - trained if trained is not None else employees
    if untrained > 0 and untrained * 4 >= employees:
        found.append(("workers_untrained", "serious"))
    elif untrained > 0:
        found.append(("some_workers_untrained", "minor"))
    migrants, migrants_trained = e.get("migrant_workers"), e.get("migrant_workers_trained")
    if migrants is None or migrants_trained is None or migrants_trained < migrants:
        if migrants != 0:
            found.append(("migrant_workers_untrained", "serious"))
    special, certified = e.get("special_workers"), e.get("special_workers_certified")
    if special is None or certified is None or certified < special:
        found.append(("special_workers_uncertified", "serious"))
    inspections = e.get("self_inspections_90d")
    if inspections is None or inspections < 3:
        found.append(("perfunctory_self_inspection", "serious"))
    hazards = e.get("hazards") or []
    open_major = sum(
        1 for h in hazards if h.get("level") == "major" and h.get("rectified_on") is None
    )
    if open_major:
        found.append(("open_major_hazard", "major"))
    if any(
        h.get("level") == "general"
        and h.get("rectified_on") is None
        and dt.date.fromisoformat(h["deadline"]) < as_of
        for h in hazards
    ):
        found.append(("overdue_general_hazard", "serious"))
    interval = 183 if high or industry in CROWDED else 365
    days = _days(as_of, e.get("last_drill"))
    if days is None or days > interval:
        found.append(("drill_overdue", "serious"))
    if industry == "catering" and e.get("uses_gas") and _not(e.get("gas_alarm")):
        found.append(("gas_alarm_missing", "serious"))
    for b in e.get("buildings") or []:
        tall = (b["residential"] and b["height_m"] > 27) or (
            not b["residential"] and b["height_m"] > 24
        )
        if tall and not (
            b["fire_alarm_ok"]
            and b["sprinklers_ok"]
            and b["fire_water_ok"]
            and b["smoke_control_ok"]
        ):
            found.append(("highrise_fire_system_failed", "serious"))
            break
    for lift in e.get("elevators") or []:
        if (_days(as_of, lift["last_maintenance"]) or 0) > 15:
            found.append(("elevator_maintenance_overdue", "serious"))
            break
    if (e.get("violations_12m") or 0) >= 2:
        found.append(("repeated_violations", "serious"))
    score = 100.0 - sum(DEDUCTIONS[s] for _, s in found)
    serious = sum(1 for _, s in found if s == "serious")
    likelihood = (
        10 if any(s == "major" for _, s in found) else 6 if serious >= 2 else 3 if serious else 0.5
    )
    exposure = (
        10
        if high and employees > 100
        else 6
        if high or employees > 300
        else 3
        if employees > 20
        else 2
    )
    consequence = (
        40
        if industry in {"mining", "hazardous_chemicals", "fireworks", "metal_smelting"}
        else 15
        if high
        else 7
    )
    d = likelihood * exposure * consequence
    level = (
        "red"
        if d > 320 or open_major
        else "orange"
        if d >= 160
        else "yellow"
        if d >= 70
        else "blue"
    )
    if (e.get("fatalities_3y") or 0) > 0 and level in ("blue", "yellow"):
        level = "orange"
    return level, score, [rule for rule, _ in found]
