"""The district report and the inspection plan on the columnar engine (their default): the same
units, failures, summary and plan as grading unit by unit, without building assessments.

The reference is ``grade_units(engine="compiled")``, one unit at a time through pydantic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.batch.columns import RowProblem
from riskgrade.batch.read import Row, read_rows
from riskgrade.batch.write import result_record
from riskgrade.bundled import sample_district_path
from riskgrade.grading import columnar_many
from riskgrade.policy import load_policy_source
from riskgrade.supervision.plan import make_plan, plan_rows
from riskgrade.supervision.settings import Unit, grade_units, load_settings
from riskgrade.supervision.summary import summarize
from tests.conftest import AS_OF
from tests.grading.test_columnar_validate import _DEFAULT, _EXTRAS, _rows
from tests.test_hostile import MINI

_SETTINGS = load_settings()
_NO_HIGH_RISK = load_policy_source({"mini.yaml": MINI.replace("high_risk", "dangerous_trade")})
_PLACES = st.sampled_from([None, "东风街道", "西湖街道"])


def _described(unit: Unit) -> tuple[Any, ...]:
    """What a unit says, the engine aside."""
    a = unit.assessment
    return (
        unit.id,
        unit.industry,
        unit.street,
        unit.community,
        unit.last_inspection,
        unit.high_risk,
        a.risk_level,
        a.duty_grade,
        a.model_dump(exclude={"engine"}),
    )


def _plan(units: list[Unit], as_of: dt.date = AS_OF) -> Any:
    return make_plan(units, inspectors=2, days=5, start=as_of, settings=_SETTINGS)


def _failures(failures: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.index, f.entity_id, f.errors) for f in failures]


def _same(policy: Any, rows: list[Any], as_of: dt.date = AS_OF) -> list[Unit]:
    """Grade ``rows`` both ways and check they agree; the columnar units."""
    units, failures = grade_units(policy, rows, as_of)
    reference, expected = grade_units(policy, rows, as_of, engine="compiled")
    assert _failures(failures) == _failures(expected)
    assert summarize(units, failures, policy, _SETTINGS, as_of) == summarize(
        reference, expected, policy, _SETTINGS, as_of
    )
    plan = _plan(units, as_of)
    assert plan_rows(plan, "en") == plan_rows(_plan(reference, as_of), "en")
    for unit in units:  # what the table gave is what the assessment says
        whole = {**result_record(unit.assessment), "data_gapped": bool(unit.assessment.data_gaps)}
        assert unit.graded is None or {k: unit.graded[k] for k in whole} == whole
    assert [_described(u) for u in units] == [_described(u) for u in reference]
    return units


@st.composite
def _district(draw: st.DrawFn, policy: Any) -> list[dict[str, Any]]:
    rows = draw(st.lists(_rows(policy), max_size=12))
    for row in rows:  # a few streets and communities, some ids repeated
        row["street"], row["community"] = draw(_PLACES), draw(_PLACES)
        if draw(st.integers(0, 4)) == 0:
            row["id"] = "dup"
    return rows


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 1, then 4 rows: every district crosses chunks."""
    monkeypatch.setattr(columnar_many, "FIRST", 1)
    monkeypatch.setattr(columnar_many, "CHUNK", 4)


_HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.slow
@_HYPOTHESIS
@given(_district(_DEFAULT))
def test_generated_districts_grade_as_unit_by_unit(
    small_chunks: None, rows: list[dict[str, Any]]
) -> None:
    _same(_DEFAULT, rows)


@_HYPOTHESIS
@given(_district(_EXTRAS))
def test_a_policys_extra_facts_grade_as_unit_by_unit(
    small_chunks: None, rows: list[dict[str, Any]]
) -> None:
    _same(_EXTRAS, rows)


@_HYPOTHESIS
@given(_district(_NO_HIGH_RISK))
def test_a_policy_without_high_risk_grades_as_unit_by_unit(
    small_chunks: None, rows: list[dict[str, Any]]
) -> None:
    units = _same(_NO_HIGH_RISK, rows)
    assert not any(u.high_risk for u in units)


def test_the_sample_district_grades_as_unit_by_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_many, "CHUNK", 150)  # three tables
    rows = list(read_rows(sample_district_path()))
    units = _same(_DEFAULT, rows)
    assert len(units) == 400
    assert sum(u.graded is not None for u in units) == 399  # the first row alone graded whole
    assert sum(u.high_risk for u in units) > 0


def test_the_summary_builds_no_assessment(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = columnar_many.grade_unit

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[1].id)
        return original(*args, **kwargs)

    monkeypatch.setattr(columnar_many, "grade_unit", counting)
    rows = [row.facts for row in read_rows(sample_district_path())]
    units, failures = grade_units(_DEFAULT, rows, AS_OF)
    summary = summarize(units, failures, _DEFAULT, _SETTINGS, AS_OF)
    assert built == [rows[0]["id"]]  # the first row, graded on its own
    assert summary.hot_units and summary.duty_gaps and summary.countermeasures
    plan = _plan(units)
    plan_rows(plan)  # reads each visited unit's first countermeasure
    assert 1 < len(built) <= len(plan.visits) + 1 < len(units)


def test_failures_keep_their_row_numbers_in_row_order() -> None:
    good = {"industry": "retail", "employees": 5}
    rows = [
        Row(2, {**good, "id": "a"}),
        Row(3, {**good, "id": "b", "employees": -1}),  # fails validation
        Row(4, {**good, "id": "a"}),  # repeats an id
        Row(5, {**good, "id": "c"}, RowProblem("employees", "not a number: 'x'")),
        Row(6, {**good, "id": "d"}),
    ]
    units, failures = grade_units(_DEFAULT, rows, AS_OF)
    assert [u.id for u in units] == ["a", "d"]
    assert [(f.index, f.entity_id) for f in failures] == [(3, "b"), (4, "a"), (5, "c")]
    assert failures[0].errors[0][0] == "employees"


def test_progress_is_reported_as_rows_are_read() -> None:
    seen: list[int] = []
    rows = [{"id": f"p{i}", "industry": "retail", "employees": 5} for i in range(250)]
    grade_units(_DEFAULT, rows, AS_OF, on_progress=seen.append)
    assert seen == [100, 200]


def test_a_scoring_row_skipped_with_every_fact_given_is_no_data_gap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A building of unknown height leaves ``has_highrise`` undecided though the buildings are
    given: the risk factor's row that reads it is skipped, and no fact is missing, so the unit
    has no data gap (were it counted as one, 130 of these units would be)."""
    monkeypatch.setattr(columnar_many, "CHUNK", 100)
    building = {
        "industrial": False,
        "residential": False,
        "floors": 10,
        "height_m": None,
        "sprinklers_ok": True,
        "fire_alarm_ok": True,
        "smoke_control_ok": True,
        "fire_water_ok": True,
        "control_room_staffed": True,
        "last_fire_test": "2026-10-01",
    }
    rows = [row.facts for row in read_rows(sample_district_path())]
    rows = [{**row, "buildings": [building]} for row in rows if not row.get("buildings")]
    units = _same(_DEFAULT, rows)
    quiet = [u for u in units if not u.record["data_gapped"]]
    assert len(quiet) > 100 and not any(u.assessment.data_gaps for u in quiet)
