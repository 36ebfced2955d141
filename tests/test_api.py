"""The public contract of ../shared/design.md."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.assessment import TraceEvent
from riskgrade.grading.pipeline import grade_unit
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, examples

EXPORTED = [
    "Assessment",
    "Diagnostic",
    "DutyGrade",
    "EncodingError",
    "EngineError",
    "Enterprise",
    "FactError",
    "Finding",
    "GradeError",
    "InputError",
    "MissingExtra",
    "OutputError",
    "Policy",
    "PolicyError",
    "PropertyFailure",
    "Recommendation",
    "RiskLevel",
    "RiskgradeError",
    "RunAborted",
    "SessionError",
    "SettingsError",
    "load_policy",
]


def test_exported_names_are_pinned() -> None:
    assert riskgrade.__all__ == EXPORTED
    for name in EXPORTED:
        assert hasattr(riskgrade, name)


def test_error_tree() -> None:
    for error in (
        riskgrade.PolicyError,
        riskgrade.FactError,
        riskgrade.EngineError,
        riskgrade.GradeError,
    ):
        assert issubclass(error, riskgrade.RiskgradeError)
    assert issubclass(riskgrade.FactError, ValueError)
    error = riskgrade.FactError([("employees", "must be >= 0")], "u1")
    assert "employees" in str(error) and error.fields == ["employees"]


def test_risk_levels_are_ordered_and_labelled() -> None:
    level = riskgrade.RiskLevel
    assert level.BLUE < level.YELLOW < level.ORANGE < level.RED
    assert level.RED.label_zh == "红/重大风险"
    assert level.BLUE.label("en") == "blue/low risk"
    assert riskgrade.DutyGrade.A == "A" and riskgrade.DutyGrade.D.rank == 3


def test_grade_returns_the_contract_fields(
    default_policy: riskgrade.Policy, compliant: dict[str, object]
) -> None:
    facts = {**compliant, "ppe_provided": False}
    a = default_policy.grade(facts, as_of=AS_OF)
    assert isinstance(a.risk_level, riskgrade.RiskLevel)
    assert isinstance(a.duty_grade, riskgrade.DutyGrade)
    assert a.score.duty_score == 90
    (finding,) = a.findings
    assert (finding.rule, finding.duty, finding.severity) == ("no_ppe", "ppe", "serious")
    assert "第四十五条" in finding.basis and finding.messages["en"]
    assert finding.message == finding.messages["zh"]
    assert finding.evidence == {"ppe_provided": False}
    (rec,) = a.recommendations
    assert (rec.id, rec.because, rec.responsible) == ("provide_ppe", ["no_ppe"], "enterprise")
    assert rec.priority >= 1 and rec.deadline_days >= 0 and rec.message == rec.messages["zh"]
    assert a.trace[0].stage == "rule" and a.trace[0].id == "no_ppe"
    assert "rules.yaml:" in a.trace[0].source
    assert a.policy_version == default_policy.version
    assert len(a.policy_hash) == 64
    dumped = a.model_dump(mode="json")
    assert json.loads(json.dumps(dumped)) == dumped
    assert dumped["risk_level"] == 1 and dumped["duty_grade"] == "B"  # a serious finding caps at B


def test_enterprise_objects_grade_like_dicts(
    default_policy: riskgrade.Policy, compliant: dict[str, object]
) -> None:
    from_dict = default_policy.grade(compliant, as_of=AS_OF)
    from_model = default_policy.grade(riskgrade.Enterprise.model_validate(compliant), as_of=AS_OF)
    assert from_dict == from_model


def test_grading_is_deterministic(
    default_policy: riskgrade.Policy, compliant: dict[str, object]
) -> None:
    facts = {**compliant, "ppe_provided": None, "emergency_plan": False, "violations_12m": 3}
    first = default_policy.grade(facts, as_of=AS_OF).model_dump_json()
    assert all(
        default_policy.grade(facts, as_of=AS_OF).model_dump_json() == first for _ in range(5)
    )


def test_as_of_moves_date_rules(
    default_policy: riskgrade.Policy, compliant: dict[str, object]
) -> None:
    early = default_policy.grade(compliant, as_of=dt.date(2026, 10, 1))
    late = default_policy.grade(compliant, as_of=dt.date(2027, 6, 1))
    # a micro shop drills its on-site plan every 6 months (its last drills: 2026-09-01)
    assert "onsite_drill_overdue" not in [f.rule for f in early.findings]
    assert "onsite_drill_overdue" in [f.rule for f in late.findings]
    # a single-risk micro unit owes no yearly plan drill
    assert "drill_overdue" not in [f.rule for f in late.findings]


def test_grade_many_is_lazy_ordered_and_drops_nothing(
    default_policy: riskgrade.Policy, compliant: dict[str, object]
) -> None:
    consumed = []

    def rows():
        for i in range(5):
            consumed.append(i)
            row = {**compliant, "id": f"R{i}"}
            if i in (1, 3):
                row["employees"] = -i
            yield row

    results = default_policy.grade_many(rows(), as_of=AS_OF)
    assert consumed == []
    first = next(results)
    assert consumed == [0] and first.entity_id == "R0"
    rest = list(results)
    assert [type(r).__name__ for r in [first, *rest]] == [
        "Assessment",
        "GradeError",
        "Assessment",
        "GradeError",
        "Assessment",
    ]
    bad = rest[0]
    assert isinstance(bad, riskgrade.GradeError)
    assert (bad.index, bad.entity_id) == (1, "R1")
    assert bad.errors[0][0] == "employees"
    assert bad.to_dict()["errors"][0]["field"] == "employees"


def test_non_mapping_rows_become_grade_errors(mini_policy: riskgrade.Policy) -> None:
    (result,) = list(mini_policy.grade_many([42], as_of=AS_OF))  # type: ignore[list-item]
    assert isinstance(result, riskgrade.GradeError) and result.index == 0


def test_unknown_engine_is_refused(mini_policy: riskgrade.Policy) -> None:
    with pytest.raises(riskgrade.EngineError, match="unknown engine"):
        mini_policy.grade({"id": "x", "industry": "retail", "employees": 1}, engine="fast")  # type: ignore[arg-type]


def test_policy_extra_facts_are_typed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MINI

    text = MINI.replace("derived:\n", "facts:\n  has_canteen: {type: bool}\nderived:\n", 1).replace(
        "when: 'not ppe_provided'", "when: 'has_canteen and not ppe_provided'"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    policy = riskgrade.load_policy(path)
    base = {"id": "x", "industry": "retail", "employees": 5, "ppe_provided": False}
    assert "no_ppe" in [
        f.rule for f in policy.grade({**base, "has_canteen": True}, as_of=AS_OF).findings
    ]
    assert "no_ppe" not in [
        f.rule for f in policy.grade({**base, "has_canteen": False}, as_of=AS_OF).findings
    ]
    with pytest.raises(riskgrade.FactError) as caught:
        policy.grade({**base, "has_canteen": "maybe"}, as_of=AS_OF)  # "yes" would do
    assert caught.value.fields == ["has_canteen"]
    enterprise, extras = policy.validate({**base, "has_canteen": True})  # validated once
    assert extras == {"has_canteen": True}
    graded = grade_unit(policy.program, enterprise, extras, AS_OF, "durable")
    assert graded.assessment == policy.grade({**base, "has_canteen": True}, as_of=AS_OF)


def test_bundled_policy_loads_from_the_package() -> None:
    from riskgrade.policy import default_policy_path

    path = default_policy_path()
    assert (path / "rules.yaml").is_file()
    assert riskgrade.load_policy().name == "default"


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=enterprises(), engine=st.sampled_from(["compiled", "python", "durable"]))
def test_assessments_survive_a_validating_round_trip(
    default_policy: riskgrade.Policy, facts: dict[str, object], engine: str
) -> None:
    """Results are built without validation on the hot path: validating their JSON must give
    the same object and the same JSON (types included: 15.0 is not 15)."""
    assessment = default_policy.grade(facts, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    text = assessment.model_dump_json()
    again = riskgrade.Assessment.model_validate_json(text)
    assert again == assessment
    assert again.model_dump_json() == text


def test_trusted_construction_refuses_missing_and_unknown_fields() -> None:
    event = {"stage": "rule", "id": "r", "outcome": "true", "source": "p.yaml:1:1"}
    assert TraceEvent.trusted(**event) == TraceEvent.model_validate(event)
    with pytest.raises(TypeError, match=r"missing \['source'\], unknown \[\]"):
        TraceEvent.trusted(**{k: v for k, v in event.items() if k != "source"})
    with pytest.raises(TypeError, match=r"missing \[\], unknown \['colour'\]"):
        TraceEvent.trusted(**event, colour="red")
    required = {
        "rule": "r",
        "duty": "d",
        "severity": "minor",
        "basis": "b",
        "bases": [],
        "message": "m",
        "messages": {},
        "evidence": {},
    }
    first, second = riskgrade.Finding.trusted(**required), riskgrade.Finding.trusted(**required)
    assert first == riskgrade.Finding.model_validate(required)
    assert first.missing == [] and first.missing is not second.missing  # fresh defaults
