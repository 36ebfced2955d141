"""A generator of district populations for benchmarks (deterministic for a seed).

    python benchmarks/population.py --size 400 --out riskgrade/data/sample_district.jsonl

writes one as JSON Lines (this is how the bundled sample district was made).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

AS_OF = dt.date(2026, 11, 28)
_INDUSTRIES = [
    ("retail", 22),
    ("catering", 18),
    ("manufacturing", 14),
    ("property_management", 8),
    ("wholesale", 6),
    ("hospitality", 5),
    ("entertainment", 4),
    ("warehousing", 4),
    ("construction", 6),
    ("transport", 5),
    ("hazardous_chemicals", 2),
    ("mining", 1),
    ("metal_smelting", 1),
    ("fireworks", 1),
    ("other", 3),
]
_PLACES = [
    ("城南街道", ["南湖社区", "工业园社区", "新桥社区"]),
    ("老城街道", ["老街社区", "阳光社区", "中心社区", "鼓楼社区"]),
    ("城东街道", ["东风社区", "化工园社区", "滨河社区"]),
]
_TIERS = [("state", 0.05, 0.9), ("above", 0.2, 0.75), ("small", 0.75, 0.45)]  # share, compliance


def _day(rng: random.Random, back: int) -> str:
    return (AS_OF - dt.timedelta(days=rng.randint(0, back))).isoformat()


def _v11_facts(facts: dict[str, Any], rng: random.Random, comply: float, unknown: float) -> None:
    """The facts of schema v1.1, from their own random stream so that no v1 fact changed."""
    ok = lambda: rng.random() < comply  # noqa: E731
    maybe = lambda value: None if rng.random() < unknown else value  # noqa: E731
    industry = facts["industry"]
    facts["hazardous_goods"] = maybe(
        industry in ("hazardous_chemicals", "fireworks")
        or (industry in ("retail", "warehousing", "transport") and rng.random() < 0.1)
    )
    facts["safety_investment"] = maybe(ok())
    facts["safety_staff_on_duty"] = maybe(ok() or rng.random() < 0.5)
    facts["rescue_team"] = maybe(ok())
    facts["last_onsite_drill"] = maybe(_day(rng, 150 if ok() else 500))
    facts["canteen_uses_gas"] = maybe(
        industry in ("manufacturing", "construction") and rng.random() < 0.3
    )
    if facts["canteen_uses_gas"]:
        facts["uses_gas"] = True
    deaths = facts["fatalities_3y"]
    facts["worst_accident_deaths_3y"] = deaths if deaths <= 1 or rng.random() < 0.5 else 1
    facts["penalties_180d"] = min(facts["penalties_12m"], rng.choice([0, 0, 1, 2, 3]))
    facts["refused_correction"] = maybe(facts["penalties_12m"] > 0 and rng.random() < 0.15)
    for building in facts["buildings"]:
        building["floors"] = max(1, int(building["height_m"] // 3))
        building["industrial"] = False
    for lift in facts["elevators"]:
        lift["in_use"] = lift["inspection_passed"] or rng.random() < 0.3
        lift["last_self_test"] = _day(rng, 400 if ok() else 800)
        lift["safety_assessed"] = ok()


def enterprise(rng: random.Random, index: int, unknown: float = 0.05) -> dict[str, Any]:
    """One enterprise; state firms comply best, small and micro firms worst."""
    industry = rng.choices([i for i, _ in _INDUSTRIES], [w for _, w in _INDUSTRIES])[0]
    tier, _, comply = rng.choices(_TIERS, [t[1] for t in _TIERS])[0]
    employees = {"state": rng.randint(50, 2000), "above": rng.randint(20, 800)}.get(
        tier, rng.randint(1, 60)
    )
    ok = lambda: rng.random() < comply  # noqa: E731 - a tiny local helper
    maybe = lambda value: None if rng.random() < unknown else value  # noqa: E731
    migrants = rng.randint(0, employees)
    special = rng.randint(0, max(employees // 10, 0))
    facts: dict[str, Any] = {
        "id": f"9131{index:014d}",
        "name": f"单位{index}",
        "industry": industry,
        "ownership": "state"
        if tier == "state"
        else rng.choice(["private", "individual", "collective"]),
        "employees": employees,
        "migrant_workers": migrants,
        "annual_revenue": round(employees * rng.uniform(5, 80), 1),
        "safety_department": maybe(ok() and employees > 50),
        "full_time_safety_staff": maybe(rng.randint(1, 5) if ok() else 0),
        "part_time_safety_staff": maybe(rng.randint(0, 3)),
        "responsibility_system": maybe(ok()),
        "safety_rules": maybe(ok()),
        "principal_certified": maybe(ok()),
        "safety_staff_certified": maybe(ok()),
        "workers_trained": maybe(employees if ok() else rng.randint(0, employees)),
        "migrant_workers_trained": maybe(migrants if ok() else rng.randint(0, migrants)),
        "special_workers": special,
        "special_workers_certified": maybe(special if ok() else rng.randint(0, special)),
        "ppe_provided": maybe(ok()),
        "risk_register": maybe(ok()),
        "self_inspections_90d": maybe(rng.randint(3, 12) if ok() else rng.randint(0, 2)),
        "hazards": [
            {
                "id": f"H{index}-{k}",
                "level": "major" if rng.random() < 0.05 else "general",
                "found_on": _day(rng, 200),
                "deadline": AS_OF.isoformat() if ok() else _day(rng, 30),
                "rectified_on": AS_OF.isoformat() if ok() else None,
            }
            for k in range(rng.randint(0, 3))
        ],
        "emergency_plan": maybe(ok()),
        "last_drill": maybe(_day(rng, 150 if ok() else 700)),
        "uses_gas": industry == "catering" and rng.random() < 0.8,
        "gas_alarm": maybe(ok()),
        "buildings": [],
        "elevators": [],
        "liability_insurance": maybe(ok()),
        "confined_spaces": industry in ("manufacturing", "warehousing") and rng.random() < 0.3,
        "combustible_dust": industry == "manufacturing" and rng.random() < 0.15,
        "accidents_3y": rng.choice([0, 0, 0, 1]),
        "fatalities_3y": 0 if rng.random() < 0.98 else 1,
        "violations_12m": rng.choice([0, 0, 0, 1, 2, 3]),
        "penalties_12m": rng.choice([0, 0, 0, 1, 2]),
    }
    for hazard in facts["hazards"]:  # keep dates ordered
        if hazard["deadline"] < hazard["found_on"]:
            hazard["deadline"] = hazard["found_on"]
        if hazard["rectified_on"] and hazard["rectified_on"] < hazard["found_on"]:
            hazard["rectified_on"] = hazard["found_on"]
    if industry == "property_management":
        facts["buildings"] = [
            {
                "id": f"B{index}-{k}",
                "height_m": rng.choice([18, 30, 54, 80]),
                "residential": True,
                "fire_alarm_ok": ok(),
                "sprinklers_ok": ok(),
                "fire_water_ok": ok(),
                "smoke_control_ok": ok(),
                "last_fire_test": _day(rng, 500),
                "control_room_staffed": ok(),
            }
            for k in range(rng.randint(1, 4))
        ]
        facts["elevators"] = [
            {
                "id": f"E{index}-{k}",
                "registered": ok(),
                "commissioned_year": rng.randint(1998, 2025),
                "last_maintenance": _day(rng, 10 if ok() else 40),
                "last_inspection": _day(rng, 800),
                "inspection_passed": ok(),
            }
            for k in range(rng.randint(1, 6))
        ]
    _v11_facts(facts, random.Random(f"v1.1-{index}"), comply, unknown)
    place = random.Random(f"{index}")  # own stream: adding places changed no other fact
    street, communities = _PLACES[place.randrange(len(_PLACES))]
    facts["street"] = street
    facts["community"] = place.choice(communities)
    facts["last_inspection"] = (
        None if place.random() < 0.25 else _day(place, 400 if tier == "small" else 200)
    )
    return facts


def population(size: int, seed: int = 20261128, unknown: float = 0.05) -> list[dict[str, Any]]:
    """``size`` units; each optional fact is unknown with probability ``unknown`` (the speed
    baseline needs ``unknown=0``)."""
    rng = random.Random(seed)
    return [enterprise(rng, i, unknown) for i in range(size)]


def main() -> None:
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Write a generated district as JSON Lines.")
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--unknown", type=float, default=0.03)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as handle:
        for facts in population(args.size, args.seed, args.unknown):
            handle.write(json.dumps(facts, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
