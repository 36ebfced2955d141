"""The columnar path computes what the interpreter computes: every derived fact and every
rule outcome (true, false, unknown), unit by unit, over whole tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.batch.read import read_rows
from riskgrade.batch.write import result_record
from riskgrade.bundled import sample_district_path
from riskgrade.grading.columnar import grade_table, rule_outcomes, unit_frame, with_derived
from riskgrade.grading.evaluate import environment, evaluate_python
from riskgrade.grading.pipeline import grade_unit
from riskgrade.testing import enterprises
from tests.conftest import AS_OF, FIXTURES, examples

_OUTCOME = {"true": True, "false": False, "unknown": None}


def _differences(
    policy: riskgrade.Policy, rows: Sequence[Mapping[str, Any]], as_of: dt.date
) -> list[str]:
    units = [policy.validate(dict(row)) for row in rows]
    program = policy.program
    frame = with_derived(unit_frame(program, units), program, as_of)
    outcomes = rule_outcomes(frame, program, as_of)
    assert outcomes.height == len(units)
    found: list[str] = []
    for index, (unit, extras) in enumerate(units):
        env = environment(program, unit, extras, as_of)
        evaluation = evaluate_python(program, env)
        for fact in policy.checked.derived:
            if env[fact.name] != frame[fact.name][index]:
                found.append(f"unit {index} {fact.name}: {env[fact.name]!r} vs columnar")
        for rule, outcome in zip(policy.checked.rules, evaluation.outcomes, strict=True):
            got = outcomes[rule.rule.id][index]
            if got != _OUTCOME[outcome]:
                found.append(f"unit {index} {rule.rule.id}: {outcome} vs {got!r}")
    return found


def test_the_sample_district_agrees(default_policy: riskgrade.Policy) -> None:
    rows = [row.facts for row in read_rows(sample_district_path())]
    assert _differences(default_policy, rows, AS_OF) == []


def test_the_default_policy_cases_agree(default_policy: riskgrade.Policy) -> None:
    from riskgrade.authoring.cases import case_facts

    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for case, _ in default_policy.checked.tests:
        by_date.setdefault(case.as_of, []).append(case_facts(default_policy, case))
    assert sum(len(rows) for rows in by_date.values()) == len(default_policy.checked.tests)
    for as_of, rows in by_date.items():
        assert _differences(default_policy, rows, as_of) == []


@pytest.mark.slow
@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=25))
def test_generated_tables_agree(rows: list[dict[str, Any]]) -> None:
    policy = _POLICY
    assert _differences(policy, rows, AS_OF) == []


def test_a_wrong_translation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: with ``>=`` translated as ``>``, units disagree (a policy
    loaded afresh: a policy keeps the expressions it translated once)."""
    import riskgrade.rules.columnar as columnar

    monkeypatch.setitem(columnar._COMPARE, ">=", lambda a, b: a > b)
    rows = [row.facts for row in read_rows(sample_district_path())]
    assert _differences(riskgrade.load_policy(), rows, AS_OF)


_POLICY = riskgrade.load_policy()


def _grade_differences(
    policy: riskgrade.Policy, rows: Sequence[Mapping[str, Any]], as_of: dt.date
) -> list[str]:
    """Where the columnar table and the per-unit pipeline disagree: scores, grade, levels,
    breaches, missing facts, countermeasures and their order."""
    units = [policy.validate(dict(row)) for row in rows]
    table = grade_table(policy.program, units, as_of)
    assert table.height == len(units)
    found: list[str] = []
    for index, (unit, extras) in enumerate(units):
        a = grade_unit(policy.program, unit, extras, as_of, "compiled").assessment
        want = {
            **result_record(a),  # every column of a batch result file
            "band_level": a.score.band_level,
            "overrides": a.score.overrides,
        }
        got = table.row(index, named=True)
        found += [f"unit {index} {k}: {v!r} vs {got[k]!r}" for k, v in want.items() if got[k] != v]
    return found


def test_the_sample_district_grades_the_same(default_policy: riskgrade.Policy) -> None:
    rows = [row.facts for row in read_rows(sample_district_path())]
    assert _grade_differences(default_policy, rows, AS_OF) == []


