"""The check stage validates a case's facts exactly as grading will: the same refusals, field
for field, for the schema's facts and for a policy's own declared facts of every type."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import riskgrade
from riskgrade.check.cases import validation_errors
from riskgrade.policy import load_policy_source
from tests.conftest import MINI

DECLARED = """facts:
  flag: {type: bool}
  count_: {type: int}
  amount: {type: number}
  label: {type: str}
  opened: {type: date}
  colour: {type: enum, values: [red, green]}
"""

VALUES: list[Any] = [
    None, True, 0, 3, 2.5, -1, "x", "red", "2026-02-30", "2026-01-01", dt.date(2026, 1, 1), [1],
]  # fmt: skip


@pytest.fixture(scope="module")
def policy() -> riskgrade.Policy:
    return load_policy_source({"p.yaml": MINI + DECLARED})


def _grading_errors(policy: riskgrade.Policy, facts: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        policy.validate(facts)
    except riskgrade.FactError as exc:
        return sorted(exc.errors)
    return []


@pytest.mark.parametrize("name", ["flag", "count_", "amount", "label", "opened", "colour"])
def test_declared_facts_are_refused_as_grading_refuses_them(
    policy: riskgrade.Policy, name: str
) -> None:
    declared = policy.checked.extra_facts
    for value in VALUES:
        facts = {"id": "U1", "industry": "retail", "employees": 3, name: value}
        assert sorted(validation_errors(facts, declared)) == _grading_errors(policy, facts), value


def test_schema_facts_are_refused_as_grading_refuses_them(policy: riskgrade.Policy) -> None:
    for facts in [
        {"id": "U1", "industry": "retail", "employees": 3},
        {"id": "U1", "industry": "retial", "employees": -3, "employes": 1},
        {"industry": "retail", "employees": 3, "migrant_workers": 5},
        {"id": "U1", "industry": "retail", "employees": 3, "hazards": [{"level": "huge"}]},
    ]:
        found = sorted(validation_errors(facts, policy.checked.extra_facts))
        assert found == _grading_errors(policy, facts), facts
