"""Properties of the default policy over generated enterprises.

R11 (justified, unique, deterministic countermeasures), R12 (worsening one fact never improves a
grade) and R13 (unknown facts never silently improve one) are checked for the default policy by
``riskgrade.testing.assert_policy_properties`` in ``test_testing_kit.py``; this file adds R8,
which is specific to the default policy's enforcement countermeasure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings

import riskgrade
from riskgrade.testing import enterprises
from tests.conftest import examples

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()
HIGH_RISK = {
    "mining",
    "metal_smelting",
    "construction",
    "transport",
    "hazardous_chemicals",
    "fireworks",
}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises(policy=POLICY, as_of=AS_OF))
def test_r8_serious_failures_in_high_risk_industries_bring_enforcement(
    facts: dict[str, Any],
) -> None:
    a = POLICY.grade(facts, as_of=AS_OF, engine="compiled")
    # a past accident is graded (no grade A), but it is not a duty breach to fine
    established = [
        f
        for f in a.violations
        if f.severity in ("serious", "major") and not f.assumed and f.duty != "accident_record"
    ]
    recs = {r.id for r in a.recommendations}
    if facts["industry"] in HIGH_RISK and established:
        assert "enforcement_penalty" in recs, [f.rule for f in established]
    if facts.get("violations_12m") is not None and facts["violations_12m"] >= 2:
        assert "enforcement_penalty" in recs
    for rec in a.recommendations:
        if rec.id == "enforcement_penalty":
            assert "罚款" in rec.message or "处罚" in rec.message
            assert any(not f.assumed for f in a.violations if f.rule in rec.because)
