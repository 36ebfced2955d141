"""Hypothesis strategies for enterprise facts."""

from __future__ import annotations

import datetime as dt
import random
import typing
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from riskgrade.facts import Enterprise
from riskgrade.policy import Policy
from riskgrade.rules.expr import constants_in

INDUSTRIES: list[str] = list(typing.get_args(Enterprise.model_fields["industry"].annotation))
OWNERSHIP = ["state", "private", "foreign", "collective", "individual"]
SIZES = ["large", "medium", "small", "micro"]
_COUNT_LIMIT = 2000


def thresholds(policy: Policy) -> dict[str, list[float]]:
    """Every number the policy compares a fact (or a list-item field) with, by fact name."""
    found: dict[str, set[float]] = {}
    checked = policy.checked
    nodes = [r.condition for r in checked.rules] + [o.condition for o in checked.overrides]
    nodes += [node for d in checked.derived for case in d.cases for node in case]
    nodes += [row.condition for rows in checked.factors.values() for row in rows]
    for node in nodes:
        for name, value in constants_in(node):
            found.setdefault(name, set()).add(float(value))
    return {name: sorted(values) for name, values in found.items()}


def _near(values: list[float], integral: bool) -> list[float | int]:
    out: set[float | int] = set()
    for v in values:
        if integral:
            out.update(int(v) + d for d in (-1, 0, 1) if v + d >= 0)
        else:
            out.update(x for x in (v - 0.5, v, v + 0.5) if x >= 0)
    return sorted(out)


class _Draw:
    """One enterprise being drawn: fixed values win, unknowns at the given rate."""

    def __init__(
        self,
        draw: st.DrawFn,
        fixed: Mapping[str, Any],
        near: Mapping[str, list[float]],
        unknown: float,
    ) -> None:
        self.draw = draw
        self.fixed = fixed
        self.near = near
        self.unknown = unknown
        # How diligent this unit is: grades only move near the top when few duties are
        # missed, so most examples are mostly compliant and some are drawn at random.
        self.compliance = draw(st.sampled_from([0.97, 0.9, 1.0, 0.8, None]))
        # Uniform coin flips from a drawn seed: hypothesis' own floats and randoms favour
        # extreme values, which would skew the rates of unknown and non-compliant facts.
        self.rng = random.Random(draw(st.integers(0, 2**32 - 1)))

    def diligent(self) -> bool:
        """Whether this fact of the unit is drawn as compliant."""
        return self.compliance is not None and self.rng.random() < self.compliance

    def good(self, name: str, good_value: Any, strategy: st.SearchStrategy[Any]) -> Any:
        """A fact drawn as its compliant value for a diligent unit, else from ``strategy``."""
        if name not in self.fixed and self.diligent():
            return good_value
        return self.value(name, strategy)

    def value(self, name: str, strategy: st.SearchStrategy[Any], optional: bool = True) -> Any:
        if name in self.fixed:
            fixed = self.fixed[name]
            return self.draw(fixed) if isinstance(fixed, st.SearchStrategy) else fixed
        if optional and self.unknown and self.rng.random() < self.unknown:
            return None
        return self.draw(strategy)

    def count(self, name: str, high: int, optional: bool = True) -> Any:
        base: st.SearchStrategy[Any] = st.integers(0, max(high, 0))
        near = [v for v in _near(self.near.get(name, []), True) if v <= high]
        if near:
            base = st.one_of(st.sampled_from(near), base)
        return self.value(name, base, optional)

    def number(self, name: str, high: float, optional: bool = True) -> Any:
        base: st.SearchStrategy[Any] = st.floats(0, high, allow_nan=False).map(
            lambda x: round(x, 1)
        )
        near = [v for v in _near(self.near.get(name, []), False) if v <= high]
        if near:
            base = st.one_of(st.sampled_from(near), base)
        return self.value(name, base, optional)

    def day(self, name: str, as_of: dt.date, back: int = 3 * 365) -> Any:
        days = st.integers(0, back)
        near = [int(v) for v in self.near.get("days_" + name, [])]
        if near:
            days = st.one_of(st.sampled_from(near), days)
        value = self.value(name, days.map(lambda d: as_of - dt.timedelta(days=d)))
        return value.isoformat() if isinstance(value, dt.date) else value


def _bounded(value: Any, high: Any) -> Any:
    """Keep a drawn count within its total (trained <= employees ...)."""
    if value is None or high is None:
        return value
    return min(value, high)


