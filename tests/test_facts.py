"""Fact schema: a table of bad facts, each naming the field at fault."""

from __future__ import annotations

import datetime as dt

import pytest

import riskgrade

GOOD = {"id": "u1", "industry": "retail", "employees": 10}

BAD_FACTS = [
    ({"id": ""}, ["id"]),
    ({"industry": "retial"}, ["industry"]),
    ({"employees": -1}, ["employees"]),
    ({"employees": "many"}, ["employees"]),
    ({"migrant_workers": 11}, ["migrant_workers"]),
    ({"workers_trained": 12}, ["workers_trained"]),
    ({"migrant_workers": 3, "migrant_workers_trained": 4}, ["migrant_workers_trained"]),
    ({"special_workers": 2, "special_workers_certified": 3}, ["special_workers_certified"]),
    ({"last_drill": "2026-13-01"}, ["last_drill"]),
    ({"last_drill": 1700000000}, ["last_drill"]),
    ({"ownership": "public"}, ["ownership"]),
    ({"size": "tiny"}, ["size"]),
    ({"annual_revenue": -5}, ["annual_revenue"]),
    ({"hazards": [{"level": "huge"}]}, ["hazards.0.level"]),
    ({"hazards": [{"found_on": "2026-05-01", "deadline": "2026-04-01"}]}, ["hazards.0"]),
    ({"buildings": [{"height_m": -3}]}, ["buildings.0.height_m"]),
    ({"elevators": [{"commissioned_year": 1800}]}, ["elevators.0.commissioned_year"]),
    ({"employes": 5}, ["employes"]),
    (
        {"employees": -1, "industry": "x", "ppe_provided": "maybe"},
        ["employees", "industry", "ppe_provided"],
    ),
]


@pytest.mark.parametrize(("change", "fields"), BAD_FACTS, ids=[str(f) for _, f in BAD_FACTS])
def test_bad_facts_name_every_bad_field(change: dict[str, object], fields: list[str]) -> None:
    with pytest.raises(riskgrade.FactError) as caught:
        _parse({**GOOD, **change})
    error = caught.value
    assert isinstance(error, ValueError)
    for field in fields:
        assert field in error.fields, (field, error.errors)
        assert field in str(error)


def _parse(facts: dict[str, object]) -> riskgrade.Enterprise:
    from riskgrade.facts import parse_enterprise

    return parse_enterprise(facts)


def test_required_fields_are_named_when_missing() -> None:
    from riskgrade.facts import parse_enterprise

    with pytest.raises(riskgrade.FactError) as caught:
        parse_enterprise({"name": "无编号"})
    assert {"id", "industry", "employees"} <= set(caught.value.fields)


def test_dates_parse_from_iso_strings_and_unknown_is_none() -> None:
    from riskgrade.facts import parse_enterprise

    enterprise = parse_enterprise({**GOOD, "last_drill": "2026-03-01", "ppe_provided": None})
    assert enterprise.last_drill == dt.date(2026, 3, 1)
    assert enterprise.ppe_provided is None
    assert enterprise.size is None


def test_chinese_headers_are_aliases() -> None:
    from riskgrade.facts import parse_enterprise

    enterprise = parse_enterprise(
        {"统一社会信用代码": "X1", "企业名称": "测试", "行业": "retail", "从业人员数": 3}
    )
    assert (enterprise.id, enterprise.name, enterprise.employees) == ("X1", "测试", 3)


def test_grade_raises_fact_error_for_bad_facts(mini_policy: riskgrade.Policy) -> None:
    with pytest.raises(riskgrade.FactError) as caught:
        mini_policy.grade({**GOOD, "employees": -2}, as_of=dt.date(2026, 1, 1))
    assert caught.value.fields == ["employees"]
