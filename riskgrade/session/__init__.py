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

Threads and processes: one session may be shared by threads (each operation holds the
session's lock; callbacks run outside it), and several sessions, in several processes, may
open one file. Every change takes SQLite's write lock (``BEGIN IMMEDIATE``), re-reads what
others saved since, applies the change to those facts, and commits, so no one's update is
lost; reads see every change committed before them. The session's date is the file's: an
:meth:`Session.advance` by one process moves the others too. All sessions on one file must
grade with the same policy (one that reopens with another re-grades every unit).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from riskgrade.assessment import Assessment
from riskgrade.errors import SessionError
from riskgrade.grading.findings import jsonable
from riskgrade.grading.pipeline import EngineName, grade_unit
from riskgrade.grading.program import Program
from riskgrade.session.events import EVENTS, apply_event

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
        self._lock = threading.RLock()
        # Transactions by hand (isolation_level=None): a change is BEGIN IMMEDIATE .. COMMIT.
        self._db = sqlite3.connect(
            str(path) if path is not None else ":memory:",
            timeout=60,
            isolation_level=None,
            check_same_thread=False,  # the session's lock serialises its threads
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._callbacks: list[Callback] = []
        self._facts: dict[str, dict[str, Any]] = {}
        self._assessments: dict[str, Assessment] = {}
        self._as_of = dt.date.today()  # the file's, once read
        self._seen: int | None = None  # the last event read from the file (None: read all)
        self._db.executescript(_SCHEMA)
        with self._writing() as changes:
            stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            same_policy = stored.get("policy_hash") == policy.content_hash
            self._as_of = as_of or self._as_of
            if self._facts and (not same_policy or stored.get("as_of") != self._as_of.isoformat()):
                self._regrade_all("reopen", changes)  # another policy or date: grades follow
            self._save_meta()

    # -- reading --

    @property
    def as_of(self) -> dt.date:
        """The session's date: the file's, as the last :meth:`advance` by anyone set it."""
        with self._lock:
            self._sync()
            return self._as_of

    def __len__(self) -> int:
        return len(self._read())

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._read()

    def get(self, unit_id: str) -> Assessment:
        """The unit's current assessment."""
        with self._lock:
            self._sync()
            return self._assessments[self._known(unit_id)]

    def facts(self, unit_id: str) -> dict[str, Any]:
        """A copy of the unit's current facts."""
        with self._lock:
            return json.loads(json.dumps(self._read()[self._known(unit_id)]))

    def assessments(self) -> Iterator[Assessment]:
        """Every unit's current assessment, by unit id."""
        with self._lock:
            self._sync()
            current = [self._assessments[unit_id] for unit_id in sorted(self._assessments)]
        yield from current

    @property
    def events_applied(self) -> int:
        """How many changes the session has saved (all time, across restarts)."""
        with self._lock:
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
        with self._writing() as changes:
            change = self._commit(enterprise.id, dict(facts), "put", {}, changes)
        self._notify(changes)
        return change

    def update(self, unit_id: str, **changes: Any) -> Change:
        """Change some facts of a known unit (``None`` makes a fact unknown)."""
        with self._writing() as done:  # the unit's facts as saved by anyone, then the change
            merged = {**self._facts[self._known(unit_id)], **changes}
            if merged.get("id") != unit_id:
                raise SessionError("a unit's id cannot be changed; remove it and put the new one")
            change = self._commit(unit_id, merged, "update", changes, done)
        self._notify(done)
        return change

    def event(self, unit_id: str, kind: str, **data: Any) -> Change:
        """Record an event (``hazard_found``, ``hazard_rectified``, ``accident``, ``training``,
        ``inspection``, ``penalty``, ``drill``) and re-grade the unit. Counts must not be
        negative, and an event cannot be dated after the session's date (``as_of``)."""
        model = EVENTS.get(kind)
        if model is None:
            raise SessionError(f"unknown event {kind!r}; choose one of {', '.join(EVENTS)}")
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SessionError(f"bad {kind} event for {unit_id}: {details}") from exc
        with self._writing() as changes:  # applied to the facts as saved by anyone
            for name in ("on", "found_on"):
                day = getattr(parsed, name, None)
                if day is not None and day > self._as_of:
                    raise SessionError(
                        f"bad {kind} event for {unit_id}: {name}: date {day.isoformat()} is "
                        f"after the session's date {self._as_of.isoformat()}"
                    )
            facts = apply_event(self._facts[self._known(unit_id)], kind, parsed, self._as_of)
            change = self._commit(unit_id, facts, kind, parsed.model_dump(mode="json"), changes)
        self._notify(changes)
        return change

    def remove(self, unit_id: str) -> None:
        """Forget a unit (its events stay in the log)."""
        with self._writing():
            self._known(unit_id)
            self._db.execute("DELETE FROM units WHERE id = ?", (unit_id,))
            self._seen = self._log(unit_id, "remove", {}, -1)
            del self._facts[unit_id], self._assessments[unit_id]

    def advance(self, as_of: dt.date) -> list[Change]:
        """Move the session to ``as_of`` (deadlines and intervals move with it) and re-grade
        every unit; returns the changes whose colour changed."""
        with self._writing() as changes:
            self._as_of = as_of
            moved = self._regrade_all("advance", changes)
            self._save_meta()
        self._notify(changes)
        return moved

    def close(self) -> None:
        """Close the SQLite database; a session with a path has already saved every change."""
        with self._lock:
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

    def _read(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            self._sync()
            return self._facts

    @contextmanager
    def _writing(self) -> Iterator[list[Change]]:
        """One transaction holding SQLite's write lock, after reading what others saved; yields
        the list the changes made go to (:meth:`_notify` them once it is committed)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._sync()
                yield []
            except BaseException:
                self._db.execute("ROLLBACK")
                self._seen = None  # the memory may hold what was rolled back: read it all again
                self._sync()
                raise
            self._db.execute("COMMIT")

    def _sync(self) -> None:
        """Bring the units and the date up to the file: what other sessions saved since."""
        if self._seen is None:
            self._facts.clear()
            self._assessments.clear()
            touched = [r[0] for r in self._db.execute("SELECT id FROM units")]
            last = self._db.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        else:
            rows = self._db.execute(
                "SELECT unit_id, seq FROM events WHERE seq > ? ORDER BY seq", (self._seen,)
            ).fetchall()
            touched = sorted({r[0] for r in rows})
            last = rows[-1][1] if rows else self._seen
        for unit_id in touched:
            row = self._db.execute(
                "SELECT facts, assessment FROM units WHERE id = ?", (unit_id,)
            ).fetchone()
            if row is None:
                self._facts.pop(unit_id, None)
                self._assessments.pop(unit_id, None)
            else:
                self._facts[unit_id] = json.loads(row[0])
                self._assessments[unit_id] = Assessment.model_validate_json(row[1])
        self._seen = last
        stored = self._db.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
        self._as_of = dt.date.fromisoformat(stored[0]) if stored else dt.date.today()

    def _log(self, unit_id: str, kind: str, data: Mapping[str, Any], level: int) -> int:
        cursor = self._db.execute(
            "INSERT INTO events (unit_id, kind, data, level) VALUES (?, ?, ?, ?)",
            (unit_id, kind, json.dumps(data, ensure_ascii=False, default=jsonable), level),
        )
        return int(cursor.lastrowid or 0)

    def _commit(
        self,
        unit_id: str,
        facts: dict[str, Any],
        kind: str,
        data: Mapping[str, Any],
        changes: list[Change],
    ) -> Change:
        """Grade and save one unit inside :meth:`_writing`."""
        enterprise, extras = self.policy.validate(facts)  # a bad update changes nothing
        stored = enterprise.model_dump(mode="json", exclude_none=True)
        stored.update((k, v) for k, v in extras.items() if v is not None)
        graded = grade_unit(self.policy.program, enterprise, extras, self._as_of, self.engine)
        after = graded.assessment
        seq = self._log(unit_id, kind, data, int(after.risk_level))
        self._db.execute(
            "INSERT OR REPLACE INTO units (id, facts, assessment, seq) VALUES (?, ?, ?, ?)",
            (unit_id, json.dumps(stored, ensure_ascii=False), after.model_dump_json(), seq),
        )
        change = Change(unit_id, self._assessments.get(unit_id), after, kind)
        self._facts[unit_id], self._assessments[unit_id] = stored, after
        self._seen = seq
        changes.append(change)
        return change

    def _notify(self, changes: list[Change]) -> None:
        """Run the callbacks for committed changes whose colour changed (outside the lock)."""
        for change in changes:
            if change.colour_changed:
                for callback in self._callbacks:
                    callback(change)

    def _regrade_all(self, kind: str, changes: list[Change]) -> list[Change]:
        moved = []
        for unit_id in sorted(self._facts):
            before = self._assessments.get(unit_id)
            change = self._commit(unit_id, self._facts[unit_id], kind, {}, changes)
            if before is not None and change.colour_changed:
                moved.append(change)
        return moved

    def _save_meta(self) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("policy_hash", self.policy.content_hash), ("as_of", self._as_of.isoformat())],
        )


__all__ = ["EVENTS", "Change", "Session", "SessionError", "apply_event"]