@st.composite
def _enterprise(
    draw: st.DrawFn,
    fixed: Mapping[str, Any],
    near: Mapping[str, list[float]],
    extras: Mapping[str, Any],
    as_of: dt.date,
    unknown: float,
) -> dict[str, Any]:
    d = _Draw(draw, fixed, near, unknown)
    maybe = st.booleans()
    employees = d.count("employees", _COUNT_LIMIT, optional=False)
    migrants = _bounded(d.count("migrant_workers", employees), employees)
    special = _bounded(d.count("special_workers", min(employees, 200)), employees)
    counts = st.integers(0, 10)
    facts: dict[str, Any] = {
        "id": d.value(
            "id", st.text("ABCDEFGHJKLMNPQRTUWXY0123456789", min_size=1, max_size=18), False
        ),
        "industry": d.value("industry", st.sampled_from(INDUSTRIES), False),
        "employees": employees,
        "ownership": d.value("ownership", st.sampled_from(OWNERSHIP)),
        "size": d.value("size", st.sampled_from(SIZES))
        if "size" in fixed or draw(st.booleans())
        else None,
        "above_scale": d.value("above_scale", maybe)
        if "above_scale" in fixed or draw(st.booleans())
        else None,
        "annual_revenue": d.number("annual_revenue", 100_000),
        "migrant_workers": migrants,
        "workers_trained": d.good(
            "workers_trained", employees, _upto(d, "workers_trained", employees)
        ),
        "migrant_workers_trained": _bounded(
            d.good(
                "migrant_workers_trained", migrants, _upto(d, "migrant_workers_trained", migrants)
            ),
            migrants,
        ),
        "special_workers": special,
        "special_workers_certified": _bounded(
            d.good(
                "special_workers_certified", special, _upto(d, "special_workers_certified", special)
            ),
            special,
        ),
        "full_time_safety_staff": d.good("full_time_safety_staff", 1, counts),
        "part_time_safety_staff": d.count("part_time_safety_staff", 10),
        "self_inspections_90d": d.good("self_inspections_90d", 6, st.integers(0, 30)),
        "accidents_3y": d.good("accidents_3y", 0, st.integers(0, 5)),
        "fatalities_3y": d.good("fatalities_3y", 0, st.integers(0, 5)),
        "violations_12m": d.good("violations_12m", 0, st.integers(0, 6)),
        "penalties_12m": d.good("penalties_12m", 0, st.integers(0, 6)),
        "last_drill": d.good(
            "last_drill", (as_of - dt.timedelta(days=60)).isoformat(), _day_before(as_of, 1100)
        ),
        "last_onsite_drill": d.good(
            "last_onsite_drill",
            (as_of - dt.timedelta(days=30)).isoformat(),
            _day_before(as_of, 400),
        ),
        "last_inspection": d.day("last_inspection", as_of),
        "hazards": d.good("hazards", [], st.lists(_hazard(as_of), max_size=4)),
        "buildings": d.value("buildings", st.lists(_building(d, as_of), max_size=3)),
        "elevators": d.value("elevators", st.lists(_elevator(d, as_of), max_size=3)),
    }
    for name in (
        "safety_department",
        "uses_gas",
        "confined_spaces",
        "combustible_dust",
        "hazardous_goods",
        "canteen_uses_gas",
    ):
        facts[name] = d.value(name, maybe)
    facts["worst_accident_deaths_3y"] = _bounded(
        d.good("worst_accident_deaths_3y", 0, st.integers(0, 5)), facts["fatalities_3y"]
    )
    facts["penalties_180d"] = _bounded(
        d.good("penalties_180d", 0, st.integers(0, 6)), facts["penalties_12m"]
    )
    facts["refused_correction"] = d.good("refused_correction", False, maybe)
    facts["third_party_service"] = d.value("third_party_service", maybe)
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
        "safety_investment",
        "safety_staff_on_duty",
        "rescue_team",
    ):
        facts[name] = d.good(name, True, maybe)
    for name, strategy in extras.items():
        facts[name] = d.value(name, strategy)
    for name, value in fixed.items():
        if name not in facts:
            facts[name] = draw(value) if isinstance(value, st.SearchStrategy) else value
    return facts


def _upto(d: _Draw, name: str, total: Any) -> st.SearchStrategy[Any]:
    """Counts up to ``total`` (a drawn total; 0 when unknown), clustered at policy thresholds."""
    high = total or 0
    base: st.SearchStrategy[Any] = st.integers(0, high)
    near = [v for v in _near(d.near.get(name, []), True) if v <= high]
    return st.one_of(st.sampled_from(near), base) if near else base


