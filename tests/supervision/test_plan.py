"""The inspection plan: capacity, caps, colour order, overdue order and the capacity gap.

Every property is re-derived here from the visits alone (when each unit was due and whether
its cap allowed a visit), not read from the scheduler's own bookkeeping."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.errors import SettingsError
from riskgrade.supervision.plan import Plan, make_plan, working_days, write_plan
from riskgrade.supervision.settings import (
    SupervisionSettings,
    Unit,
    default_settings_path,
    grade_units,
    load_settings,
)
from tests.conftest import AS_OF, examples

START = dt.date(2026, 11, 30)  # a Monday
SETTINGS = load_settings()
YEAR = dt.timedelta(days=365)


def _interval(unit: Unit, s: SupervisionSettings) -> dt.timedelta:
    return dt.timedelta(days=s.inspection.every_days.of(unit.level))


def _under_cap(history: list[dt.date], day: dt.date, cap: int) -> bool:
    return sum(1 for d in history if day - YEAR < d <= day) < cap


def check_plan(plan: Plan, units: list[Unit], s: SupervisionSettings) -> None:
    """Capacity, caps, readiness, colour-then-overdue order and no idle capacity."""
    per_day, inspectors = plan.per_day, plan.inspectors
    days = plan.days
    assert all(d.weekday() < 5 for d in days)
    visits_on: dict[dt.date, list[Unit]] = defaultdict(list)
    load: dict[tuple[dt.date, int], int] = defaultdict(int)
    for visit in plan.visits:
        assert visit.day in days
        assert 1 <= visit.inspector <= inspectors
        load[visit.day, visit.inspector] += 1
        visits_on[visit.day].append(visit.unit)
    assert all(n <= per_day for n in load.values())
    assert all(len(v) <= inspectors * per_day for v in visits_on.values())

    history: dict[str, list[dt.date]] = {
        u.id: [u.last_inspection] if u.last_inspection else [] for u in units
    }
    due: dict[str, dt.date | None] = {
        u.id: s.inspection.due(u.last_inspection, _interval(u, s)) if u.last_inspection else None
        for u in units
    }
    for day in days:
        ready = {
            u.id: u
            for u in units
            if (due[u.id] is None or due[u.id] <= day)  # type: ignore[operator]
            and _under_cap(history[u.id], day, s.cap(u))
        }
        todays = visits_on.get(day, [])
        assert len({u.id for u in todays}) == len(todays), "a unit twice in one day"
        for unit in todays:
            assert unit.id in ready, f"{unit.id} inspected on {day} before it was due"
        waiting = [u for uid, u in ready.items() if uid not in {v.id for v in todays}]
        if waiting:
            assert len(todays) == inspectors * per_day, "capacity left idle while units wait"

        def key(u: Unit) -> tuple[int, int]:
            d = due[u.id]
            return (-int(u.level), d.toordinal() if d else 0)

        for served in todays:
            for other in waiting:
                assert served.level >= other.level, (
                    f"{day}: {served.level.name} served while {other.level.name} waits"
                )
                assert key(served) <= key(other), f"{day}: a less overdue unit went first"
        for unit in todays:
            history[unit.id].append(day)
            due[unit.id] = s.inspection.due(day, _interval(unit, s))
    for unit in units:  # caps over any 365 days, the last inspection included
        dates = sorted(history[unit.id])
        for i, day in enumerate(dates):
            assert sum(1 for d in dates[: i + 1] if d > day - YEAR) <= max(s.cap(unit), 1)
    assert plan.needed_inspector_days == math.ceil(plan.demanded / per_day)
    assert plan.available_inspector_days == inspectors * len(days)
    assert len(plan.visits) <= plan.demanded
    gap = max(0, plan.needed_inspector_days - plan.available_inspector_days)
    assert plan.gap_inspector_days == gap
    assert plan.extra_inspectors == math.ceil(gap / len(days))
    assert sum(c.scheduled for c in plan.by_level.values()) == len(plan.visits)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    inspectors=st.integers(0, 4),
    days=st.integers(1, 45),
    per_day=st.integers(1, 5),
)
def test_plans_respect_capacity_caps_and_order(
    district: list[Unit], data: st.DataObject, inspectors: int, days: int, per_day: int
) -> None:
    picked = data.draw(st.lists(st.sampled_from(district), min_size=1, max_size=60, unique_by=id))
    units = [
        dataclasses.replace(
            unit,
            last_inspection=data.draw(
                st.none() | st.dates(START - dt.timedelta(days=500), START - dt.timedelta(days=1))
            ),
        )
        for unit in picked
    ]
    plan = make_plan(
        units, inspectors=inspectors, days=days, start=START, settings=SETTINGS, per_day=per_day
    )
    check_plan(plan, units, SETTINGS)


def test_enough_people_means_no_gap(district: list[Unit]) -> None:
    plan = make_plan(district, inspectors=len(district), days=30, start=START, settings=SETTINGS)
    assert plan.gap_inspector_days == 0 and plan.extra_inspectors == 0
    assert len(plan.visits) == plan.demanded and not plan.unmet
    check_plan(plan, district, SETTINGS)


def test_the_sample_district_has_a_gap_for_two_inspectors(district: list[Unit]) -> None:
    plan = make_plan(district, inspectors=2, days=20, start=START, settings=SETTINGS)
    check_plan(plan, district, SETTINGS)
    assert plan.demanded > plan.available_inspector_days * plan.per_day
    assert plan.extra_inspectors >= 1
    # The extra inspectors the plan asks for are enough to serve every demanded visit count.
    more = make_plan(
        district,
        inspectors=2 + plan.extra_inspectors,
        days=20,
        start=START,
        settings=SETTINGS,
    )
    assert more.gap_inspector_days == 0
    assert plan.by_level["red"].scheduled == plan.by_level["red"].demanded  # red served first


def test_caps_stop_visits_even_with_spare_capacity(district: list[Unit]) -> None:
    red = next(u for u in district if u.level.name == "RED" and u.industry == "retail")
    unit = dataclasses.replace(red, last_inspection=START - dt.timedelta(days=61))
    tight = SETTINGS.model_copy(
        update={
            "inspection": SETTINGS.inspection.model_copy(
                update={
                    "yearly_caps": SETTINGS.inspection.yearly_caps.model_copy(
                        update={"default": SETTINGS.inspection.yearly_caps.default.model_copy(
                            update={"red": 2}
                        )}
                    )
                }
            )
        }
    )  # fmt: skip
    plan = make_plan([unit], inspectors=1, days=260, start=START, settings=tight)
    dates = [v.day for v in plan.visits]
    check_plan(plan, [unit], tight)
    assert len(dates) >= 2
    window = [d for d in dates if d < unit.last_inspection + YEAR]  # type: ignore[operator]
    assert len(window) == 1  # the last inspection plus one visit fill the cap of 2


def test_working_days_skip_weekends_and_holidays() -> None:
    days = working_days(dt.date(2026, 12, 31), 3, [dt.date(2027, 1, 1)])
    assert days == [dt.date(2026, 12, 31), dt.date(2027, 1, 4), dt.date(2027, 1, 5)]


def test_plan_files(district: list[Unit], tmp_path: Path) -> None:
    plan = make_plan(district, inspectors=2, days=5, start=START, settings=SETTINGS)
    write_plan(plan, tmp_path / "plan.csv", "zh")
    with (tmp_path / "plan.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["日期", "检查员", "统一社会信用代码"]
    assert len(rows) == 1 + len(plan.visits)
    assert (tmp_path / "plan.summary.csv").exists()
    openpyxl = pytest.importorskip("openpyxl")
    write_plan(plan, tmp_path / "plan.xlsx", "en")
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames == ["plan", "summary"]
    assert book["plan"].max_row == 1 + len(plan.visits)
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_plan(plan, tmp_path / "plan.txt")


def test_bad_settings_are_located(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "inspection:\n"
        "  every_days: {red: 60, orange: 90, yelow: 180, blue: 365}\n"
        "  yearly_caps:\n"
        "    default: {blue: 1, yellow: 2, orange: 4, red: -6}\n"
        "    high_risk: {blue: 2, yellow: 4, orange: 6, red: 12}\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    text = str(info.value)
    assert "supervision settings file has 2 problems" in text
    assert "missing required key" not in text  # the misspelt key is one problem, not two
    assert f"{path}:2:44: RG101 unknown key 'yelow' (did you mean 'yellow'?)" in text
    assert f"{path}:4:51: RG101 inspection.yearly_caps.default.red" in text


def _periods(*periods: dict[str, object]) -> SupervisionSettings:
    inspection = SETTINGS.inspection.model_validate(
        {**SETTINGS.inspection.model_dump(), "key_periods": list(periods)}
    )
    return SETTINGS.model_copy(update={"inspection": inspection})


def test_key_periods_shorten_the_interval_while_they_last() -> None:
    name = {"zh": "春节", "en": "Spring Festival"}
    s = _periods({"name": name, "start": "2027-01-10", "end": "2027-02-20", "interval_factor": 0.5})
    due = s.inspection.due
    last, ninety = dt.date(2026, 11, 1), dt.timedelta(days=90)
    # halved: 45 days after the last inspection falls before the period, so due when it opens
    assert due(last, ninety) == dt.date(2027, 1, 10)
    assert due(dt.date(2026, 12, 1), ninety) == dt.date(2027, 1, 15)  # 45 days, inside it
    # a unit inspected inside the period is due again 45 days later, still inside it
    assert due(dt.date(2027, 1, 2), ninety) == dt.date(2027, 2, 16)
    # a shortened due date after the period's end does not count: the normal interval does
    assert due(dt.date(2027, 1, 20), ninety) == dt.date(2027, 4, 20)
    # outside any period, nothing changes
    assert due(dt.date(2027, 6, 1), ninety) == dt.date(2027, 8, 30)
    assert _periods().inspection.due(last, ninety) == last + ninety


def test_a_key_period_raises_the_inspections_called_for(district: list[Unit]) -> None:
    calm = _periods()
    busy = _periods(
        {
            "name": {"zh": "两会", "en": "NPC session"},
            "start": "2026-12-07",
            "end": "2026-12-31",
            "interval_factor": 0.5,
        }
    )
    plain = make_plan(district, inspectors=3, days=20, start=START, settings=calm)
    keyed = make_plan(district, inspectors=3, days=20, start=START, settings=busy)
    check_plan(keyed, district, busy)
    assert keyed.demanded > plain.demanded


def test_settings_refuse_a_second_high_risk_list(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    text = (
        default_settings_path()
        .read_text(encoding="utf-8")
        .replace("  per_day: 4", "  high_risk_industries: [mining]\n  per_day: 4")
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="policy's own high_risk fact"):
        load_settings(path)


def test_high_risk_caps_follow_the_policy(district: list[Unit]) -> None:
    """The policy's high_risk fact (Art. 24 industries and hazardous goods) picks the caps."""
    policy = riskgrade.load_policy()
    shop = {"id": "G1", "industry": "retail", "employees": 8, "hazardous_goods": True}
    units, _ = grade_units(policy, [shop, {**shop, "id": "G2", "hazardous_goods": False}], AS_OF)
    assert [u.high_risk for u in units] == [True, False]
    caps = SETTINGS.inspection.yearly_caps
    assert SETTINGS.cap(units[0]) == caps.high_risk.of(units[0].level)
    assert SETTINGS.cap(units[1]) == caps.default.of(units[1].level)
    builders = [u for u in district if u.industry == "construction"]
    assert builders and all(u.high_risk for u in builders)
