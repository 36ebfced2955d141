"""Facts dated after ``as_of`` (R17: they do not count) are read alike by every engine, by
``grade_many``, ``grade_frame`` and a live session's ``put``: a drill, test, inspection or lift
service dated later is not done as of ``as_of``, and a hazard found later is not open yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

import riskgrade
from tests.conftest import AS_OF

LATER = "2099-01-01"
SOON = (AS_OF + dt.timedelta(days=1)).isoformat()


def _unit(compliant: dict[str, Any], day: str) -> dict[str, Any]:
    return {
        **compliant,
        "id": f"F-{day}",
        "last_drill": day,
        "last_onsite_drill": day,
        "last_inspection": day,
        "hazards": [
            {"id": "H1", "level": "major", "found_on": day},
            {"id": "H2", "level": "general", "found_on": "2026-01-05", "rectified_on": day},
        ],
        "buildings": [
            {"id": "B1", "height_m": 60, "residential": False, "fire_alarm_ok": True,
             "sprinklers_ok": True, "fire_water_ok": True, "smoke_control_ok": True,
             "last_fire_test": day, "control_room_staffed": True, "floors": 18},
        ],
        "elevators": [
            {"id": "E1", "registered": True, "commissioned_year": 2020, "last_maintenance": day,
             "last_inspection": day, "inspection_passed": True, "in_use": True,
             "last_self_test": day, "safety_assessed": True},
        ],
    }  # fmt: skip


@pytest.mark.parametrize("day", [LATER, SOON])
def test_dates_after_as_of_are_read_alike_everywhere(
    default_policy: riskgrade.Policy, compliant: dict[str, Any], day: str
) -> None:
    unit = _unit(compliant, day)
    dumps = {}
    for engine in ("durable", "compiled", "python"):
        dumped = default_policy.grade(unit, as_of=AS_OF, engine=engine).model_dump(mode="json")
        dumped.pop("engine")
        dumps[engine] = dumped
    assert dumps["durable"] == dumps["compiled"] == dumps["python"]
    graded = dumps["compiled"]
    rules = {f["rule"] for f in graded["findings"]}
    # a drill, fire test and lift service dated later were not done as of as_of (R17)
    later = {"onsite_drill_overdue", "highrise_fire_test_overdue", "elevator_maintenance_overdue"}
    assert later | {"elevator_inspection_overdue"} <= rules
    # the major hazard found later is not open yet; H2, rectified later, still is (general)
    assert graded["risk_level"] != riskgrade.RiskLevel.RED

    (many,) = default_policy.grade_many([unit], as_of=AS_OF, engine="durable")
    assert not isinstance(many, riskgrade.GradeError)
    assert many.model_dump(mode="json", exclude={"engine"}) == graded

    frame = default_policy.grade_frame(pl.DataFrame([unit]), as_of=AS_OF)
    assert frame.failed.height == 0
    row = frame.results.row(0, named=True)
    level = riskgrade.RiskLevel(graded["risk_level"]).name.lower()
    assert (row["risk_level"], row["duty_grade"]) == (level, graded["duty_grade"])
    assert sorted(row["violations"].split()) == sorted(
        f["rule"] for f in graded["findings"] if f["kind"] == "violation"
    )

    with default_policy.session(as_of=AS_OF) as session:
        put = session.put(unit).after.model_dump(mode="json", exclude={"engine"})
    assert put == graded


def test_a_drill_dated_in_2099_does_not_make_a_unit_compliant(
    default_policy: riskgrade.Policy, compliant: dict[str, Any]
) -> None:
    good = default_policy.grade(compliant, as_of=AS_OF)
    unit = {**compliant, "last_drill": LATER, "last_onsite_drill": LATER}
    later = default_policy.grade(unit, as_of=AS_OF)
    assert "onsite_drill_overdue" not in {f.rule for f in good.findings}
    assert "onsite_drill_overdue" in {f.rule for f in later.findings}
    assert later.duty_grade >= good.duty_grade
