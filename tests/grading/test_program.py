"""The per-policy program: what it caches stays right."""

from __future__ import annotations

import riskgrade
from riskgrade.rules.expr import parse


def test_closures_of_throwaway_conditions_are_never_mixed_up(
    mini_policy: riskgrade.Policy,
) -> None:
    program = mini_policy.program
    for i in range(200):  # each node is dropped after use, so its id() is soon reused
        closure = program.closure(parse(f"employees == {i}"))
        assert closure({"employees": i}) is True
        assert closure({"employees": i + 1}) is False


def test_shared_fields_are_built_once_and_not_changed_by_grading(
    default_policy: riskgrade.Policy,
) -> None:
    unit = {"id": "u1", "industry": "catering", "employees": 6, "uses_gas": True}
    first = default_policy.grade(unit)
    fields = {
        r.id: default_policy.program.recommendation_fields(r.id) for r in first.recommendations
    }
    snapshot = {k: {**v, "messages": dict(v["messages"])} for k, v in fields.items()}
    again = default_policy.grade(unit)
    assert again.recommendations == first.recommendations
    for rec_id, shared in fields.items():
        assert default_policy.program.recommendation_fields(rec_id) is shared
        assert shared == snapshot[rec_id]
