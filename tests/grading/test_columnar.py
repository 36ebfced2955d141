"""The columnar path computes what the interpreter computes: every derived fact and every
rule outcome (true, false, unknown), unit by unit, over whole tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.batch.read import read_rows
from riskgrade.bundled import sample_district_path
from riskgrade.grading.columnar import rule_outcomes, unit_frame, with_derived
from riskgrade.grading.evaluate import environment, evaluate_python
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, examples

_OUTCOME = {"true": True, "false": False, "unknown": None}


def _differences(
    policy: riskgrade.Policy, rows: Sequence[Mapping[str, Any]], as_of: dt.date
) -> list[str]:
    units = [policy.validate(dict(row)) for row in rows]
    program = policy.program
    frame = with_derived(unit_frame(program, units), program, as_of)
    outcomes = rule_outcomes(frame, program, as_of)
    assert outcomes.height == len(units)
    found: list[str] = []
    for index, (unit, extras) in enumerate(units):
        env = environment(program, unit, extras, as_of)
        evaluation = evaluate_python(program, env)
        for fact in policy.checked.derived:
            if env[fact.name] != frame[fact.name][index]:
                found.append(f"unit {index} {fact.name}: {env[fact.name]!r} vs columnar")
        for rule, outcome in zip(policy.checked.rules, evaluation.outcomes, strict=True):
            got = outcomes[rule.rule.id][index]
            if got != _OUTCOME[outcome]:
                found.append(f"unit {index} {rule.rule.id}: {outcome} vs {got!r}")
    return found


def test_the_sample_district_agrees(default_policy: riskgrade.Policy) -> None:
    rows = [row.facts for row in read_rows(sample_district_path())]
    assert _differences(default_policy, rows, AS_OF) == []


def test_the_default_policy_cases_agree(default_policy: riskgrade.Policy) -> None:
    from riskgrade.authoring.cases import case_facts

    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for case, _ in default_policy.checked.tests:
        by_date.setdefault(case.as_of, []).append(case_facts(default_policy, case))
    assert sum(len(rows) for rows in by_date.values()) == len(default_policy.checked.tests)
    for as_of, rows in by_date.items():
        assert _differences(default_policy, rows, as_of) == []


@pytest.mark.slow
@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=25))
def test_generated_tables_agree(rows: list[dict[str, Any]]) -> None:
    policy = _POLICY
    assert _differences(policy, rows, AS_OF) == []


def test_a_wrong_translation_is_caught(
    default_policy: riskgrade.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison can fail: with ``>=`` translated as ``>``, units disagree."""
    import riskgrade.rules.columnar as columnar

    monkeypatch.setitem(columnar._COMPARE, ">=", lambda a, b: a > b)
    rows = [row.facts for row in read_rows(sample_district_path())]
    assert _differences(default_policy, rows, AS_OF)


_POLICY = riskgrade.load_policy()
