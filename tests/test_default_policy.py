"""The bundled default policy: its own YAML cases and the brief's requirements."""

from __future__ import annotations

from typing import Any

import pytest

import riskgrade
from riskgrade.authoring.cases import run_cases
from tests.conftest import AS_OF

_POLICY = riskgrade.load_policy()
_CASES = run_cases(_POLICY)


@pytest.mark.parametrize("result", _CASES, ids=[r.name for r in _CASES])
def test_policy_yaml_case(result: Any) -> None:
    assert result.passed, f"{result.location}: " + "; ".join(result.problems)


def test_policy_yaml_cases_pass_on_the_python_path_too() -> None:
    assert all(r.passed for r in run_cases(_POLICY, engine="python"))


def test_policy_has_many_cases_and_no_warnings() -> None:
    assert len(_CASES) >= 60
    assert _POLICY.warnings == []


def test_cases_reach_every_rule_countermeasure_band_and_boundary() -> None:
    from riskgrade.authoring.coverage import coverage

    report = coverage(_POLICY.checked, _CASES)
    assert report.missing() == [], report.render()
    requirements = {f"R{i}" for i in range(1, 15)}
    named = {part.strip("(),") for case, _ in _POLICY.checked.tests for part in case.name.split()}
    assert requirements - {"R11", "R12"} <= named  # R11/R12 are properties: test_default_properties


def _grade(facts: dict[str, Any]) -> riskgrade.Assessment:
    return _POLICY.grade(facts, as_of=AS_OF)


def _ids(a: riskgrade.Assessment) -> tuple[set[str], list[str]]:
    return {f.rule for f in a.violations}, [r.id for r in a.recommendations]


@pytest.mark.parametrize("industry", ["mining", "construction", "transport", "hazardous_chemicals"])
@pytest.mark.parametrize("employees", [5, 100, 101, 500])
def test_r1_r2_staffing_targets_by_art_24(
    compliant: dict[str, Any], industry: str, employees: int
) -> None:
    base = {
        **compliant,
        "industry": industry,
        "employees": employees,
        "workers_trained": employees,
        "principal_certified": True,
        "safety_staff_certified": True,
        "liability_insurance": True,
    }
    part_time_only = {
        **base,
        "part_time_safety_staff": 2,
        "full_time_safety_staff": 0,
        "safety_department": False,
    }
    findings, recs = _ids(_grade(part_time_only))
    assert "staffing_high_risk" in findings
    assert "establish_safety_department" in recs and "designate_safety_officer" not in recs
    findings, _ = _ids(_grade({**part_time_only, "full_time_safety_staff": 1}))
    assert not findings & {"staffing_high_risk", "staffing_over_100", "staffing_small"}


@pytest.mark.parametrize("employees", [2, 100, 101, 300])
def test_r2_non_high_risk_targets(compliant: dict[str, Any], employees: int) -> None:
    none = {
        **compliant,
        "employees": employees,
        "workers_trained": employees,
        "annual_revenue": 5000,
        "full_time_safety_staff": 0,
        "part_time_safety_staff": 0,
        "safety_department": False,
    }
    _, recs = _ids(_grade(none))
    if employees <= 100:
        assert "designate_safety_officer" in recs and "establish_safety_department" not in recs
    else:
        assert "establish_safety_department" in recs and "designate_safety_officer" not in recs
    part_time = {**none, "part_time_safety_staff": 1}
    findings, _ = _ids(_grade(part_time))
    assert ("staffing_over_100" in findings) is (employees > 100)


def test_r10_clean_unit_is_blue_a(compliant: dict[str, Any]) -> None:
    a = _grade(compliant)
    assert (a.risk_level, a.duty_grade, a.violations) == (riskgrade.RiskLevel.BLUE, "A", [])
    assert not [f for f in a.findings if f.kind != "risk"]
    # the only countermeasure of a clean, low-risk unit is the positive one
    assert [(r.id, r.because) for r in a.recommendations] == [
        ("recognise_good_practice", ["risk_level"])
    ]


def test_r13_unknowns_are_reported_never_silent(compliant: dict[str, Any]) -> None:
    for name in (
        "ppe_provided",
        "risk_register",
        "emergency_plan",
        "self_inspections_90d",
        "last_drill",
    ):
        # a small (not micro) shop: a micro single-risk shop owes no yearly plan drill
        small = {**compliant, "employees": 20, "workers_trained": 20, "annual_revenue": 300}
        a = _grade({**small, name: None})
        gaps = [f for f in a.findings if f.kind == "data_gap"]
        assert gaps and all(name in g.missing for g in gaps), name
        assert a.duty_grade != "A", name  # the law requires the fact: assumed missing


def test_r14_fined_duties_are_at_least_serious() -> None:
    fined = {
        "staffing_high_risk",
        "staffing_over_100",
        "staffing_small",
        "workers_untrained",
        "migrant_workers_untrained",
        "special_workers_uncertified",
        "no_ppe",
        "no_risk_register",
        "overdue_general_hazard",
        "no_emergency_plan",
        "highrise_fire_system_failed",
        "elevator_maintenance_overdue",
        "elevator_inspection_overdue",
    }
    severities = {r.rule.id: r.rule.severity for r in _POLICY.checked.rules}
    assert fined <= severities.keys()
    assert all(severities[rule] in ("serious", "major") for rule in fined)
    assert severities["open_major_hazard"] == "major"


def test_every_rule_cites_a_basis_and_every_catalogue_id_of_the_contract_exists() -> None:
    contract = {
        "designate_safety_officer",
        "establish_safety_department",
        "establish_responsibility_system",
        "principal_training",
        "safety_training",
        "special_operation_certification",
        "provide_ppe",
        "risk_identification",
        "third_party_audit",
        "hazard_rectification",
        "major_hazard_supervision",
        "emergency_plan",
        "install_gas_alarm",
        "fire_facility_remediation",
        "elevator_maintenance",
        "elevator_inspection",
        "enforcement_penalty",
        "joint_enforcement",
        "publish_unsafe_list",
        "safety_publicity",
        "increase_inspection_frequency",
    }
    assert contract <= set(_POLICY.checked.catalogue)
    assert all(rule.rule.basis for rule in _POLICY.checked.rules)


def test_sample_data_grades_without_errors_across_all_levels() -> None:
    from riskgrade.cli import sample_rows

    results = list(_POLICY.grade_many(sample_rows(), as_of=AS_OF))
    assert all(isinstance(r, riskgrade.Assessment) for r in results)
    levels = {r.risk_level for r in results}  # type: ignore[union-attr]
    assert levels == set(riskgrade.RiskLevel)