def test_the_default_policy_cases_grade_the_same(default_policy: riskgrade.Policy) -> None:
    from riskgrade.authoring.cases import case_facts

    by_date: dict[dt.date, list[dict[str, Any]]] = {}
    for case, _ in default_policy.checked.tests:
        by_date.setdefault(case.as_of, []).append(case_facts(default_policy, case))
    for as_of, rows in by_date.items():
        assert _grade_differences(default_policy, rows, as_of) == []


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=20))
def test_a_banded_policy_with_overrides_grades_the_same(rows: list[dict[str, Any]]) -> None:
    assert _grade_differences(_MINI, rows, AS_OF) == []


@pytest.mark.slow
@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(enterprises(as_of=AS_OF, unknown=0.3), min_size=1, max_size=25))
def test_generated_tables_grade_the_same(rows: list[dict[str, Any]]) -> None:
    assert _grade_differences(_POLICY, rows, AS_OF) == []


def test_a_waiver_drops_its_rule_on_both_paths(tmp_path: Any) -> None:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text += (
        "waivers:\n"
        "  - {unit: w1, rule: no_ppe, expires: 2027-01-01, approved_by: 区应急管理局,\n"
        "     justification: {zh: 正在采购, en: on order}}\n"
    )
    path = tmp_path / "waived.yaml"
    path.write_text(text, encoding="utf-8")
    policy = riskgrade.load_policy(path)
    rows = [
        {"id": unit, "industry": "retail", "employees": 5, "ppe_provided": False}
        for unit in ("w1", "w2")
    ]
    assert _grade_differences(policy, rows, AS_OF) == []
    table = grade_table(policy.program, [policy.validate(r) for r in rows], AS_OF)
    assert ["no_ppe" in v.split() for v in table["violations"]] == [False, True]


def test_a_policy_without_rules_grades_the_same(tmp_path: Any) -> None:
    """A policy may score by its factors and overrides alone: no rule to sum deductions over."""
    document = yaml.safe_load((FIXTURES / "mini.yaml").read_text(encoding="utf-8"))
    document["rules"] = []
    document["catalogue"] = {"c": document["catalogue"]["provide_ppe"]}
    document["scoring"]["risk"]["overrides"][0]["recommend"] = ["c"]
    document["scoring"]["duty"]["caps"] = {}
    path = tmp_path / "no_rules.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    policy = riskgrade.load_policy(path)
    rows = [
        {"id": "u1", "industry": "retail", "employees": 5},
        {"id": "u2", "industry": "mining", "employees": 500},
    ]
    assert _grade_differences(policy, rows, AS_OF) == []


_MINI = riskgrade.load_policy(FIXTURES / "mini.yaml")


def _sample() -> list[dict[str, Any]]:
    return [row.facts for row in read_rows(sample_district_path())]


def test_grade_frame_equals_grade_unit_for_unit(default_policy: riskgrade.Policy) -> None:
    import polars as pl

    rows = _sample()
    graded = default_policy.grade_frame(pl.DataFrame(rows, infer_schema_length=None), as_of=AS_OF)
    assert graded.failed.height == 0
    assert graded.results["index"].to_list() == list(range(len(rows)))
    for row, got in zip(rows, graded.results.iter_rows(named=True), strict=True):
        want = result_record(default_policy.grade(row, as_of=AS_OF, engine="compiled"))
        assert {k: got[k] for k in want} == want


def test_grade_frame_takes_pandas_and_arrow_and_names_bad_fields(
    default_policy: riskgrade.Policy,
) -> None:
    import pandas as pd
    import pyarrow as pa

    good = {"id": "g1", "industry": "retail", "employees": 8}
    bad = {"id": "b1", "industry": "noodles", "employees": -2}
    for table in (pd.DataFrame([good, bad]), pa.Table.from_pylist([good, bad])):
        graded = default_policy.grade_frame(table, as_of=AS_OF)
        assert graded.results["index"].to_list() == [0]
        assert graded.results["id"].to_list() == ["g1"]
        failed = graded.failed.row(0, named=True)
        with pytest.raises(riskgrade.FactError) as caught:
            default_policy.grade(bad, as_of=AS_OF)
        assert failed["index"] == 1 and failed["id"] == "b1"
        assert [e["field"] for e in failed["errors"]] == caught.value.fields


def test_grade_frame_of_nothing_and_of_the_wrong_thing(default_policy: riskgrade.Policy) -> None:
    import polars as pl

    empty = default_policy.grade_frame(pl.DataFrame(), as_of=AS_OF)
    assert empty.results.height == 0 and empty.failed.height == 0
    with pytest.raises(TypeError, match="Polars, pandas or Arrow"):
        default_policy.grade_frame("units.csv", as_of=AS_OF)


