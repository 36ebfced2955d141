"""Scoring: checklist bands and caps, LEC and risk-matrix methods, overrides, decimals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import riskgrade
from riskgrade.scoring import RISK_METHODS
from tests.conftest import AS_OF, MINI


def test_registries_offer_did_you_mean() -> None:
    assert set(RISK_METHODS) == {"lec", "matrix"}
    with pytest.raises(KeyError, match="did you mean 'lec'"):
        RISK_METHODS.get("lek")
    with pytest.raises(ValueError, match="already registered"):
        RISK_METHODS.register("lec", RISK_METHODS.get("lec"))


def test_lec_is_a_decimal_product_with_domain_values() -> None:
    lec = RISK_METHODS.get("lec")
    assert lec.combine({"L": Decimal("0.5"), "E": Decimal("6"), "C": Decimal("40")}) == Decimal(
        "120"
    )
    assert lec.combine({"L": Decimal("0.1"), "E": Decimal("0.5"), "C": Decimal("1")}) == Decimal(
        "0.05"
    )
    problems = lec.problems({"L": [Decimal("4")], "E": [Decimal("6")]})
    messages = [m for _, _, m in problems]
    assert "lec needs factor 'C'" in messages
    assert any("L = 4 is not a lec value" in m for m in messages)


def _policy(tmp_path: Path, text: str) -> riskgrade.Policy:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return riskgrade.load_policy(path)


BASE = {
    "id": "u",
    "industry": "retail",
    "employees": 150,
    "safety_department": True,
    "ppe_provided": True,
    "fatalities_3y": 0,
}


def test_matrix_levels_and_bands(mini_policy: riskgrade.Policy) -> None:
    calm = mini_policy.grade(BASE, as_of=AS_OF)
    assert (calm.score.factors, calm.score.risk_score) == ({"L": 1.0, "S": 2.0}, 2.0)
    assert calm.risk_level is riskgrade.RiskLevel.BLUE
    mining = mini_policy.grade(
        {**BASE, "industry": "mining", "safety_department": False, "ppe_provided": False},
        as_of=AS_OF,
    )
    assert mining.score.factors == {"L": 4.0, "S": 5.0}
    assert mining.risk_level is riskgrade.RiskLevel.RED and mining.score.band_level == "red"


def test_override_raises_the_level_and_is_a_finding(mini_policy: riskgrade.Policy) -> None:
    a = mini_policy.grade({**BASE, "fatalities_3y": 1}, as_of=AS_OF)
    assert a.score.band_level == "blue" and a.risk_level is riskgrade.RiskLevel.ORANGE
    assert a.score.overrides == ["fatal"]
    assert [f.rule for f in a.findings if f.kind == "override"] == ["fatal"]


def test_unknown_override_fact_is_a_data_gap_not_silence(mini_policy: riskgrade.Policy) -> None:
    a = mini_policy.grade({**BASE, "fatalities_3y": None}, as_of=AS_OF)
    gaps = [f for f in a.findings if f.kind == "data_gap"]
    assert [(g.rule, g.missing) for g in gaps] == [("fatal", ["fatalities_3y"])]
    assert a.risk_level is riskgrade.RiskLevel.BLUE  # the override ignores unknowns by default


def test_duty_grade_bands_and_severity_caps(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MINI.replace("caps: {serious: B}", "caps: {}"))
    a = policy.grade({**BASE, "ppe_provided": False}, as_of=AS_OF)  # 100 - 10 = 90
    assert (a.score.duty_score, a.duty_grade) == (90.0, "A")
    capped = _policy(tmp_path, MINI).grade({**BASE, "ppe_provided": False}, as_of=AS_OF)
    assert capped.duty_grade == "B"


def test_band_edges_are_exact_in_decimal(tmp_path: Path) -> None:
    # 100 - 0.4 - 0.2 is exactly 99.4; in binary floats it is 99.39999999999999.
    assert 100 - 0.4 - 0.2 < 99.4
    text = (
        MINI.replace("deduction: 10", "deduction: 0.2")
        .replace("deduction: 15", "deduction: 0.4")
        .replace("A: {min: 90}", "A: {min: 99.4}")
        .replace("caps: {serious: B}", "caps: {}")
    )
    policy = _policy(tmp_path, text)
    a = policy.grade({**BASE, "safety_department": False, "ppe_provided": False}, as_of=AS_OF)
    assert a.score.deductions == {"no_staff": 0.4, "no_ppe": 0.2}
    assert a.score.duty_score == 99.4
    assert a.duty_grade == "A"


def test_exclusive_band_edge(tmp_path: Path) -> None:
    text = MINI.replace("red: {min: 20}", "red: {min: 20, exclusive: true}").replace(
        "- {when: 'findings_serious >= 2', value: 4}",
        "- {when: 'findings_serious >= 2', value: 4}\n"
        "        - {when: 'employees > 999', value: 4}",
    )
    policy = _policy(tmp_path, text)
    a = policy.grade(
        {**BASE, "industry": "mining", "safety_department": False, "ppe_provided": False},
        as_of=AS_OF,
    )
    assert a.score.risk_score == 20.0 and a.risk_level is riskgrade.RiskLevel.ORANGE


def test_unknown_factor_condition_is_pessimistic(mini_policy: riskgrade.Policy) -> None:
    a = mini_policy.grade({**BASE, "safety_department": None}, as_of=AS_OF)
    # no_staff is undecided -> assumed (pessimistic), so L counts it
    assert a.score.factors["L"] == 3.0
    assert any(f.rule == "no_staff" and f.assumed for f in a.findings)


_MATRIX = """    matrix:
      rows: S
      columns: L
      column_values: [1, 3, 4]
      cells:
        - {row: 5, levels: [yellow, orange, red]}
        - {row: 2, levels: [blue, yellow, orange]}
