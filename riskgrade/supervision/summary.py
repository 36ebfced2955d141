"""District summary: what the graded units of a district say, counted.

:func:`summarize` counts risk colours and duty grades overall, by community and by tier; the
most common duty gaps, each split into confirmed breaches and those assumed because facts were
missing; the facts most units lack; countermeasures by kind and by responsible party; key
areas; red and orange units with their top countermeasures. :mod:`riskgrade.supervision.page`
draws it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from riskgrade.assessment import DutyGrade, RiskLevel
from riskgrade.batch.run import common_gaps, rank_gaps
from riskgrade.errors import GradeError
from riskgrade.facts import fact_label
from riskgrade.policy import Policy
from riskgrade.supervision.settings import SupervisionSettings, Unit

LEVELS = RiskLevel.names(worst_first=True)
GRADES = DutyGrade.names()
TIERS = ("state", "above_scale_private", "small_micro", "other", "unknown")


@dataclass
class Breakdown:
    """Units by risk colour and duty grade within one group."""

    units: int = 0
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))

    def add(self, unit: Unit) -> None:
        """Count ``unit`` in the group: one more unit, under its colour and its grade."""
        self.units += 1
        self.levels[unit.level.name.lower()] += 1
        self.grades[str(unit.assessment.duty_grade)] += 1


@dataclass(frozen=True)
class Count:
    """How many units share something (a duty gap, a countermeasure), with its title; for a
    duty gap, ``assumed`` of the ``units`` breach it only by assumption (facts missing: the
    ``assumed_violations`` of the results), the others for certain."""

    id: str
    units: int
    title: dict[str, str]
    assumed: int = 0

    @property
    def confirmed(self) -> int:
        """Units whose breach rests on facts given, not on missing ones."""
        return self.units - self.assumed


@dataclass(frozen=True)
class MissingFact:
    """A fact missing from many graded units (a tenth or more, as ``riskgrade grade``'s run
    summary names them): its name, its label in each language, how many units miss it."""

    name: str
    label: dict[str, str]
    units: int
    percent: int


@dataclass(frozen=True)
class KeyArea:
    """A key area on the district page: how many units breach its duties, and which rules."""

    id: str
    title: dict[str, str]
    units: int
    """Units with at least one violation of the area's duties."""
    rules: list[Count]


@dataclass(frozen=True)
class HotUnit:
    """A red or orange unit listed on the district page, with its first three countermeasures'
    titles (``{"zh": ..., "en": ...}`` each)."""

    id: str
    name: str
    street: str
    community: str
    level: str
    duty_grade: str
    duty_score: float
    risk_score: float
    countermeasures: list[dict[str, str]]