def test_a_policy_with_its_own_facts_grades_the_same(tmp_path: Any) -> None:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "derived:\n", "facts:\n  has_canteen: {type: bool}\n  shifts: {type: int}\nderived:\n", 1
    )
    text = text.replace(
        "when: 'not ppe_provided'", "when: 'not ppe_provided or (has_canteen and shifts > 2)'"
    )
    path = tmp_path / "own.yaml"
    path.write_text(text, encoding="utf-8")
    policy = riskgrade.load_policy(path)
    base = {"industry": "retail", "employees": 5, "ppe_provided": True}
    rows = [
        {**base, "id": "a", "has_canteen": True, "shifts": 3},
        {**base, "id": "b", "has_canteen": True, "shifts": 1},
        {**base, "id": "c", "has_canteen": None, "shifts": 3},
        {**base, "id": "d"},
    ]
    assert _grade_differences(policy, rows, AS_OF) == []
    table = grade_table(policy.program, [policy.validate(r) for r in rows], AS_OF)
    assert ["no_ppe" in v.split() for v in table["violations"]] == [True, False, False, False]


@pytest.mark.parametrize("days", ["(0 - 0.5)", "0.5", "(0 - 1.5)", "2.9", "annual_revenue"])
def test_a_fraction_of_a_day_added_to_a_date_counts_as_python_counts_it(
    tmp_path: Any, days: str
) -> None:
    """``date + x`` adds ``timedelta(days=x).days`` whole days (rounded down), on every
    engine; the columnar engine cut the fraction off (rounded toward zero)."""
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    when = f"last_drill + {days} < date('2026-01-01') or last_drill - {days} > date('2026-01-01')"
    path = tmp_path / "dates.yaml"
    path.write_text(text.replace("when: 'not ppe_provided'", f'when: "{when}"'), "utf-8")
    policy = riskgrade.load_policy(path)
    base = {"industry": "retail", "employees": 5, "last_drill": "2026-01-01"}
    rows = [{**base, "id": f"u{i}", "annual_revenue": r} for i, r in enumerate([0.4, 1.5, 2])]
    assert _grade_differences(policy, rows, AS_OF) == []


@pytest.mark.slow
def test_the_500_rule_scaling_policy_grades_the_same(tmp_path: Any) -> None:
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from population import population
        from scenarios import _wide_policy
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    policy = riskgrade.load_policy(_wide_policy(tmp_path, 500))
    assert len(policy.checked.rules) > 500
    assert _grade_differences(policy, population(300, seed=5), AS_OF) == []


def test_grade_many_on_the_columnar_engine_keeps_order_and_failures() -> None:
    policy = riskgrade.load_policy()
    rows: list[Any] = [
        {"id": "a", "industry": "retail", "employees": 8},
        {"id": "b", "industry": "noodles", "employees": 3},
        {"id": "c", "industry": "catering", "employees": 12, "uses_gas": True},
        "not a mapping",
    ]
    got = list(policy.grade_many(rows, as_of=dt.date(2026, 11, 28), engine="columnar"))
    want = list(policy.grade_many(rows, as_of=dt.date(2026, 11, 28), engine="compiled"))
    assert [type(x).__name__ for x in got] == [
        "Assessment",
        "GradeError",
        "Assessment",
        "GradeError",
    ]
    assert [x.index for x in got if isinstance(x, riskgrade.GradeError)] == [1, 3]
    for mine, theirs in zip(got, want, strict=True):
        if isinstance(mine, riskgrade.GradeError):
            assert isinstance(theirs, riskgrade.GradeError) and mine.errors == theirs.errors
        else:
            assert isinstance(theirs, riskgrade.Assessment)
            assert mine.model_dump(exclude={"engine"}) == theirs.model_dump(exclude={"engine"})
            assert mine.engine == "columnar"


