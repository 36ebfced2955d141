"""Live re-grading: a long-lived session that keeps each unit's facts and answers every update
or event with the unit's new assessment.

>>> import datetime as dt, riskgrade
>>> policy = riskgrade.load_policy()
>>> with policy.session(as_of=dt.date(2026, 11, 28)) as session:
...     first = session.put({"id": "S1", "industry": "retail", "employees": 5}).after
...     change = session.event("S1", "hazard_found", level="major")
>>> change.colour_changed, change.after.risk_level.name
(True, 'RED')

Facts live in the session (and, given a path, in SQLite), never in the rule engine: each
grading asserts one fact into durable_rules and deletes its engine state at once, so there is
no limit on how many units a session holds or how long it lives, and a failed grading leaves no
engine state behind. Every change is validated first (a bad update changes nothing) and saved in
one SQLite transaction with the event log, so a restart loses nothing: reopening the file gives
back every unit with its facts and assessment. Callbacks registered with :meth:`Session.on_change`
run after the change is saved, for units whose risk colour changed.

A session is not thread-safe; use one per thread or process.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from riskgrade.assessment import Assessment
from riskgrade.errors import SessionError
from riskgrade.grading.findings import jsonable
from riskgrade.grading.pipeline import EngineName, grade_unit
from riskgrade.grading.program import Program

if TYPE_CHECKING:
    from riskgrade.facts import Enterprise


class GradingPolicy(Protocol):
    """What a session needs of a policy (a :class:`riskgrade.Policy` is one): stated here so
    that this module does not import the facade that creates it."""

    program: Program

    @property
    def content_hash(self) -> str:
        """A hash of the policy's content (a reopened session re-grades on a new one)."""
        ...

    def validate(self, facts: Mapping[str, Any]) -> tuple[Enterprise, dict[str, Any]]:
        """The facts validated into the schema plus the policy's extra facts."""
        ...


@dataclass(frozen=True)
class Change:
    """What one update did to one unit."""

    unit_id: str
    before: Assessment | None
    after: Assessment
    event: str

    @property
    def colour_changed(self) -> bool:
        """True when the unit's risk level changed, or the unit is new to the session."""
        return self.before is None or self.before.risk_level != self.after.risk_level


Callback = Callable[[Change], object]


# -- events ------------------------------------------------------------------------------------


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

    fatalities: int = 0
    on: dt.date | None = None


class Training(_Event):
    """New training records: how many more workers (and migrant workers) were trained."""

    workers: int = 0
    migrant_workers: int = 0


class Inspection(_Event):
    """A regulator's inspection on ``on``; ``violations`` found (counted for 12 months)."""

    on: dt.date | None = None
    violations: int = 0


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


