from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import riskgrade
from riskgrade.batch.read import read_rows
from riskgrade.supervision.settings import Unit, grade_units, sample_district_path

ROOT = Path(__file__).resolve().parent.parent  # the project: benchmarks/, README.md, .ci/
FIXTURES = Path(__file__).parent / "fixtures"
MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")  # a small policy, as text
AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def default_policy() -> riskgrade.Policy:
    return riskgrade.load_policy()


@pytest.fixture(scope="session")
def mini_policy() -> riskgrade.Policy:
    return riskgrade.load_policy(FIXTURES / "mini.yaml")


@pytest.fixture
def compliant() -> dict[str, object]:
    """A retail shop that meets every duty of the default policy."""
    return {
        "id": "C-1",
        "name": "合规便利店",
        "industry": "retail",
        "ownership": "private",
        "employees": 8,
        "migrant_workers": 2,
        "annual_revenue": 150,
        "part_time_safety_staff": 1,
        "responsibility_system": True,
        "safety_rules": True,
        "workers_trained": 8,
        "migrant_workers_trained": 2,
        "special_workers": 0,
        "special_workers_certified": 0,
        "ppe_provided": True,
        "risk_register": True,
        "self_inspections_90d": 6,
        "hazards": [],
        "emergency_plan": True,
        "last_drill": "2026-09-01",
        "uses_gas": False,
        "buildings": [],
        "elevators": [],
        "confined_spaces": False,
        "combustible_dust": False,
        "accidents_3y": 0,
        "fatalities_3y": 0,
        "violations_12m": 0,
        "penalties_12m": 0,
        # fact schema v1.1
        "hazardous_goods": False,
        "safety_investment": True,
        "safety_staff_on_duty": True,
        "rescue_team": False,
        "last_onsite_drill": "2026-09-01",
        "canteen_uses_gas": False,
        "worst_accident_deaths_3y": 0,
        "penalties_180d": 0,
        "refused_correction": False,
    }


from hypothesis import settings  # noqa: E402

# `pytest --hypothesis-profile=long` runs the property tests much harder, on demand.
LONG_EXAMPLES = 3000
settings.register_profile("long", max_examples=LONG_EXAMPLES, deadline=None)


def examples(n: int) -> int:
    """``n`` examples on a normal run; the long profile's number under
    ``--hypothesis-profile=long`` (an explicit ``max_examples`` would otherwise win over it)."""
    current = settings.default.max_examples
    return max(n, current) if current >= LONG_EXAMPLES else n


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the default policy's own test cases cover."""
    from riskgrade.authoring.cases import run_cases
    from riskgrade.authoring.coverage import coverage

    policy = riskgrade.load_policy()
    results = run_cases(policy)
    terminalreporter.section("default policy coverage")
    passed = sum(r.passed for r in results)
    terminalreporter.write_line(f"{passed}/{len(results)} policy test cases pass")
    terminalreporter.write_line(coverage(policy.checked, results).render())


@pytest.fixture(scope="session")
def district(default_policy: riskgrade.Policy) -> list[Unit]:
    """The bundled sample district, graded."""
    rows = [row.facts for row in read_rows(sample_district_path())]
    units, failures = grade_units(default_policy, rows, AS_OF)
    assert not failures and len(units) == len(rows) == 400
    return units
