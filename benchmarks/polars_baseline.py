"""The default policy written by hand as one Polars query: the columnar engine's yardstick.

``grade_frame`` is ``baseline.grade`` rule for rule over a whole table: from a frame of the
population's facts (``pl.DataFrame(population(n), infer_schema_length=None)``: hazards,
buildings and elevators are lists of structs, dates ISO strings parsed in the query) it gives
``id``, ``risk_level``, ``duty_grade`` and ``violations`` (the breached rule ids in policy
order, as ``baseline.grade`` lists them). Only the tables (industry sets, deductions, matrix,
size floors) come from ``baseline``; every rule is written again here.

Unknown facts: ``baseline.py`` assumes every fact known, so on a None it does what Python does.
A None flag counts as false (``not None`` is true: ``no_safety_rules`` is breached when
``safety_rules`` is unknown), and the query fills null flags with false to match. A None count
or date met by arithmetic, a comparison or ``fromisoformat`` raises ``TypeError``: the unit
gets no grade. The query gives such a unit null ``risk_level``, ``duty_grade`` and
``violations``, under the same conditions (``and``/``or`` short-circuits included) for every
top-level fact the population may leave unknown. The facts the population always knows
(industry, employees, revenue, counts of workers, accidents and penalties, every field of a
hazard, building or elevator except the ones ``baseline.py`` tests for None) are taken as known:
item by item, ``baseline.py`` raises or not depending on where ``any()`` stops, which a
columnar query does not reproduce.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from baseline import (
    _FLOORS,
    _GROUP,
    CHEMICALS,
    CROWDED,
    DRILL_6M,
    GAS_VENUES,
    GENERAL,
    HIGH_RISK,
    INDUSTRY_TRADE,
    LEVELS,
    MATRIX,
    RESCUE,
    RULES,
    TOP_TIER,
)

_INDUSTRIES = sorted(set(_FLOORS) | set(_GROUP))
_SIZES = ("large", "medium", "small")
_LEVEL_OF = {s * 10 + m: level for s, row in MATRIX.items() for m, level in enumerate(row, 1)}


def _flag(name: str) -> pl.Expr:
    """A yes/no fact as Python reads it: unknown counts as false."""
    return pl.col(name).cast(pl.Boolean).fill_null(False)


def _date(text: pl.Expr) -> pl.Expr:
    """An ISO date (the cast is for a column or field that is null throughout)."""
    return text.cast(pl.String).str.to_date("%Y-%m-%d")


def _late(text: pl.Expr, as_of: dt.date, days: int) -> pl.Expr:
    """Not done within ``days`` before ``as_of`` (a date after ``as_of`` does not count)."""
    on = _date(text)
    return (on < pl.lit(as_of - dt.timedelta(days=days))) | (on > pl.lit(as_of))


def _floor(size: int, part: int) -> pl.Expr:
    """The MIIT 2011 staff (part 0) or revenue (part 1) floor of a size class, per industry."""
    floors = {i: _FLOORS[_GROUP.get(i, i)][size][part] for i in _INDUSTRIES}
    return pl.col("industry").replace_strict(floors, return_dtype=pl.Float64)


def _size(frame: pl.DataFrame) -> pl.Expr:
    """The size class: the ledger's, else from the MIIT 2011 table."""
    emp, revenue = pl.col("employees"), pl.col("annual_revenue")
    fits = [(emp >= _floor(k, 0)) & (revenue >= _floor(k, 1)) for k in range(len(_SIZES))]
    table = (
        pl.when(fits[0])
        .then(pl.lit(_SIZES[0]))
        .when(fits[1])
        .then(pl.lit(_SIZES[1]))
        .when(fits[2])
        .then(pl.lit(_SIZES[2]))
        .otherwise(pl.lit("micro"))
    )
    return pl.coalesce(pl.col("size"), table) if "size" in frame.columns else table


def _items(column: str, test: pl.Expr) -> pl.Expr:
    """Some item of a list column passes ``test`` (written over ``pl.element()``)."""
    return pl.col(column).list.eval(test).list.any()


