"""Live re-grading: updates, events, colour-change callbacks, SQLite persistence and restarts."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
import riskgrade.session
from riskgrade.cli import sample_rows
from riskgrade.session import Change, SessionError
from tests.conftest import AS_OF, examples


def stream(seed: int, length: int, ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """A reproducible stream of events over ``ids``; hazards found are later rectified."""
    rng = random.Random(seed)
    open_hazards: dict[str, list[str]] = {}
    events: list[tuple[str, str, dict[str, Any]]] = []
    for n in range(length):
        unit = rng.choice(ids)
        kind = rng.choice(
            [
                "hazard_found",
                "hazard_rectified",
                "accident",
                "training",
                "inspection",
                "drill",
                "penalty",
            ]
        )
        if kind == "hazard_found":
            hazard = f"S-{n}"
            open_hazards.setdefault(unit, []).append(hazard)
            data: dict[str, Any] = {"id": hazard, "level": rng.choice(["general", "major"])}
        elif kind == "hazard_rectified":
            if not open_hazards.get(unit):
                continue
            data = {"id": open_hazards[unit].pop(0)}
        elif kind == "accident":
            data = {"fatalities": rng.choice([0, 0, 1, 3])}
        elif kind == "penalty":
            data = {"on": "2026-11-10"}
        elif kind == "training":
            data = {"workers": rng.randint(0, 20), "migrant_workers": rng.randint(0, 5)}
        elif kind == "inspection":
            data = {"violations": rng.randint(0, 2), "on": "2026-11-20"}
        else:
            data = {"on": "2026-11-01", "onsite": rng.choice([False, True])}
        events.append((unit, kind, data))
    return events


def batch_grades(policy: riskgrade.Policy, facts: list[dict[str, Any]]) -> dict[str, str]:
    return {
        a.entity_id: a.model_dump_json(exclude={"engine"})
        for a in policy.grade_many(facts, as_of=AS_OF)  # type: ignore[union-attr]
    }


def session_grades(session: riskgrade.session.Session) -> dict[str, str]:
    return {a.entity_id: a.model_dump_json(exclude={"engine"}) for a in session.assessments()}


def test_the_module_example_runs() -> None:
    assert doctest.testmod(riskgrade.session).failed == 0


def test_updates_and_events_regrade_like_a_fresh_grading(
    default_policy: riskgrade.Policy, compliant: dict[str, Any]
) -> None:
    with default_policy.session(as_of=AS_OF) as session:
        first = session.put(compliant)
        assert first.before is None and first.colour_changed
        assert first.after == default_policy.grade(compliant, as_of=AS_OF)
        change = session.update("C-1", ppe_provided=False)
        assert change.before == first.after
        assert "no_ppe" in {f.rule for f in change.after.violations}
        found = session.event("C-1", "hazard_found", id="H9", level="major")
        assert found.after.risk_level is riskgrade.RiskLevel.RED and found.colour_changed
        fixed = session.event("C-1", "hazard_rectified", id="H9")
        assert fixed.after.risk_level < riskgrade.RiskLevel.RED
        assert session.facts("C-1")["hazards"][0]["rectified_on"] == AS_OF.isoformat()
        assert session.get("C-1") == default_policy.grade(session.facts("C-1"), as_of=AS_OF)


def test_callbacks_fire_only_when_the_colour_changes(
    default_policy: riskgrade.Policy, compliant: dict[str, Any]
) -> None:
    seen: list[Change] = []
    with default_policy.session(as_of=AS_OF) as session:
        session.on_change(seen.append)
        session.put(compliant)  # new unit: blue
        session.event("C-1", "drill", on="2026-11-01")  # no change of colour
        session.event("C-1", "hazard_found", id="H1", level="major")  # -> red
        session.event("C-1", "hazard_found", id="H2", level="general")  # still red
    assert [(c.event, c.after.risk_level.name) for c in seen] == [
        ("put", "BLUE"),
        ("hazard_found", "RED"),
    ]
    assert seen[1].before is not None and seen[1].before.risk_level.name == "BLUE"


def test_bad_updates_change_nothing(
    default_policy: riskgrade.Policy, compliant: dict[str, Any], tmp_path: Path
) -> None:
    with default_policy.session(tmp_path / "s.sqlite", as_of=AS_OF) as session:
        session.put(compliant)
        before, saved = session.get("C-1"), session.events_applied
        with pytest.raises(riskgrade.FactError, match="employees"):
            session.update("C-1", employees=-5)
        with pytest.raises(SessionError, match="unknown event 'fire'; choose one of"):
            session.event("C-1", "fire")
        with pytest.raises(SessionError, match="bad accident event for C-1: fatalities"):
            session.event("C-1", "accident", fatalities="many")
        with pytest.raises(SessionError, match="no hazard 'H0' recorded for C-1"):
            session.event("C-1", "hazard_rectified", id="H0")
        with pytest.raises(SessionError, match="no unit 'C-2'"):
            session.update("C-2", employees=3)
        with pytest.raises(SessionError, match="id cannot be changed"):
            session.update("C-1", id="C-9")
        assert session.get("C-1") == before and session.events_applied == saved


def test_a_restarted_session_continues_where_it_stopped(
    default_policy: riskgrade.Policy, tmp_path: Path
) -> None:
    rows = sample_rows()
    events = stream(7, 120, [r["id"] for r in rows])
    path = tmp_path / "live.sqlite"
    with default_policy.session(path, as_of=AS_OF) as session:
        for row in rows:
            session.put(row)
        for unit, kind, data in events[:50]:
            session.event(unit, kind, **data)
    with default_policy.session(path) as reopened:  # as_of comes back from the file
        assert reopened.as_of == AS_OF and len(reopened) == len(rows)
        assert reopened.events_applied == len(rows) + 50
        for unit, kind, data in events[50:]:
            reopened.event(unit, kind, **data)
        restored = session_grades(reopened)
        facts = [reopened.facts(unit) for unit in sorted(r["id"] for r in rows)]
    with default_policy.session(as_of=AS_OF) as straight:  # never interrupted
        for row in rows:
            straight.put(row)
        for unit, kind, data in events:
            straight.event(unit, kind, **data)
        assert session_grades(straight) == restored
    assert batch_grades(default_policy, facts) == restored


CRASH = """
import json, os, sys
import riskgrade
from tests.test_session import stream
from tests.conftest import AS_OF
rows = json.loads(sys.argv[2])
events = stream(11, 200, [r["id"] for r in rows])
session = riskgrade.load_policy().session(sys.argv[1], as_of=AS_OF)
for row in rows:
    session.put(row)
