"""riskgrade.testing: strategies, whole-policy properties, and each property catching a
deliberately broken policy with a readable counterexample."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import riskgrade
from riskgrade.scoring.registry import RiskMethod
from riskgrade.testing import (
    PropertyFailure,
    assert_engines_agree,
    assert_policy_properties,
    enterprises,
    thresholds,
)
from tests.conftest import MINI, examples

AS_OF = dt.date(2026, 11, 28)


def _policy(tmp_path: Path, text: str) -> riskgrade.Policy:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return riskgrade.load_policy(path)


def _failure(policy: riskgrade.Policy, check: str, **kwargs: Any) -> PropertyFailure:
    with pytest.raises(PropertyFailure) as caught:
        assert_policy_properties(policy, max_examples=300, as_of=AS_OF, checks=(check,), **kwargs)
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "run(" in notes and "sample=" in notes, notes  # the shrunk enterprise is shown
    print(caught.value, notes)  # the counterexample, for whoever reads the test log
    return caught.value


@pytest.mark.slow
def test_default_policy_has_every_property_r11_r12_r13() -> None:
    assert_policy_properties(riskgrade.load_policy(), max_examples=examples(500), as_of=AS_OF)


@pytest.mark.slow
def test_default_policy_engines_agree() -> None:
    assert_engines_agree(riskgrade.load_policy(), max_examples=examples(150), as_of=AS_OF)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(enterprises(as_of=AS_OF, industry="catering", uses_gas=True, employees=12))
def test_strategy_respects_fixed_facts_and_totals(facts: dict[str, Any]) -> None:
    assert (facts["industry"], facts["uses_gas"], facts["employees"]) == ("catering", True, 12)
    enterprise = riskgrade.Enterprise.model_validate(facts)  # always valid
    for part, total in (
        ("workers_trained", "employees"),
        ("migrant_workers", "employees"),
        ("special_workers_certified", "special_workers"),
    ):
        value, limit = getattr(enterprise, part), getattr(enterprise, total)
        assert value is None or limit is None or value <= limit
    assert enterprise.last_drill is None or enterprise.last_drill <= AS_OF


@pytest.mark.slow
def test_strategy_clusters_around_policy_thresholds() -> None:
    policy = riskgrade.load_policy()
    assert 100.0 in thresholds(policy)["employees"]
    seen: list[int] = []

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(enterprises(policy=policy, as_of=AS_OF))
    def collect(facts: dict[str, Any]) -> None:
        seen.append(facts["employees"])

    collect()
    assert {99, 100, 101} & set(seen), sorted(set(seen))[:20]
    limits = thresholds(policy)["employees"]
    near = sum(1 for e in seen if any(abs(e - t) <= 1 for t in limits))
    assert near >= len(seen) // 10  # thresholds are hit often, not by luck


def test_policy_extra_facts_are_generated(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        MINI.replace(
            "derived:\n", "facts:\n  kitchen_m2: {type: int, worse: higher}\nderived:\n", 1
        ),
    )
    seen = []

    @settings(max_examples=50, deadline=None, database=None)
    @given(enterprises(policy=policy, as_of=AS_OF))
    def collect(facts: dict[str, Any]) -> None:
        seen.append(facts.get("kitchen_m2"))

    collect()
    assert any(isinstance(v, int) for v in seen)


@pytest.mark.slow
def test_monotonicity_catches_a_non_monotonic_band(tmp_path: Path) -> None:
    broken = MINI.replace(
        "- {when: 'findings_serious >= 2', value: 4}", "- {when: 'findings_serious >= 2', value: 1}"
    )
    failure = _failure(_policy(tmp_path, broken), "monotonic")
    assert "monotonic: worsening" in str(failure) and "improved the grade" in str(failure)
    assert "rules firing only" in str(failure)


@pytest.mark.slow
def test_unknown_check_catches_a_rule_that_goes_silent_on_missing_facts(tmp_path: Path) -> None:
    broken = MINI.replace(
        "when: 'not ppe_provided'", "when: 'ppe_provided != null and not ppe_provided'"
    )
    failure = _failure(_policy(tmp_path, broken), "unknown")
    assert "unknown: making ppe_provided unknown (was False) improved the grade" in str(failure)


@pytest.mark.slow
def test_justification_catches_a_countermeasure_citing_no_finding(
    mini_policy: riskgrade.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskgrade.grading.pipeline as module

    original = module.recommend
    monkeypatch.setattr(
        module, "recommend", lambda *a: [r.model_copy(update={"because": []}) for r in original(*a)]
    )
    assert "justification: countermeasure" in str(_failure(mini_policy, "justification"))


@pytest.mark.slow
def test_unique_catches_a_superseded_countermeasure(
    mini_policy: riskgrade.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskgrade.grading.pipeline as module

    original = module.recommend

    def both(*args: Any) -> list[riskgrade.Recommendation]:
        recs = original(*args)
        if any(r.id == "set_up_department" for r in recs):
            officer = recs[0].model_copy(update={"id": "designate_officer"})
            return [*recs, officer]
        return recs

    monkeypatch.setattr(module, "recommend", both)
    failure = _failure(mini_policy, "unique")
    assert "'set_up_department' is shown with ['designate_officer'], which it supersedes" in str(
        failure
    )


def test_determinism_catches_grading_that_depends_on_dict_order(
    mini_policy: riskgrade.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = riskgrade.Policy.validate

    def order_sensitive(self: riskgrade.Policy, facts: Any) -> Any:
        enterprise, extras = original(self, facts)
        if next(iter(facts)) != "id":  # a bug: reads the first key as if it were the id
            enterprise = enterprise.model_copy(update={"ppe_provided": False})
        return enterprise, extras

    monkeypatch.setattr(riskgrade.Policy, "validate", order_sensitive)
    assert "determinism: the same facts graded" in str(_failure(mini_policy, "determinism"))


@pytest.mark.slow
def test_totality_catches_a_scoring_method_that_crashes(mini_policy: riskgrade.Policy) -> None:
    def fragile(values: dict[str, Decimal]) -> Decimal:
        return values["L"] * values["S"] / (values["L"] - 3)  # divides by zero at L = 3

    method = mini_policy.checked.risk_method
    broken = RiskMethod("fragile", method.factors, method.allowed, fragile)
    policy = riskgrade.Policy(dataclasses.replace(mini_policy.checked, risk_method=broken))
    assert "totality: grading crashed with" in str(_failure(policy, "totality"))


@pytest.mark.slow
def test_engines_agree_catches_a_miscompiled_rule(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MINI)
    engine = policy.engine()
    first_true = next(
        name for name, (_, outcome) in engine.program.outcomes.items() if outcome == "true"
    )
    index, _ = engine.program.outcomes[first_true]
    engine.program.outcomes[first_true] = (index, "unknown")  # the durable path now misreads it
    with pytest.raises(PropertyFailure, match="engines disagree"):
        assert_engines_agree(policy, max_examples=200, as_of=AS_OF)


def test_strategy_draws_every_fact_of_the_schema() -> None:
    seen: set[str] = set()

    @settings(max_examples=30, deadline=None, database=None)
    @given(enterprises(as_of=AS_OF))
    def collect(facts: dict[str, Any]) -> None:
        seen.update(facts)

    collect()
    assert set(riskgrade.Enterprise.model_fields) - {"name", "street", "community"} <= seen
