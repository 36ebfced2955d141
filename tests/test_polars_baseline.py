"""The benchmarks' hand-written Polars query equals the plain-Python baseline, unit for unit."""

from __future__ import annotations

import datetime as dt
import functools
import random
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import baseline
from polars_baseline import grade_frame
from population import AS_OF, population

Row = dict[str, Any]


@functools.cache
def _population(size: int, seed: int, unknown: float) -> tuple[Row, ...]:
    return tuple(population(size, seed=seed, unknown=unknown))  # rows are copied, never changed


def _expected(row: Row) -> tuple[Any, ...]:
    try:
        return (row["id"], *baseline.grade(row, AS_OF))
    except TypeError:  # an unknown count or date: baseline.py grades no such unit
        return (row["id"], None, None, None)


def _ungraded(rows: list[Row] | tuple[Row, ...]) -> int:
    """Asserts the query equals ``baseline.grade`` on every row; the rows neither grades."""
    frame = grade_frame(pl.DataFrame(rows, infer_schema_length=None), AS_OF)
    assert frame.columns == ["id", "risk_level", "duty_grade", "violations"]
    ungraded = 0
    for row, got in zip(rows, frame.iter_rows(), strict=True):
        want = _expected(row)
        assert got == want, row
        ungraded += want[1] is None
    return ungraded


@pytest.mark.parametrize(
    ("seed", "unknown"), [(20261128, 0.05), (20261128, 0.0), (9, 0.05), (9, 0.0)]
)
def test_the_query_equals_the_baseline_on_the_benchmark_population(
    seed: int, unknown: float
) -> None:
    rows = _population(3000, seed, unknown)
    ungraded = _ungraded(rows)
    if unknown:  # some units, not most, have an unknown count or date
        assert 0 < ungraded < len(rows) // 2
    else:
        assert ungraded == 0


OPTIONAL = [  # the facts population() may leave unknown
    *("safety_department", "full_time_safety_staff", "part_time_safety_staff"),
    *("responsibility_system", "safety_rules", "principal_certified", "safety_staff_certified"),
    *("workers_trained", "migrant_workers_trained", "special_workers_certified"),
    *("ppe_provided", "risk_register", "self_inspections_90d", "emergency_plan", "last_drill"),
    *("gas_alarm", "liability_insurance", "hazardous_goods", "safety_investment"),
    *("safety_staff_on_duty", "rescue_team", "last_onsite_drill", "canteen_uses_gas"),
    "refused_correction",
]


def test_the_optional_facts_are_the_ones_the_population_leaves_unknown() -> None:
    frame = pl.DataFrame(_population(3000, 20261128, 0.05), infer_schema_length=None)
    unknown = [name for name, n in frame.null_count().row(0, named=True).items() if n]
    assert set(unknown) == {*OPTIONAL, "last_inspection"}  # the baseline reads no inspection


def test_each_fact_unknown_alone() -> None:
    """An unknown flag counts as false; an unknown count or date leaves the unit ungraded
    wherever baseline.py evaluates it: on every unit, or only on some."""
    known = _population(3000, 20261128, 0.0)[:300]
    ungraded = {name: _ungraded([{**row, name: None} for row in known]) for name in OPTIONAL}
    every = {name for name, n in ungraded.items() if n == len(known)}
    some = {name for name, n in ungraded.items() if 0 < n < len(known)}
    always = ("workers_trained", "migrant_workers_trained", "special_workers_certified")
    assert every == {*always, "self_inspections_90d", "last_onsite_drill"}
    assert some == {"full_time_safety_staff", "part_time_safety_staff", "last_drill"}


def _day(rng: random.Random) -> str:
    """A date on or beside a threshold of the policy (or after the grading date)."""
    back = rng.choice([-1, 0, 1, 14, 15, 16, 182, 183, 184, 364, 365, 366, 729, 730, 731])
    return (AS_OF - dt.timedelta(days=rng.choice([back, 1094, 1095, 1096]))).isoformat()


def _edged(row: Row, rng: random.Random) -> Row:
    """The unit with its facts moved onto the thresholds the population seldom reaches."""
    row = {**row}
    for name in ("last_drill", "last_onsite_drill"):
        row[name] = _day(rng)
    row["employees"] = rng.choice([row["employees"], 99, 100, 101, 299, 300, 301])
    row["workers_trained"] = rng.randint(0, row["employees"])
    row["self_inspections_90d"] = rng.randint(0, 4)
    for name, top in [("penalties_12m", 5), ("penalties_180d", 4), ("violations_12m", 3)]:
        row[name] = rng.randint(0, top)
    row["fatalities_3y"] = rng.randint(0, 2)
    row["worst_accident_deaths_3y"] = rng.randint(0, 4)
    row["hazards"] = [
        {
            **h,
            "level": rng.choice(["major", "general", None]),
            "found_on": _day(rng),
            "deadline": rng.choice([None, _day(rng)]),
            "rectified_on": rng.choice([None, _day(rng)]),
        }
        for h in row["hazards"]
    ]
    row["buildings"] = [
        {
            **b,
            "floors": rng.choice([1, 2, b["floors"]]),
            "height_m": rng.choice([24, 25, 27, 28, b["height_m"]]),
            "residential": rng.random() < 0.5,
            "industrial": rng.random() < 0.2,
            "last_fire_test": _day(rng),
        }
        for b in row["buildings"]
    ]
    row["elevators"] = [
        {
            **lift,
            "commissioned_year": AS_OF.year - rng.choice([0, 1, 7, 8, 15, 16]),
            "last_maintenance": _day(rng),
            "last_inspection": _day(rng),
            "last_self_test": _day(rng),
        }
        for lift in row["elevators"]
    ]
    return row


def test_the_query_equals_the_baseline_on_thresholds() -> None:
    rng = random.Random(11)
    rows = [_edged(row, rng) for row in _population(3000, 3, 0.0)]
    assert _ungraded(rows) == 0


@pytest.mark.parametrize("size", [1, 2, 5, 20])
def test_small_frames(size: int) -> None:
    """Frames where a column is null, or a list empty, throughout."""
    _ungraded(population(size, seed=size))
    _ungraded(population(size, seed=size, unknown=0.5))
