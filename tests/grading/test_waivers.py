"""Waivers: an approved exemption removes a rule's finding until it expires."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import riskgrade
from tests.conftest import MINI

WAIVER = """
waivers:
  - unit: U1
    rule: no_ppe
    justification: {zh: 防护用品已采购，月底到货, en: 'PPE ordered, arrives at month end'}
    approved_by: 城南街道安监站
    expires: 2026-12-31
"""
FACTS = {
    "id": "U1",
    "industry": "retail",
    "employees": 5,
    "part_time_safety_staff": 1,
    "full_time_safety_staff": 0,
    "ppe_provided": False,
    "fatalities_3y": 0,
}


def _policy(tmp_path: Path, text: str) -> riskgrade.Policy:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return riskgrade.load_policy(path)


def test_active_waiver_removes_the_finding_and_is_shown(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MINI + WAIVER)
    a = policy.grade(FACTS, as_of=dt.date(2026, 12, 31))
    assert "no_ppe" not in [f.rule for f in a.findings]
    assert [(w.rule, w.status, w.approved_by) for w in a.waivers] == [
        ("no_ppe", "applied", "城南街道安监站")
    ]
    other = policy.grade({**FACTS, "id": "U2"}, as_of=dt.date(2026, 12, 31))
    assert "no_ppe" in [f.rule for f in other.findings] and other.waivers == []


def test_expired_waiver_is_ignored_and_reported(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MINI + WAIVER)
    a = policy.grade(FACTS, as_of=dt.date(2027, 1, 1))
    assert "no_ppe" in [f.rule for f in a.findings]
    assert [(w.rule, w.status) for w in a.waivers] == [("no_ppe", "expired")]


def test_waiver_expired_before_today_is_a_load_warning(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MINI + WAIVER.replace("2026-12-31", "2020-01-01"))
    assert [d.code for d in policy.warnings] == ["RG309"]
    assert "expired" in policy.warnings[0].render()


def test_waiver_of_unknown_rule_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(riskgrade.PolicyError) as caught:
        _policy(tmp_path, MINI + WAIVER.replace("rule: no_ppe", "rule: no_pp"))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "RG308" and "did you mean 'no_ppe'" in diagnostic.render()