"""
_BANDS = """    bands:
      red: {min: 20}
      orange: {min: 9}
      yellow: {min: 4}
      blue: {min: 1}
"""


@pytest.mark.parametrize(
    ("industry", "ppe", "level", "cell"),
    [
        ("retail", True, "blue", (2, 1)),  # S=2, L=1
        ("retail", False, "yellow", (2, 3)),  # one serious finding: L=3
        ("mining", True, "yellow", (5, 1)),
        ("mining", False, "orange", (5, 3)),  # the product 15 would band orange too
    ],
)
def test_a_stated_matrix_gives_the_cell_colour(
    tmp_path: Path, industry: str, ppe: bool, level: str, cell: tuple[int, int]
) -> None:
    policy = _policy(tmp_path, MINI.replace(_BANDS, _MATRIX))
    facts = {"id": "M1", "industry": industry, "employees": 200, "safety_department": True}
    a = policy.grade({**facts, "ppe_provided": ppe}, as_of=AS_OF, engine="python")
    assert (a.score.factors["S"], a.score.factors["L"]) == cell
    assert a.risk_level.name.lower() == a.score.band_level == level


def test_the_matrix_not_the_product_decides(tmp_path: Path) -> None:
    """S=5 x L=4 = 20 would band red; the stated cell says orange, and the cell wins."""
    text = MINI.replace(_BANDS, _MATRIX).replace(
        "{row: 5, levels: [yellow, orange, red]}", "{row: 5, levels: [yellow, orange, orange]}"
    )
    policy = _policy(tmp_path, text)
    facts = {"id": "M2", "industry": "mining", "employees": 200, "safety_department": False}
    a = policy.grade({**facts, "ppe_provided": False}, as_of=AS_OF, engine="python")
    assert a.score.factors == {"L": 4.0, "S": 5.0} and a.score.risk_score == 20
    assert a.risk_level == riskgrade.RiskLevel.ORANGE


def test_assumed_breaches_are_capped_and_only_verified(tmp_path: Path) -> None:
    text = MINI.replace(
        '  version: "1"\n',
        '  version: "1"\n  defaults: {assumed_severity: minor, verify: check_facts}\n',
    ).replace(
        "catalogue:\n",
        "catalogue:\n  check_facts:\n    title: {zh: 核实, en: Verify}\n"
        "    text: {zh: 核实数据, en: Verify the facts}\n    responsible: regulator\n"
        "    priority: 3\n    deadline_days: 30\n",
    )
    policy = _policy(tmp_path, text)
    facts = {"id": "V1", "industry": "retail", "employees": 200, "ppe_provided": True}
    a = policy.grade(facts, as_of=AS_OF, engine="python")  # safety_department unknown
    (breach,) = a.violations
    assert (breach.rule, breach.assumed, breach.severity) == ("no_staff", True, "minor")
    assert [(r.id, r.because) for r in a.recommendations] == [("check_facts", ["no_staff"])]
    assert "safety_department" in a.recommendations[0].messages["en"]
    known = policy.grade({**facts, "safety_department": False}, as_of=AS_OF, engine="python")
    assert known.violations[0].severity == "serious"
    assert [r.id for r in known.recommendations] == ["set_up_department"]
