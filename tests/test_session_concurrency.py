"""Live sessions shared by threads, and one session file written by several processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import riskgrade
from riskgrade.session import SessionError
from tests.conftest import AS_OF, ROOT

UNIT = {"id": "W1", "industry": "manufacturing", "employees": 40, "emergency_plan": True}

WRITER = r"""
import datetime as dt, sys
import riskgrade
policy = riskgrade.load_policy()
with policy.session(sys.argv[1], as_of=dt.date(2026, 11, 28)) as session:
    for n in range(int(sys.argv[3])):
        session.event("W1", "hazard_found", id=f"{sys.argv[2]}-{n}", level="general")
"""


def _hazards(session: riskgrade.session.Session) -> list[str]:
    return sorted(h["id"] for h in session.facts("W1").get("hazards") or [])


def test_two_processes_writing_one_session_file_lose_nothing(
    tmp_path: Path, default_policy: riskgrade.Policy
) -> None:
    # Before: the log held all 100 events, but each process wrote back its own facts, so
    # one side's hazards vanished (0 of 50 kept), silently.
    path = tmp_path / "district.sqlite"
    with default_policy.session(path, as_of=AS_OF) as session:
        session.put(UNIT)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), side, "50"], cwd=ROOT)
        for side in ("A", "B")
    ]
    assert [w.wait(timeout=600) for w in writers] == [0, 0]
    with default_policy.session(path) as session:
        assert session.events_applied == 1 + 100
        expected = sorted(f"{side}-{n}" for side in "AB" for n in range(50))
        assert _hazards(session) == expected
        # the saved grade is the grade of the saved facts
        fresh = default_policy.grade(session.facts("W1"), as_of=AS_OF)
        assert session.get("W1").model_dump(exclude={"engine"}) == fresh.model_dump(
            exclude={"engine"}
        )


def test_a_session_sees_what_another_saved_to_its_file(
    tmp_path: Path, default_policy: riskgrade.Policy
) -> None:
    path = tmp_path / "shared.sqlite"
    first = default_policy.session(path, as_of=AS_OF)
    second = default_policy.session(path)
    first.put(UNIT)
    assert "W1" in second and len(second) == 1
    second.event("W1", "hazard_found", id="H-2", level="major")
    assert first.get("W1").risk_level == riskgrade.RiskLevel.RED
    first.event("W1", "hazard_found", id="H-1")  # applied to the facts second saved
    assert _hazards(second) == ["H-1", "H-2"]
    first.advance(AS_OF + dt.timedelta(days=40))  # the date is the file's
    assert second.as_of == AS_OF + dt.timedelta(days=40)
    second.remove("W1")
    assert "W1" not in first
    first.close()
    second.close()


@pytest.mark.parametrize("where", ["memory", "file"])
def test_one_session_shared_by_eight_threads(
    tmp_path: Path, default_policy: riskgrade.Policy, where: str
) -> None:
    path = tmp_path / "threads.sqlite" if where == "file" else None
    seen: list[str] = []
    with default_policy.session(path, as_of=AS_OF) as session:
        session.on_change(lambda change: seen.append(change.unit_id))
        session.put(UNIT)
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                for n in range(25):
                    session.event("W1", "hazard_found", id=f"T{k}-{n}", level="general")
                    session.get("W1")
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(_hazards(session)) == 200
        assert session.events_applied == 201
        fresh = default_policy.grade(session.facts("W1"), as_of=AS_OF)
        assert session.get("W1").risk_level == fresh.risk_level
        assert seen[0] == "W1"


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("accident", {"fatalities": -3}, "fatalities"),
        ("training", {"workers": -10}, "workers"),
        ("training", {"migrant_workers": -1}, "migrant_workers"),
        ("inspection", {"violations": -2}, "violations"),
    ],
)
def test_negative_counts_in_events_are_refused(
    default_policy: riskgrade.Policy, kind: str, data: dict[str, int], field: str
) -> None:
    # Before: accident(fatalities=-3) took three deaths off the count and turned an orange
    # unit blue.
    unit = {**UNIT, "accidents_3y": 1, "fatalities_3y": 3, "workers_trained": 20}
    with default_policy.session(as_of=AS_OF) as session:
        before = session.put(unit).after
        with pytest.raises(SessionError, match=rf"{field}: Input should be greater than or equal"):
            session.event("W1", kind, **data)
        assert session.get("W1") == before
        assert session.facts("W1")["fatalities_3y"] == 3
        assert session.events_applied == 1


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("drill", {"on": "2099-01-01"}, "on"),
        ("inspection", {"on": "2026-12-01"}, "on"),
        ("hazard_found", {"found_on": "2027-01-01"}, "found_on"),
        ("hazard_rectified", {"id": "H-1", "on": "2099-01-01"}, "on"),
        ("accident", {"on": "2026-11-29"}, "on"),
        ("penalty", {"on": "2030-01-01"}, "on"),
    ],
)
def test_events_dated_after_the_session_date_are_refused(
    default_policy: riskgrade.Policy, kind: str, data: dict[str, str], field: str
) -> None:
    unit = {**UNIT, "last_drill": "2026-06-01", "hazards": [{"id": "H-1", "level": "general"}]}
    with default_policy.session(as_of=AS_OF) as session:
        before = session.put(unit).after
        day = next(iter(v for k, v in data.items() if k != "id"))
        with pytest.raises(SessionError, match=rf"{field}: date {day} is after .* 2026-11-28"):
            session.event("W1", kind, **data)
        assert session.get("W1") == before
        assert session.facts("W1")["last_drill"] == "2026-06-01"
        # the same event dated on the session's date is taken
        session.event("W1", kind, **{**data, field: AS_OF.isoformat()})
        assert session.events_applied == 2
