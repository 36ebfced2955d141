"""A policy's numeric constants reach durable_rules in a form it reads: a constant Python writes
in exponent form (``0.0000001`` is ``1e-07``) was refused with error 204, so such a policy
could not grade on the durable engine at all. Graded on every engine, results are equal."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from tests.conftest import MINI, examples

AS_OF = dt.date(2026, 11, 28)
ENGINES = ("durable", "compiled", "python", "columnar")

# Rule id -> condition; each constant is one Python's repr writes with an exponent, or one at
# the edge of what the language takes (it refuses numbers past 1e15).
CONDITIONS = {
    "below_1e_7": "annual_revenue < 0.0000001",
    "at_2_5e_10": "annual_revenue == 0.00000000025",
    "in_small": "annual_revenue in [0.00001, 0.00005, 0.000012345]",
    "over_minus_1e_7": "annual_revenue > -0.0000001 and annual_revenue <= 0.000000000001",
    "not_1e_300": "annual_revenue != 0.000000000000000000000000000000000000000000000001",
    "from_1e15": "annual_revenue >= 1000000000000000",
    "over_near_1e15": "annual_revenue > 999999999999999.9",
    "flipped": "0.00000001 >= annual_revenue",
}


def _rule(rule_id: str, when: str) -> str:
    return (
        f"  - id: {rule_id}\n    duty: staffing\n    when: '{when}'\n    severity: minor\n"
        f"    deduction: 1\n    basis: [law_24]\n"
        f"    message: {{zh: 数值阈值, en: Threshold {rule_id}}}\n    recommend: [provide_ppe]\n"
    )


def _policy(folder: Path, conditions: dict[str, str]) -> riskgrade.Policy:
    rules = "".join(_rule(rule_id, when) for rule_id, when in conditions.items())
    path = folder / "policy.yaml"
    path.write_text(MINI.replace("  - id: no_ppe\n", rules + "  - id: no_ppe\n"), "utf-8")
    return riskgrade.load_policy(path)


def _graded(policy: riskgrade.Policy, revenue: float | None) -> dict[str, dict[str, Any]]:
    facts = {"id": "T1", "industry": "retail", "employees": 5, "annual_revenue": revenue}
    out = {}
    for engine in ENGINES:
        dumped = policy.grade(facts, as_of=AS_OF, engine=engine).model_dump(mode="json")
        dumped.pop("engine")
        out[engine] = dumped
    return out


def _fired(dumped: dict[str, Any]) -> set[str]:
    return {finding["rule"] for finding in dumped["findings"]} & set(CONDITIONS)


def _around(value: float) -> list[float]:
    """``value``, its neighbouring doubles and a few nearby values (none below zero)."""
    out = [value, math.nextafter(value, math.inf), value * 1.5, value / 2]
    if value > 0:
        out += [math.nextafter(value, 0.0), math.nextafter(math.nextafter(value, 0.0), 0.0)]
    return out


THRESHOLDS = [1e-07, 2.5e-10, 1e-05, 5e-05, 1.2345e-05, 1e-12, 1e-48, 1e15, 999999999999999.9, 1e-8]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> riskgrade.Policy:
    return _policy(tmp_path_factory.mktemp("constants"), CONDITIONS)


@pytest.mark.parametrize("revenue", sorted({v for t in THRESHOLDS for v in _around(t)} | {0.0}))
def test_constants_in_exponent_form_grade_alike_on_every_engine(
    policy: riskgrade.Policy, revenue: float
) -> None:
    graded = _graded(policy, revenue)
    for engine in ENGINES:
        assert graded[engine] == graded["compiled"], engine
    expected = {
        "below_1e_7": revenue < 1e-07,
        "at_2_5e_10": revenue == 2.5e-10,
        "in_small": revenue in (1e-05, 5e-05, 1.2345e-05),
        "over_minus_1e_7": -1e-07 < revenue <= 1e-12,
        "not_1e_300": revenue != 1e-48,
        "from_1e15": revenue >= 1e15,
        "over_near_1e15": revenue > 999999999999999.9,
        "flipped": 1e-08 >= revenue,
    }
    assert _fired(graded["durable"]) == {rule for rule, hit in expected.items() if hit}


def test_an_unknown_fact_against_such_a_constant_is_unknown_on_durable(
    policy: riskgrade.Policy,
) -> None:
    graded = _graded(policy, None)
    assert graded["durable"] == graded["compiled"]


def _plain(value: float) -> str:
    """``value`` as the language writes a number: plain decimal digits, no exponent."""
    return format(decimal.Decimal(repr(value)), "f")


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    constant=st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False),
    offset=st.integers(min_value=-3, max_value=3),
)
def test_any_constant_the_language_writes_grades_alike_on_durable(
    tmp_path_factory: pytest.TempPathFactory, constant: float, offset: int
) -> None:
    text = _plain(constant)
    assert float(text) == constant
    policy = _policy(tmp_path_factory.mktemp("any"), {"any_constant": f"annual_revenue > {text}"})
    revenue = constant
    step = math.inf if offset > 0 else 0.0
    for _ in range(abs(offset)):
        revenue = math.nextafter(revenue, step)
    graded = _graded(policy, revenue)
    assert graded["durable"] == graded["compiled"] == graded["python"]
    fired = {f["rule"] for f in graded["durable"]["findings"]}
    assert ("any_constant" in fired) == (revenue > constant)