_ITEMS = {  # the item fields read, for a list column that is empty throughout a small frame
    "hazards": {"level": pl.String, "found_on": pl.String, "deadline": pl.String}
    | {"rectified_on": pl.String},
    "buildings": {"industrial": pl.Boolean, "floors": pl.Int64, "height_m": pl.Float64}
    | {"residential": pl.Boolean, "fire_alarm_ok": pl.Boolean, "sprinklers_ok": pl.Boolean}
    | {"fire_water_ok": pl.Boolean, "smoke_control_ok": pl.Boolean}
    | {"last_fire_test": pl.String, "control_room_staffed": pl.Boolean},
    "elevators": {"registered": pl.Boolean, "commissioned_year": pl.Int64}
    | {"last_maintenance": pl.String, "last_inspection": pl.String}
    | {"inspection_passed": pl.Boolean, "in_use": pl.Boolean, "last_self_test": pl.String}
    | {"safety_assessed": pl.Boolean},
}


def grade_frame(frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """``id``, ``risk_level``, ``duty_grade`` and ``violations`` of every unit of ``frame``."""
    frame = frame.with_columns(
        pl.col(name).cast(pl.List(pl.Struct(fields)))
        for name, fields in _ITEMS.items()
        if frame.schema[name] == pl.List(pl.Null)
    )
    c, today = pl.col, pl.lit(as_of)
    industry, emp = c("industry"), c("employees")
    goods = _flag("hazardous_goods")

    # Items: hazards, high-rise buildings, elevators.
    h = pl.element().struct.field
    opened = (_date(h("found_on")) <= today) & (
        h("rectified_on").is_null() | (_date(h("rectified_on")) > today)
    )
    overdue = (
        pl.when(h("deadline").is_null())
        .then(_date(h("found_on")) < today)
        .otherwise(_date(h("deadline")) < today)
    )
    b = pl.element().struct.field
    highrise = (
        ~b("industrial").fill_null(False)
        & (b("floors") > 1)
        & ((b("height_m") > 27) | ((b("height_m") > 24) & ~b("residential").fill_null(False)))
    )
    fire_ok = b("fire_alarm_ok") & b("sprinklers_ok") & b("fire_water_ok") & b("smoke_control_ok")
    lift = pl.element().struct.field
    age = as_of.year - lift("commissioned_year")
    inspected = (today - _date(lift("last_inspection"))).dt.total_days()
    inspection_due = pl.when(age <= 7).then(1095).when(age <= 15).then(730).otherwise(365)
    failed = lift("inspection_passed").eq_missing(False)

    facts = frame.with_columns(
        high=industry.is_in(HIGH_RISK) | goods,
        full=_flag("safety_department") | (c("full_time_safety_staff") > 0),
        untrained=emp - c("workers_trained"),
        open_major=c("hazards").list.eval((h("level") == "major") & opened).list.sum().fill_null(0),
        tested=_flag("principal_certified") & _flag("safety_staff_certified"),
        uncertified=c("special_workers_certified") < c("special_workers"),
        chemicals=industry.is_in(CHEMICALS)
        | (goods & ~industry.is_in(["mining", "metal_smelting", "construction"])),
        size=_size(frame),
        tall=_items("buildings", highrise),
        lifts=c("elevators").list.len() > 0,
    ).with_columns(
        anyone=c("full") | (c("part_time_safety_staff") > 0),
        trade=industry.is_in(INDUSTRY_TRADE) & ~c("chemicals"),
        six_months=industry.is_in(DRILL_6M)
        | goods
        | ((industry == "retail") & c("size").is_in(["large", "medium"])),
    )
    high, full, chemicals, uncertified = c("high"), c("full"), c("chemicals"), c("uncertified")
    tested, untrained, open_major = c("tested"), c("untrained"), c("open_major")
    small = ~high & (emp <= 100)
    register, inspections = _flag("risk_register"), c("self_inspections_90d")
    plain = ~(
        _flag("uses_gas")
        | _flag("combustible_dust")
        | _flag("confined_spaces")
        | c("lifts")
        | c("tall")
    )
    single_risk = (c("size") == "micro") & ~high & ~c("six_months") & plain
    drill_late = (
        pl.when(c("six_months"))
        .then(_late(c("last_drill"), as_of, 183))
        .otherwise(_late(c("last_drill"), as_of, 365))
    )
    onsite_late = _late(c("last_onsite_drill"), as_of, 183)
    checks = {
        "staffing_high_risk": high & ~full,
        "staffing_over_100": ~high & (emp > 100) & ~full,
        "staffing_small": small & ~c("anyone"),
        "safety_staff_nominal": ~_flag("safety_staff_on_duty")
        & (full | (small & (c("part_time_safety_staff") > 0))),
        "no_responsibility_system": ~_flag("responsibility_system"),
        "no_safety_rules": ~_flag("safety_rules"),
        "insufficient_safety_investment": ~_flag("safety_investment"),
        "principal_uncertified_smelting": (industry == "metal_smelting") & ~tested,
        "principal_uncertified_chemicals": chemicals & ~tested,
        "principal_uncertified_construction": (industry == "construction") & ~tested,
        "principal_not_certified": high
        & ~chemicals
        & ~industry.is_in(["metal_smelting", "construction"])
        & ~tested,
        "workers_untrained": (untrained > 0) & (untrained * 4 >= emp),
        "some_workers_untrained": (untrained > 0) & (untrained * 4 < emp),
        "migrant_workers_untrained": c("migrant_workers") - c("migrant_workers_trained") > 0,
        "uncertified_special_ops_industry_trade": c("trade") & uncertified,
        "uncertified_special_ops_chemicals": chemicals & uncertified,
        "uncertified_special_ops_construction": (industry == "construction") & uncertified,
        "special_workers_uncertified": ~industry.is_in(INDUSTRY_TRADE)
        & ~chemicals
        & (industry != "construction")
        & uncertified,
        "no_ppe": ~_flag("ppe_provided"),
        "no_risk_register": ~register,
        "perfunctory_self_inspection": inspections < 3,
        "open_major_hazard": open_major > 0,
        "overdue_general_hazard": _items("hazards", (h("level") == "general") & opened & overdue),
        "unclassified_hazard_overdue": _items("hazards", h("level").is_null() & opened & overdue),
        "no_emergency_plan": ~_flag("emergency_plan"),
        "drill_overdue": ~single_risk & drill_late,
        "onsite_drill_overdue": onsite_late & _late(c("last_drill"), as_of, 183),
        "no_rescue_team": (industry.is_in(RESCUE) | goods) & ~_flag("rescue_team"),
        "gas_alarm_missing": industry.is_in(GAS_VENUES) & _flag("uses_gas") & ~_flag("gas_alarm"),
        "canteen_gas_alarm_missing": ~industry.is_in(GAS_VENUES)
        & _flag("canteen_uses_gas")
        & ~_flag("gas_alarm"),
        "highrise_fire_system_failed": _items("buildings", highrise & ~fire_ok.fill_null(False)),
        "highrise_fire_test_overdue": _items(
            "buildings", highrise & _late(b("last_fire_test"), as_of, 365)
        ),
        "highrise_control_room_unstaffed": _items(
            "buildings", highrise & ~b("control_room_staffed").fill_null(False)
        ),
        "elevator_unregistered": _items("elevators", ~lift("registered").fill_null(False)),
        "elevator_maintenance_overdue": _items(
            "elevators", _late(lift("last_maintenance"), as_of, 15)
        ),
        "elevator_inspection_overdue": _items(
            "elevators", (inspected > inspection_due) | (inspected < 0)
        ),
        "elevator_failed_inspection": _items("elevators", failed),
        "elevator_failed_in_use": _items("elevators", failed & lift("in_use").fill_null(False)),
        "elevator_self_test_overdue": _items(
            "elevators",
            (age >= 1) & (inspected > 365) & _late(lift("last_self_test"), as_of, 365),
        ),
        "old_elevator_unassessed": _items(
            "elevators", (age > 15) & ~lift("safety_assessed").fill_null(False)
        ),
        "no_liability_insurance": high & ~_flag("liability_insurance"),
        "confined_space_uncontrolled": _flag("confined_spaces") & ~register,
        "combustible_dust_uncontrolled": _flag("combustible_dust")
        & (~register | (inspections < 3)),
        "fatal_accident_3y": c("fatalities_3y") > 0,
        "repeated_violations": c("violations_12m") >= 2,
        "refused_correction": _flag("refused_correction"),
        "closure_conditions": (open_major > 0)
        & ((c("penalties_180d") >= 3) | (c("penalties_12m") >= 4)),
    }
    # Where baseline.grade meets an unknown count or date, it raises TypeError.
    raises = (
        (~_flag("safety_department") & c("full_time_safety_staff").is_null())
        | (~full & c("part_time_safety_staff").is_null())
        | c("workers_trained").is_null()
        | c("special_workers_certified").is_null()
        | c("migrant_workers_trained").is_null()
        | inspections.is_null()
        | c("last_onsite_drill").is_null()
        | (c("last_drill").is_null() & (~single_risk | onsite_late))
    )
    facts = facts.with_columns(
        raises=raises,
        tier=pl.when(industry.is_in(TOP_TIER) | goods)
        .then(5)
        .when(industry.is_in(["construction", "transport"]))
        .then(4)
        .when(
            (emp > 300)
            | _flag("combustible_dust")
            | _flag("confined_spaces")
            | c("tall")
            | (industry.is_in(CROWDED) & (emp > 100))
        )
        .then(3)
        .when(industry.is_in(GENERAL) | (emp > 100) | _flag("uses_gas") | c("lifts"))
        .then(2)
        .otherwise(1),
    )
    # One yes/no column per rule, in policy order; the breached ones gathered per unit.
    hits = facts.select(check.fill_null(False).alias(rule) for rule, check in checks.items())
    breached = (
        hits.with_row_index("row")
        .unpivot(index="row", variable_name="rule")
        .filter("value")
        .group_by("row")
        .agg(violations="rule")
    )
    of = lambda severity: [r for r, (s, _) in RULES.items() if s == severity]  # noqa: E731
    deductions = pl.sum_horizontal(
        pl.when(c(r)).then(d).otherwise(0) for r, (_, d) in RULES.items()
    )
    facts = (
        pl.concat(
            [
                facts.select("id", "raises", "tier", "worst_accident_deaths_3y", "fatalities_3y"),
                hits,
            ],
            how="horizontal",
        )
        .with_row_index("row")
        .join(breached, on="row", how="left", maintain_order="left")
        .with_columns(
            score=pl.max_horizontal(100 - deductions, 0),
            major=pl.any_horizontal(of("major")),
            serious=pl.any_horizontal(of("serious")),
        )
    )
    score = c("score")
    banded = pl.when(score >= 90).then(0).when(score >= 75).then(1).when(score >= 60).then(2)
    banded = banded.otherwise(3)
    grade = (
        pl.when(c("major"))
        .then(pl.max_horizontal(banded, 2))
        .when(c("serious"))
        .then(pl.max_horizontal(banded, 1))
        .otherwise(banded)
    )
    management = pl.when(c("major")).then(5).otherwise(grade + 1)
    level = (c("tier") * 10 + management).replace_strict(_LEVEL_OF, return_dtype=pl.Int8)
    level = (
        pl.when(c("open_major_hazard") | (c("worst_accident_deaths_3y") >= 3))
        .then(3)
        .otherwise(level)
    )
    level = pl.when(c("fatalities_3y") > 0).then(pl.max_horizontal(level, 2)).otherwise(level)
    graded = ~c("raises").fill_null(False)
    return facts.select(
        "id",
        pl.when(graded)
        .then(level.replace_strict(dict(enumerate(LEVELS)), return_dtype=pl.String))
        .alias("risk_level"),
        pl.when(graded)
        .then(grade.replace_strict(dict(enumerate("ABCD")), return_dtype=pl.String))
        .alias("duty_grade"),
        pl.when(graded)
        .then(c("violations").fill_null(pl.lit([], pl.List(pl.String))))
        .alias("violations"),
    )