def _hazard(as_of: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        # Some hazards are found, or rectified, after as_of: they must not count (R17).
        found = as_of - dt.timedelta(days=draw(st.integers(-20, 700)))
        deadline = found + dt.timedelta(days=draw(st.integers(0, 120)))
        rectified = draw(st.one_of(st.none(), st.integers(0, 90)))
        fixed = found + dt.timedelta(days=rectified) if rectified is not None else None
        return {
            "id": f"H{draw(st.integers(1, 999))}",
            "level": draw(st.one_of(st.none(), st.sampled_from(["general", "major"]))),
            "found_on": found.isoformat(),
            "deadline": draw(st.one_of(st.just(deadline.isoformat()), st.none())),
            "rectified_on": fixed.isoformat() if fixed else None,
        }

    return build()


def _building(d: _Draw, as_of: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    heights = st.floats(3, 250, allow_nan=False).map(lambda x: round(x, 1))
    near = _near(d.near.get("height_m", []), False)
    if near:
        heights = st.one_of(st.sampled_from(near), heights)
    flag = st.one_of(st.none(), st.booleans())
    return st.fixed_dictionaries(
        {
            "height_m": st.one_of(st.none(), heights),
            "residential": flag,
            "fire_alarm_ok": flag,
            "sprinklers_ok": flag,
            "fire_water_ok": flag,
            "smoke_control_ok": flag,
            "last_fire_test": st.one_of(st.none(), _day_before(as_of, 800)),
            "control_room_staffed": flag,
            "floors": st.one_of(st.none(), st.integers(1, 60)),
            "industrial": flag,
        }
    )


def _elevator(d: _Draw, as_of: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    flag = st.one_of(st.none(), st.booleans())
    return st.fixed_dictionaries(
        {
            "registered": flag,
            "commissioned_year": st.one_of(st.none(), st.integers(1990, as_of.year)),
            "last_maintenance": st.one_of(st.none(), _day_before(as_of, 60)),
            "last_inspection": st.one_of(st.none(), _day_before(as_of, 900)),
            "inspection_passed": flag,
            "in_use": flag,
            "last_self_test": st.one_of(st.none(), _day_before(as_of, 900)),
            "safety_assessed": flag,
        }
    )


def _day_before(as_of: dt.date, back: int) -> st.SearchStrategy[str]:
    return st.integers(0, back).map(lambda days: (as_of - dt.timedelta(days=days)).isoformat())


def _extra_strategy(
    kind: str, values: list[str] | None, near: list[float]
) -> st.SearchStrategy[Any]:
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        base: st.SearchStrategy[Any] = st.integers(0, 10_000)
        return st.one_of(st.sampled_from(_near(near, True)), base) if near else base
    if kind == "number":
        base = st.floats(0, 10_000, allow_nan=False)
        return st.one_of(st.sampled_from(_near(near, False)), base) if near else base
    if kind == "date":
        return st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
    if kind == "enum":
        return st.sampled_from(values or [""])
    return st.text(max_size=20)


def enterprises(
    *,
    policy: Policy | None = None,
    as_of: dt.date | None = None,
    unknown: float = 0.1,
    **fixed: Any,
) -> st.SearchStrategy[dict[str, Any]]:
    """A hypothesis strategy of valid enterprise facts (dicts ready for ``Policy.grade``).

    Counts stay consistent (trained <= employees, certified <= special workers ...), dates fall
    before ``as_of`` and hazards are found before their deadline. Any fact may be fixed by
    keyword, to a value or to a strategy: ``enterprises(industry="catering", uses_gas=True)``.
    ``unknown`` is the chance that an optional fact is missing. With ``policy=P``, numbers
    cluster just below, at and just above the thresholds P compares them with, and P's own
    extra facts are drawn too::

        @given(riskgrade.testing.enterprises(policy=policy, industry="retail"))
        def test_shops(facts): ...
    """
    when = as_of or dt.date.today()
    near = thresholds(policy) if policy is not None else {}
    extras: dict[str, st.SearchStrategy[Any]] = {}
    if policy is not None:
        for name, decl in policy.checked.extra_facts.items():
            extras[name] = _extra_strategy(decl.type, decl.values, near.get(name, []))
    return _enterprise(fixed, near, extras, when, unknown)