@pytest.mark.parametrize("fact", ["violations", "duty_score", "risk_level", "recommendations"])
def test_a_fact_named_like_a_result_column_is_a_clear_engine_error(fact: str) -> None:
    """The columnar engine keeps its results beside the facts: a policy fact of the same name is
    refused by name (before: Polars' DuplicateError), and the per-unit engines grade it."""
    from riskgrade.policy import load_policy_source
    from tests.conftest import MINI

    policy = load_policy_source(
        {"mini.yaml": MINI.replace("derived:\n", f"facts:\n  {fact}: {{type: str}}\nderived:\n", 1)}
    )
    unit = {"id": "u1", "industry": "retail", "employees": 3, fact: "x"}
    assert policy.grade(unit, as_of=AS_OF, engine="compiled").entity_id == "u1"
    with pytest.raises(riskgrade.EngineError, match=repr(fact)):
        policy.grade_frame([unit], as_of=AS_OF)


def test_kept_expressions_serve_each_date_as_a_fresh_policy() -> None:
    """A policy keeps its translated expressions per date: grading as of one date, then
    another, then the first again gives what policies loaded afresh give."""
    policy = riskgrade.load_policy()
    rows = [row.facts for row in read_rows(sample_district_path())][:60]
    dates = [AS_OF, AS_OF + dt.timedelta(days=400), AS_OF]
    got = [policy.grade_frame(rows, as_of=when).results for when in dates]
    fresh = [riskgrade.load_policy().grade_frame(rows, as_of=when).results for when in dates]
    assert all(a.equals(b) for a, b in zip(got, fresh, strict=True))
    assert not got[0].equals(got[1])  # the dates grade apart: the test can fail


def test_a_program_keeps_a_bounded_number_of_values() -> None:
    from riskgrade.grading.program import KEPT

    program = riskgrade.load_policy().program
    built: list[int] = []
    for key in range(3 * KEPT):
        assert program.kept(key, lambda key=key: built.append(key) or key) == key
    assert program.kept(3 * KEPT - 1, lambda: -1) == 3 * KEPT - 1  # kept: not built again
    assert built == list(range(3 * KEPT)) and len(program._kept) <= KEPT


def test_a_derived_fact_read_inside_an_aggregate_is_computed_first() -> None:
    """``c_cnt`` counts the major hazards of a unit that is ``z_big``, a derived fact that
    sorts after it: every engine computes ``z_big`` first and counts the hazard (before, the
    per-unit engines read it as unknown, a data gap, and the columnar one failed)."""
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "derived:\n",
        "derived:\n"
        "  c_cnt:\n"
        "    type: int\n"
        "    expr: 'count(hazards, level == \"major\" and z_big)'\n"
        "  z_big:\n"
        "    type: bool\n"
        "    expr: 'employees > 50'\n",
        1,
    ).replace(
        "rules:\n",
        "rules:\n"
        "  - id: open_major\n"
        "    duty: staffing\n"
        "    when: 'c_cnt > 0'\n"
        "    severity: major\n"
        "    deduction: 30\n"
        "    unknown: gap\n"
        "    basis: [law_24]\n"
        "    message: {zh: 重大隐患, en: major hazard}\n",
        1,
    )
    policy = riskgrade.policy.load_policy_source({"p.yaml": text})
    assert [f.name for f in policy.checked.derived].index("z_big") < [
        f.name for f in policy.checked.derived
    ].index("c_cnt")
    unit = {
        "id": "u1",
        "industry": "retail",
        "employees": 80,
        "hazards": [{"id": "H1", "level": "major"}],
    }
    for engine in ("compiled", "python", "durable", "columnar"):
        a = policy.grade(unit, as_of=AS_OF, engine=engine)
        assert "open_major" in [f.rule for f in a.violations], engine
        assert "open_major" not in [f.rule for f in a.data_gaps], engine
    assert "open_major" in policy.grade_frame([unit], as_of=AS_OF).results["violations"][0]


def test_a_tier_fact_that_is_no_text_gives_no_tier() -> None:
    """The per-unit score takes the ``tier`` fact as the unit's tier only where it is text;
    a number named ``tier`` leaves the results' tier empty on the columnar engine too (it
    wrote the number there, and the district page counted units by it)."""
    text = (
        (FIXTURES / "mini.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "derived:\n",
            "derived:\n  tier:\n    type: number\n    expr: 'employees + 1'\n",
            1,
        )
    )
    policy = riskgrade.policy.load_policy_source({"p.yaml": text})
    rows = [{"id": f"u{i}", "industry": "retail", "employees": 3 + i} for i in range(3)]
    graded = policy.grade_frame(rows, as_of=AS_OF).results
    per_unit = [policy.grade(row, as_of=AS_OF, engine="compiled").score.tier for row in rows]
    assert graded["tier"].to_list() == per_unit == [None, None, None]
