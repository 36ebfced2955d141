"""Supervision settings and graded units: what the district report and the inspection plan read.

Settings are YAML data (``riskgrade/data/supervision.yaml`` is the bundled default): target
inspection intervals by risk colour, yearly inspection caps by class, inspector-day size,
holidays, and the duties shown as key areas. They load through the same hardened loader as
policies, so a mistake is reported with its file, line and column.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from riskgrade.assessment import Assessment, RiskLevel
from riskgrade.batch.read import Row
from riskgrade.batch.run import mark_duplicates, row_problem
from riskgrade.batch.write import result_record
from riskgrade.bundled import default_settings_path, sample_district_path
from riskgrade.check.format import Text
from riskgrade.check.load import load_text
from riskgrade.check.structure import structure_problems
from riskgrade.diagnostics import Diagnostic
from riskgrade.errors import FactError, GradeError, SettingsError
from riskgrade.grading.pipeline import EngineName
from riskgrade.policy import Policy


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerLevel(_Settings):
    """A number for each risk colour."""

    red: Annotated[int, Field(ge=0, le=366)]
    orange: Annotated[int, Field(ge=0, le=366)]
    yellow: Annotated[int, Field(ge=0, le=366)]
    blue: Annotated[int, Field(ge=0, le=366)]

    def of(self, level: RiskLevel) -> int:
        """The number for ``level``'s colour."""
        value: int = getattr(self, level.name.lower())
        return value


class Intervals(PerLevel):
    """Target days between inspections by risk colour (at least one day)."""

    red: Annotated[int, Field(ge=1, le=3660)]
    orange: Annotated[int, Field(ge=1, le=3660)]
    yellow: Annotated[int, Field(ge=1, le=3660)]
    blue: Annotated[int, Field(ge=1, le=3660)]


class Caps(_Settings):
    """Yearly inspection caps per unit: high-risk industries, everyone else."""

    default: PerLevel
    high_risk: PerLevel


class KeyPeriod(_Settings):
    """A key period (holidays, 两会, flood season ...) in which units are inspected more
    often: each colour's interval is multiplied by ``interval_factor`` (0.5: twice as often)."""

    name: Text
    start: dt.date
    end: dt.date
    interval_factor: Annotated[float, Field(gt=0, le=1)] = 0.5

    @model_validator(mode="after")
    def _ordered(self) -> KeyPeriod:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Inspection(_Settings):
    """How often units are inspected: target intervals by colour, yearly caps, units per
    inspector-day, extra holidays, make-up working days (调休) and key periods."""

    every_days: Intervals
    yearly_caps: Caps
    per_day: Annotated[int, Field(ge=1, le=100)] = 4
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)
    """Make-up working days (调休): weekend days worked in exchange for a holiday."""
    key_periods: list[KeyPeriod] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_industry_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and "high_risk_industries" in data:
            raise ValueError(
                "high_risk_industries is no longer a setting: the policy's own high_risk fact "
                "decides which units take the high_risk caps (remove the key)"
            )
        return data

    def due(self, last: dt.date, interval: dt.timedelta) -> dt.date:
        """When a unit last inspected on ``last`` is next due: one interval later, or sooner
        in a key period (its shortened interval, counted from ``last``, falls inside it)."""
        due = last + interval
        for period in self.key_periods:
            shortened = last + dt.timedelta(days=math.ceil(interval.days * period.interval_factor))
            candidate = max(shortened, period.start)
            if candidate <= period.end:
                due = min(due, candidate)
        return due


class KeyArea(_Settings):
    """A key area the district summary shows (e.g. high-rise fire safety): its title and the
    policy duties whose violations count towards it."""

    title: Text
    duties: Annotated[list[str], Field(min_length=1)]


class SupervisionSettings(_Settings):
    """Everything the report and the plan take from YAML."""

    inspection: Inspection
    key_areas: dict[str, KeyArea] = Field(default_factory=dict)

    def cap(self, unit: Unit) -> int:
        """How many inspections ``unit`` may receive in any 365 days (the ``high_risk`` caps
        for a unit the policy's ``high_risk`` fact marks)."""
        caps = self.inspection.yearly_caps
        return (caps.high_risk if unit.high_risk else caps.default).of(unit.level)


def load_settings(path: str | Path | None = None) -> SupervisionSettings:
    """Supervision settings from YAML (default: the bundled file). Raises
    :class:`~riskgrade.errors.SettingsError` with located diagnostics for a bad file."""
    file = Path(path) if path is not None else default_settings_path()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError([Diagnostic("RG001", f"cannot read: {exc}", str(file), 0, 0)]) from exc
    document, problems = load_text(text, str(file))
    if document is None or problems:
        raise SettingsError(problems)
    try:
        return SupervisionSettings.model_validate(document.data)
    except ValidationError as exc:
        raise SettingsError(structure_problems(exc, document, SupervisionSettings)) from exc