# -- the session -------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    id TEXT PRIMARY KEY, facts TEXT NOT NULL, assessment TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, unit_id TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, level INTEGER NOT NULL
);
"""


class Session:
    """See the module docstring. Made by :meth:`riskgrade.Policy.session`."""

    def __init__(
        self,
        policy: GradingPolicy,
        path: str | Path | None = None,
        *,
        as_of: dt.date | None = None,
        engine: EngineName = "durable",
    ) -> None:
        self.policy = policy
        self.engine: EngineName = engine
        self.path = Path(path) if path is not None else None
        self._db = sqlite3.connect(str(path) if path is not None else ":memory:")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._db:
            self._db.executescript(_SCHEMA)
        self._callbacks: list[Callback] = []
        self._facts: dict[str, dict[str, Any]] = {}
        self._assessments: dict[str, Assessment] = {}
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.as_of = as_of or (
            dt.date.fromisoformat(stored["as_of"]) if "as_of" in stored else dt.date.today()
        )
        for unit_id, facts, assessment in self._db.execute(
            "SELECT id, facts, assessment FROM units ORDER BY id"
        ):
            self._facts[unit_id] = json.loads(facts)
            self._assessments[unit_id] = Assessment.model_validate_json(assessment)
        same_policy = stored.get("policy_hash") == policy.content_hash
        if self._facts and (not same_policy or stored.get("as_of") != self.as_of.isoformat()):
            self._regrade_all("reopen")  # another policy or date: grades must follow
        self._save_meta()

    # -- reading --

    def __len__(self) -> int:
        return len(self._facts)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._facts

    def get(self, unit_id: str) -> Assessment:
        """The unit's current assessment."""
        return self._assessments[self._known(unit_id)]

    def facts(self, unit_id: str) -> dict[str, Any]:
        """A copy of the unit's current facts."""
        return json.loads(json.dumps(self._facts[self._known(unit_id)]))

    def assessments(self) -> Iterator[Assessment]:
        """Every unit's current assessment, by unit id."""
        for unit_id in sorted(self._assessments):
            yield self._assessments[unit_id]

    @property
    def events_applied(self) -> int:
        """How many changes the session has saved (all time, across restarts)."""
        row = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(row[0])

    # -- changing --

    def on_change(self, callback: Callback) -> Callback:
        """Call ``callback(change)`` whenever a unit's risk colour changes (or a unit is new).
        It runs after the change is saved; an exception it raises reaches the caller of the
        update, and the change stays saved. Usable as a decorator."""
        self._callbacks.append(callback)
        return callback

    def put(self, facts: Mapping[str, Any]) -> Change:
        """Add a unit or replace all its facts."""
        enterprise, _ = self.policy.validate(facts)
        return self._commit(enterprise.id, dict(facts), "put", {})  # stored by fact names

    def update(self, unit_id: str, **changes: Any) -> Change:
        """Change some facts of a known unit (``None`` makes a fact unknown)."""
        merged = {**self._facts[self._known(unit_id)], **changes}
        if merged.get("id") != unit_id:
            raise SessionError("a unit's id cannot be changed; remove it and put the new one")
        return self._commit(unit_id, merged, "update", changes)

    def event(self, unit_id: str, kind: str, **data: Any) -> Change:
        """Record an event (``hazard_found``, ``hazard_rectified``, ``accident``, ``training``,
        ``inspection``, ``penalty``, ``drill``) and re-grade the unit."""
        model = EVENTS.get(kind)
        if model is None:
            raise SessionError(f"unknown event {kind!r}; choose one of {', '.join(EVENTS)}")
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SessionError(f"bad {kind} event for {unit_id}: {details}") from exc
        facts = apply_event(self._facts[self._known(unit_id)], kind, parsed, self.as_of)
        return self._commit(unit_id, facts, kind, parsed.model_dump(mode="json"))

    def remove(self, unit_id: str) -> None:
        """Forget a unit (its events stay in the log)."""
        self._known(unit_id)
        with self._db:
            self._db.execute("DELETE FROM units WHERE id = ?", (unit_id,))
            self._log(unit_id, "remove", {}, -1)
        del self._facts[unit_id], self._assessments[unit_id]

    def advance(self, as_of: dt.date) -> list[Change]:
        """Move the session to ``as_of`` (deadlines and intervals move with it) and re-grade
        every unit; returns the changes whose colour changed."""
        self.as_of = as_of
        changes = self._regrade_all("advance")
        self._save_meta()
        return changes

    def close(self) -> None:
        """Close the SQLite database; a session with a path has already saved every change."""
        self._db.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- inside --

    def _known(self, unit_id: str) -> str:
        if unit_id not in self._facts:
            raise SessionError(f"no unit {unit_id!r} in this session")
        return unit_id

    def _log(self, unit_id: str, kind: str, data: Mapping[str, Any], level: int) -> int:
        cursor = self._db.execute(
            "INSERT INTO events (unit_id, kind, data, level) VALUES (?, ?, ?, ?)",
            (unit_id, kind, json.dumps(data, ensure_ascii=False, default=jsonable), level),
        )
        return int(cursor.lastrowid or 0)

    def _commit(
        self, unit_id: str, facts: dict[str, Any], kind: str, data: Mapping[str, Any]
    ) -> Change:
        enterprise, extras = self.policy.validate(facts)  # a bad update changes nothing
        stored = enterprise.model_dump(mode="json", exclude_none=True)
        stored.update((k, v) for k, v in extras.items() if v is not None)
        graded = grade_unit(self.policy.program, enterprise, extras, self.as_of, self.engine)
        after = graded.assessment
        with self._db:
            seq = self._log(unit_id, kind, data, int(after.risk_level))
            self._db.execute(
                "INSERT OR REPLACE INTO units (id, facts, assessment, seq) VALUES (?, ?, ?, ?)",
                (unit_id, json.dumps(stored, ensure_ascii=False), after.model_dump_json(), seq),
            )
        change = Change(unit_id, self._assessments.get(unit_id), after, kind)
        self._facts[unit_id], self._assessments[unit_id] = stored, after
        if change.colour_changed:
            for callback in self._callbacks:
                callback(change)
        return change

    def _regrade_all(self, kind: str) -> list[Change]:
        changes = []
        for unit_id in sorted(self._facts):
            before = self._assessments.get(unit_id)
            change = self._commit(unit_id, self._facts[unit_id], kind, {})
            if before is not None and change.colour_changed:
                changes.append(change)
        return changes

    def _save_meta(self) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("policy_hash", self.policy.content_hash), ("as_of", self.as_of.isoformat())],
            )


__all__ = ["EVENTS", "Change", "Session", "SessionError", "apply_event"]