for n, (unit, kind, data) in enumerate(events):
    if n == int(sys.argv[3]):
        os._exit(9)  # killed mid-stream: no close, no cleanup
    session.event(unit, kind, **data)
"""


def test_a_killed_process_loses_nothing(default_policy: riskgrade.Policy, tmp_path: Path) -> None:
    rows = sample_rows()
    path = tmp_path / "crash.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), json.dumps(rows, ensure_ascii=False), "80"],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 9, done.stderr
    events = stream(11, 200, [r["id"] for r in rows])
    with default_policy.session(path) as session:
        applied = session.events_applied - len(rows)
        assert applied == 80  # every event before the kill was saved, none after
        for unit, kind, data in events[applied:]:
            session.event(unit, kind, **data)
        restored = session_grades(session)
        facts = [session.facts(r["id"]) for r in rows]
    assert batch_grades(default_policy, facts) == restored


def test_advancing_the_date_and_changing_the_policy_regrade(
    default_policy: riskgrade.Policy, compliant: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    with default_policy.session(path, as_of=AS_OF) as session:
        hotel = {**compliant, "industry": "hospitality", "last_drill": "2026-08-01"}
        session.put(hotel)  # a hotel drills its plan every 6 months
        assert "drill_overdue" not in {f.rule for f in session.get("C-1").violations}
        session.advance(dt.date(2027, 3, 1))
        assert "drill_overdue" in {f.rule for f in session.get("C-1").violations}
    strict = riskgrade.load_policy(Path(__file__).parent / "fixtures" / "mini.yaml")
    with strict.session(path) as reopened:  # another policy: every unit is re-graded by it
        assert reopened.get("C-1").policy_hash == strict.content_hash


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), length=st.integers(1, 60))
def test_sessions_agree_with_batch_grading(
    default_policy: riskgrade.Policy, seed: int, length: int
) -> None:
    rows = sample_rows()
    with default_policy.session(as_of=AS_OF) as session:
        for row in rows:
            session.put(row)
        for unit, kind, data in stream(seed, length, [r["id"] for r in rows]):
            session.event(unit, kind, **data)
        facts = [session.facts(r["id"]) for r in rows]
        assert batch_grades(default_policy, facts) == session_grades(session)


def test_events_keep_the_v11_facts(compliant: dict[str, Any]) -> None:
    """A large accident makes the unit red; penalties count in 180 days; on-site drills."""
    with riskgrade.load_policy().session(as_of=AS_OF) as session:
        session.put(compliant)
        session.event("C-1", "accident", fatalities=1)
        assert session.facts("C-1")["worst_accident_deaths_3y"] == 1
        change = session.event("C-1", "accident", fatalities=3)
        assert session.facts("C-1")["worst_accident_deaths_3y"] == 3
        assert session.facts("C-1")["fatalities_3y"] == 4
        assert change.after.risk_level == riskgrade.RiskLevel.RED
        session.event("C-1", "penalty")
        assert (session.facts("C-1")["penalties_12m"], session.facts("C-1")["penalties_180d"]) == (
            1,
            1,
        )
        session.event("C-1", "drill", on="2026-11-20", onsite=True)
        assert session.facts("C-1")["last_onsite_drill"] == "2026-11-20"
        assert session.facts("C-1")["last_drill"] == compliant["last_drill"]
