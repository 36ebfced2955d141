"""Countermeasures: de-duplication, supersession, causes and deterministic order."""

from __future__ import annotations

from pathlib import Path

import riskgrade
from tests.conftest import AS_OF, MINI


def _policy(tmp_path: Path, text: str) -> riskgrade.Policy:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return riskgrade.load_policy(path)


def test_superseded_entry_is_dropped_and_its_causes_move_up(tmp_path: Path) -> None:
    # Make both staffing rules fire for one unit: the department supersedes the officer.
    text = MINI.replace("when: 'employees <= 100 and staff_total == 0'", "when: 'staff_total == 0'")
    policy = _policy(tmp_path, text)
    a = policy.grade(
        {
            "id": "u",
            "industry": "retail",
            "employees": 150,
            "safety_department": False,
            "full_time_safety_staff": 0,
            "part_time_safety_staff": 0,
            "ppe_provided": True,
        },
        as_of=AS_OF,
    )
    assert {f.rule for f in a.violations} == {"no_staff", "small_no_staff"}
    assert [r.id for r in a.recommendations] == ["set_up_department"]
    assert a.recommendations[0].because == ["no_staff", "small_no_staff"]


def test_entries_are_unique_and_ordered_by_priority(tmp_path: Path) -> None:
    text = MINI.replace("recommend: [provide_ppe]", "recommend: [provide_ppe, set_up_department]")
    policy = _policy(tmp_path, text)
    a = policy.grade(
        {
            "id": "u",
            "industry": "retail",
            "employees": 150,
            "safety_department": False,
            "ppe_provided": False,
        },
        as_of=AS_OF,
    )
    ids = [r.id for r in a.recommendations]
    assert ids == ["provide_ppe", "set_up_department"]  # priority 1 before 2, each once
    assert a.recommendations[1].because == ["no_staff", "no_ppe"]


def test_every_recommendation_names_existing_findings(default_policy: riskgrade.Policy) -> None:
    from riskgrade.cli import sample_rows

    for assessment in default_policy.grade_many(sample_rows(), as_of=AS_OF):
        assert isinstance(assessment, riskgrade.Assessment)
        rules = {f.rule for f in assessment.findings}
        ids = [r.id for r in assessment.recommendations]
        assert len(ids) == len(set(ids))
        for rec in assessment.recommendations:
            assert rec.because
            assert all(b in rules or b.startswith("risk_level:") for b in rec.because), rec
        for finding in assessment.findings:
            assert finding.basis
