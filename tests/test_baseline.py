"""The hand-written baseline of the benchmarks stays equal to the default policy."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

import riskgrade
from riskgrade.testing import enterprises
from tests.conftest import examples

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import baseline

pytestmark = pytest.mark.slow  # a hypothesis property against the benchmarks' baseline

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()


def _all_known(facts: dict[str, Any]) -> bool:
    """Every fact the baseline reads is known, down to the fields of list items."""
    if any(facts.get(name) is None for name in baseline.READS):
        return False
    items = [*facts["buildings"], *facts["elevators"]]
    hazards_known = all(h.get("level") is not None for h in facts["hazards"])
    return hazards_known and all(None not in item.values() for item in items)


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(enterprises(policy=POLICY, as_of=AS_OF, unknown=0, hazards=[], buildings=[], elevators=[]))
def test_baseline_equals_the_policy_on_known_facts(facts: dict[str, Any]) -> None:
    assume(_all_known(facts))
    a = POLICY.grade(facts, as_of=AS_OF, engine="compiled")
    level, grade, rules = baseline.grade(facts, AS_OF)
    assert (level, grade) == (a.risk_level.name.lower(), a.duty_grade.value)
    assert set(rules) == {f.rule for f in a.violations}


def test_baseline_equals_the_policy_on_the_benchmark_district() -> None:
    from population import population

    checked = 0
    for row in population(3000, seed=9):
        if not _all_known({**row}):
            continue
        a = POLICY.grade(row, as_of=AS_OF, engine="compiled")
        level, grade, rules = baseline.grade(row, AS_OF)
        assert (level, grade, set(rules)) == (
            a.risk_level.name.lower(),
            a.duty_grade.value,
            {f.rule for f in a.violations},
        ), row["id"]
        checked += 1
    assert checked > 300
