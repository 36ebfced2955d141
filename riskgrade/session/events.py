"""The events a live session records (:meth:`riskgrade.session.Session.event`), and what
each does to a unit's facts.

>>> import datetime as dt
>>> facts = apply_event({"id": "S1"}, "accident", Accident(fatalities=1), dt.date(2026, 11, 28))
>>> facts["accidents_3y"], facts["fatalities_3y"]
(1, 1)

Counts are never negative (an ``accident`` with ``fatalities=-3`` is refused, naming the field).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from riskgrade.errors import SessionError
from riskgrade.grading.findings import jsonable


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HazardFound(_Event):
    """An inspection (or self-inspection) found a hazard."""

    id: str | None = None
    level: Literal["general", "major"] = "general"
    found_on: dt.date | None = None
    deadline: dt.date | None = None


class HazardRectified(_Event):
    """The recorded hazard ``id`` was rectified, on ``on`` (default: the session's date)."""

    id: str
    on: dt.date | None = None


class Accident(_Event):
    """A work-safety accident with ``fatalities`` deaths, added to the three-year counts of
    accidents and deaths (and to the worst single accident, where that is known)."""

    fatalities: int = Field(default=0, ge=0)
    on: dt.date | None = None


class Training(_Event):
    """New training records: how many more workers (and migrant workers) were trained."""

    workers: int = Field(default=0, ge=0)
    migrant_workers: int = Field(default=0, ge=0)


class Inspection(_Event):
    """A regulator's inspection on ``on``; ``violations`` found (counted for 12 months)."""

    on: dt.date | None = None
    violations: int = Field(default=0, ge=0)


class Penalty(_Event):
    """An administrative penalty, counted for 12 months (and 180 days, where that is kept)."""

    on: dt.date | None = None


class Drill(_Event):
    """A drill of the emergency plan (comprehensive or special), or with ``onsite`` of an
    on-site response plan."""

    on: dt.date | None = None
    onsite: bool = False


EVENTS: dict[str, type[_Event]] = {
    "hazard_found": HazardFound,
    "hazard_rectified": HazardRectified,
    "accident": Accident,
    "training": Training,
    "inspection": Inspection,
    "penalty": Penalty,
    "drill": Drill,
}


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0


def apply_event(
    facts: Mapping[str, Any], kind: str, data: _Event, today: dt.date
) -> dict[str, Any]:
    """The unit's facts after event ``kind`` (a new dict; ``facts`` is not changed)."""
    new = json.loads(json.dumps(facts, default=jsonable))  # deep copy, dates as ISO text
    day = (getattr(data, "on", None) or today).isoformat()
    if isinstance(data, HazardFound):
        hazards = new.get("hazards") or []
        hazard_id = data.id or f"H-{len(hazards) + 1}"
        if any(h.get("id") == hazard_id for h in hazards):
            raise SessionError(f"hazard {hazard_id!r} is already recorded for {new['id']}")
        found = data.found_on or today
        hazards.append(
            {
                "id": hazard_id,
                "level": data.level,
                "found_on": found.isoformat(),
                "deadline": (data.deadline or found + dt.timedelta(days=30)).isoformat(),
                "rectified_on": None,
            }
        )
        new["hazards"] = hazards
    elif isinstance(data, HazardRectified):
        match = [h for h in new.get("hazards") or [] if h.get("id") == data.id]
        if not match:
            raise SessionError(f"no hazard {data.id!r} recorded for {new['id']}")
        match[0]["rectified_on"] = day
    elif isinstance(data, Accident):
        before = new.get("fatalities_3y")
        new["accidents_3y"] = _count(new.get("accidents_3y")) + 1
        new["fatalities_3y"] = _count(before) + data.fatalities
        worst = new.get("worst_accident_deaths_3y")
        if worst is not None or before == 0 or data.fatalities >= 3:
            # the worst single accident is known, or this one is at least as bad as any before
            new["worst_accident_deaths_3y"] = max(_count(worst), data.fatalities)
    elif isinstance(data, Training):
        employees = _count(new.get("employees"))
        migrants = _count(new.get("migrant_workers"))
        new["workers_trained"] = min(employees, _count(new.get("workers_trained")) + data.workers)
        if data.migrant_workers or new.get("migrant_workers_trained") is not None:
            trained = _count(new.get("migrant_workers_trained")) + data.migrant_workers
            new["migrant_workers_trained"] = min(migrants, trained)
    elif isinstance(data, Inspection):
        new["last_inspection"] = day
        new["violations_12m"] = _count(new.get("violations_12m")) + data.violations
    elif isinstance(data, Penalty):
        new["penalties_12m"] = _count(new.get("penalties_12m")) + 1
        if new.get("penalties_180d") is not None or new["penalties_12m"] == 1:
            new["penalties_180d"] = _count(new.get("penalties_180d")) + 1
    elif isinstance(data, Drill):
        new["last_onsite_drill" if data.onsite else "last_drill"] = day
    return new


__all__ = ["EVENTS", "apply_event"]