@dataclass(frozen=True)
class Unit:
    """A graded unit with the facts supervision needs (where it is, when last inspected)."""

    assessment: Assessment
    industry: str
    street: str | None
    community: str | None
    last_inspection: dt.date | None
    high_risk: bool = False
    """The policy's ``high_risk`` fact for the unit (false where the policy has none)."""
    graded: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """:attr:`record` as the columnar engine's results table gave it, so that counting units
    needs no assessment built; None: read from :attr:`assessment`."""

    @property
    def record(self) -> Mapping[str, Any]:
        """The unit's flat results (the ``riskgrade grade`` result columns:
        :func:`~riskgrade.batch.write.result_record`) and ``data_gapped``, whether it has a
        data gap."""
        if self.graded is not None:
            return self.graded
        return {**result_record(self.assessment), "data_gapped": bool(self.assessment.data_gaps)}

    @property
    def id(self) -> str:
        """The unit's id (the assessment's ``entity_id``)."""
        return self.assessment.entity_id

    @property
    def level(self) -> RiskLevel:
        """The unit's risk colour from its assessment."""
        return self.assessment.risk_level


KEPT_FACTS = ("industry", "street", "community", "last_inspection", "high_risk")
"""The facts a :class:`Unit` keeps beside its assessment."""


def grade_units(
    policy: Policy,
    rows: Iterable[Mapping[str, Any] | Row],
    as_of: dt.date,
    on_progress: Callable[[int], None] | None = None,
    engine: EngineName = "columnar",
) -> tuple[list[Unit], list[GradeError]]:
    """Grade ``rows`` keeping where each unit is and when it was last inspected. Rows that
    fail validation, that a reader could not parse, or that repeat a unit id already seen come
    back as errors (in row order), so none is lost and none is counted twice. An error's
    ``index`` is the row's number in its file for :class:`~riskgrade.batch.read.Row` inputs,
    else its 0-based position.

    On the columnar engine (the default) rows are graded a table at a time and each unit's
    assessment is built only when read (:meth:`~riskgrade.Assessment.deferred`): counting the
    units reads their :attr:`Unit.record`, which the table gave. Other engines grade unit by
    unit."""
    failures: list[GradeError] = []
    numbers: list[int] = []  # of the rows handed on to grading, in order

    def clean() -> Iterator[Mapping[str, Any]]:
        numbered = (r if isinstance(r, Row) else Row(i, dict(r)) for i, r in enumerate(rows))
        for done, row in enumerate(mark_duplicates(numbered), start=1):
            if on_progress is not None and done % 100 == 0:
                on_progress(done)
            marked = row_problem(row)
            if marked is not None:
                failures.append(GradeError(row.number, *marked))
                continue
            numbers.append(row.number)
            yield row.facts

    if engine == "columnar":
        units = _columnar_units(policy, clean(), as_of, numbers, failures)
    else:
        units = _units(policy, clean(), as_of, engine, numbers, failures)
    failures.sort(key=lambda failure: failure.index)
    return units, failures


def _columnar_units(
    policy: Policy,
    rows: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    numbers: list[int],
    failures: list[GradeError],
) -> list[Unit]:
    from riskgrade.grading.columnar_many import grade_rows_keeping

    units: list[Unit] = []
    for graded, kept in grade_rows_keeping(policy, rows, as_of, KEPT_FACTS):
        if isinstance(graded, GradeError):  # numbered in the rows graded: renumbered
            failures.append(
                GradeError(numbers[graded.index], graded.entity_id, graded.errors, graded.cause)
            )
            continue
        assert kept is not None
        facts = kept.facts
        units.append(
            Unit(
                graded,
                str(facts["industry"]),
                facts.get("street"),
                facts.get("community"),
                facts.get("last_inspection"),
                facts.get("high_risk") is True,
                kept.record,
            )
        )
    return units


def _units(
    policy: Policy,
    rows: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    engine: EngineName,
    numbers: list[int],
    failures: list[GradeError],
) -> list[Unit]:
    units: list[Unit] = []
    for facts in rows:
        number = numbers[-1]  # ``rows`` numbers each row as it gives it
        try:
            graded = policy.grade_with_facts(facts, as_of=as_of, engine=engine)
            assessment, env, enterprise = graded.assessment, graded.facts, graded.enterprise
        except FactError as exc:
            failures.append(GradeError(number, exc.entity_id, exc.errors, exc))
            continue
        units.append(
            Unit(
                assessment,
                str(enterprise.industry),
                enterprise.street,
                enterprise.community,
                enterprise.last_inspection,
                env.get("high_risk") is True,
            )
        )
    return units


__all__ = [
    "KEPT_FACTS",
    "SupervisionSettings",
    "Unit",
    "default_settings_path",
    "grade_units",
    "load_settings",
    "sample_district_path",
]