@dataclass
class Summary:
    """Everything the district page shows, counted from graded units."""

    as_of: dt.date
    policy: str
    rows: int
    failed: int
    overall: Breakdown
    by_community: dict[str, Breakdown]
    by_tier: dict[str, Breakdown]
    duty_gaps: list[Count]
    countermeasures: list[Count]
    by_responsible: dict[str, int]
    key_areas: list[KeyArea]
    hot_units: list[HotUnit]
    data_gap_units: int
    violations: int = 0
    """Breaches found over all units, confirmed and assumed."""
    assumed_violations: int = 0
    """Of :attr:`violations`, those assumed because facts were missing (verify them first)."""
    assumed_units: int = 0
    """Units with at least one assumed breach."""
    missing_facts: list[MissingFact] = field(default_factory=list)
    """The facts missing from a tenth of the units or more, most missed first (at most ten)."""

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data (the date as ISO text), as embedded in the page."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def summarize(
    units: Sequence[Unit],
    failures: Sequence[GradeError],
    policy: Policy,
    settings: SupervisionSettings,
    as_of: dt.date,
    top: int = 10,
) -> Summary:
    """Count what the graded ``units`` say (``failures``: rows that could not be graded)."""
    overall = Breakdown()
    by_community: dict[str, Breakdown] = {}
    by_tier = {tier: Breakdown() for tier in TIERS}
    gaps: Counter[str] = Counter()
    assumed: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    gap_titles: dict[str, dict[str, str]] = {}
    measures: Counter[str] = Counter()
    responsible: Counter[str] = Counter()
    area_units: dict[str, set[str]] = {area: set() for area in settings.key_areas}
    area_rules: dict[str, Counter[str]] = {area: Counter() for area in settings.key_areas}
    data_gap_units = 0
    checked = policy.checked
    rules = [checked_rule.rule for checked_rule in checked.rules]
    duties = {rule.id: rule.duty for rule in rules}
    messages = {rule.id: {"zh": rule.message.zh, "en": rule.message.en} for rule in rules}
    catalogue = checked.catalogue
    records = [unit.record for unit in units]  # what the results say: no assessment built
    for unit, record in zip(units, records, strict=True):
        overall.add(unit)
        place = " / ".join(p for p in (unit.street, unit.community) if p) or "—"
        by_community.setdefault(place, Breakdown()).add(unit)
        by_tier[record["tier"] if record["tier"] in by_tier else "unknown"].add(unit)
        assumed.update(set(_ids(record["assumed_violations"])))
        missing.update(_ids(record["data_gaps"]))
        for rule in dict.fromkeys(_ids(record["violations"])):
            gaps[rule] += 1
            gap_titles.setdefault(rule, messages[rule])
            for area, spec in settings.key_areas.items():
                if duties[rule] in spec.duties:
                    area_units[area].add(unit.id)
                    area_rules[area][rule] += 1
        data_gap_units += bool(record["data_gapped"])
        for rec in _ids(record["recommendations"]):
            measures[rec] += 1
            responsible[catalogue[rec].responsible] += 1
    hot = sorted(
        ((u, r) for u, r in zip(units, records, strict=True) if u.level >= RiskLevel.ORANGE),
        key=lambda pair: (-int(pair[0].level), -pair[1]["risk_score"], pair[0].id),
    )

    def counted(counter: Counter[str], titles: dict[str, dict[str, str]]) -> list[Count]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return [Count(key, n, titles[key], assumed.get(key, 0)) for key, n in ranked]

    graded = len(units)
    common = common_gaps(rank_gaps(missing), graded)

    rec_titles = {k: {"zh": v.title.zh, "en": v.title.en} for k, v in catalogue.items()}
    return Summary(
        as_of=as_of,
        policy=f"{policy.name} {policy.version}",
        rows=len(units) + len(failures),
        failed=len(failures),
        overall=overall,
        by_community=dict(sorted(by_community.items())),
        by_tier={tier: b for tier, b in by_tier.items() if b.units},
        duty_gaps=counted(gaps, gap_titles)[:top],
        countermeasures=counted(measures, rec_titles),
        by_responsible=dict(sorted(responsible.items(), key=lambda item: (-item[1], item[0]))),
        key_areas=[
            KeyArea(
                area,
                {"zh": spec.title.zh, "en": spec.title.en},
                len(area_units[area]),
                counted(area_rules[area], gap_titles),
            )
            for area, spec in settings.key_areas.items()
        ],
        hot_units=[
            HotUnit(
                u.id,
                u.assessment.name or "",
                u.street or "",
                u.community or "",
                u.level.name.lower(),
                str(u.assessment.duty_grade),
                r["duty_score"],
                r["risk_score"],
                [dict(rec_titles[rec]) for rec in _ids(r["recommendations"])[:3]],
            )
            for u, r in hot
        ],
        data_gap_units=data_gap_units,
        violations=sum(len(set(_ids(r["violations"]))) for r in records),
        assumed_violations=sum(assumed.values()),
        assumed_units=sum(bool(_ids(r["assumed_violations"])) for r in records),
        missing_facts=[
            MissingFact(
                name,
                {"zh": fact_label(name, "zh"), "en": name},
                count,
                round(100 * count / graded),
            )
            for name, count in common
        ],
    )


def _ids(text: str | None) -> list[str]:
    """The ids of a results column (space-separated, as written)."""
    return text.split() if text else []


__all__ = ["GRADES", "LEVELS", "TIERS", "MissingFact", "Summary", "summarize"]
