"""``diff_policies`` on the columnar engine (its default) gives what grading unit by unit gives:
the same transitions, changes (with the rules each policy alone fires), failures and PSI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgrade.authoring.diff import diff_policies
from riskgrade.bundled import sample_district_path
from riskgrade.grading import columnar_many
from riskgrade.policy import load_policy_source
from tests.conftest import AS_OF
from tests.grading.test_columnar_validate import _DEFAULT, _rows
from tests.test_hostile import MINI

_MINI = load_policy_source({"mini.yaml": MINI})


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 1, then 3 rows: every ledger crosses chunks."""
    monkeypatch.setattr(columnar_many, "FIRST", 1)
    monkeypatch.setattr(columnar_many, "CHUNK", 3)


def _both(rows: list[Any]) -> dict[str, Any]:
    """The diff of the mini and the default policy over ``rows`` (given as a one-shot
    generator), checked equal to the unit-by-unit one."""
    columnar = diff_policies(_MINI, _DEFAULT, (row for row in rows), as_of=AS_OF)
    compiled = diff_policies(_MINI, _DEFAULT, rows, as_of=AS_OF, engine="compiled")
    assert columnar.to_dict() == compiled.to_dict()
    return columnar.to_dict()


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_rows(_DEFAULT), max_size=10))
def test_generated_ledgers_diff_as_unit_by_unit(
    small_chunks: None, rows: list[dict[str, Any]]
) -> None:
    _both(rows)


def test_the_sample_district_diffs_as_unit_by_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_many, "CHUNK", 150)  # three tables
    rows = [json.loads(line) for line in sample_district_path().read_text("utf-8").splitlines()]
    rows[5]["employees"] = -1  # fails under both policies
    result = _both(rows)
    assert result["units"] == 399 and result["failed"] == 1
    assert result["changes"]  # the two policies grade many units apart


def test_a_source_reusing_one_dict_diffs_as_unit_by_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_many, "CHUNK", 20)
    rows = [json.loads(line) for line in sample_district_path().read_text("utf-8").splitlines()]
    rows = rows[:60]

    def reused() -> Any:
        row: dict[str, Any] = {}
        for values in rows:
            row.clear()
            row.update(values)
            yield row

    columnar = diff_policies(_MINI, _DEFAULT, reused(), as_of=AS_OF)
    compiled = diff_policies(_MINI, _DEFAULT, rows, as_of=AS_OF, engine="compiled")
    assert columnar.to_dict() == compiled.to_dict()
