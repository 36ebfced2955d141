"""The durable_rules path and the Python path must agree; the adapter maps every failure."""

from __future__ import annotations

import ast
import datetime as dt
import os
import pathlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.rules.closures import compile_expr
from riskgrade.rules.compile import compile_durable
from riskgrade.rules.durable_engine import DurableEngine
from riskgrade.rules.expr import parse
from riskgrade.rules.interpret import evaluate
from riskgrade.rules.typecheck import typecheck
from riskgrade.rules.types import BOOL, DATE, NUMBER, Type, enum
from riskgrade.testing import enterprises
from tests.conftest import FIXTURES, ROOT, examples

AS_OF = dt.date(2026, 11, 28)
ITEM = {"x": NUMBER, "f": BOOL}
SCHEMA: dict[str, Type] = {
    "n1": NUMBER,
    "n2": NUMBER,
    "b1": BOOL,
    "b2": BOOL,
    "e1": enum("a", "b", "c"),
    "d1": DATE,
    "items": Type("list", item=ITEM),
}

# ----------------------------------------------------------------------------- random conditions

numbers = st.sampled_from(
    [
        "n1",
        "n2",
        "1",
        "2.5",
        "n1 + 1",
        "n2 * 2",
        "days_since(d1)",
        "count(items)",
        "count(items, f)",
        "count(items, x > 1)",
    ]
)
atoms = st.one_of(
    st.sampled_from(
        [
            "b1",
            "b2",
            "true",
            "false",
            "b1 == null",
            "n1 != null",
            "known(d1)",
            'e1 in ["a", "b"]',
            'e1 not in ["c"]',
            'e1 == "a"',
            "any(items, f)",
            "all(items, x >= 1)",
            "any(items, x > n1)",
            "d1 < as_of - 30",
        ]
    ),
    st.builds(
        lambda a, op, b: f"{a} {op} {b}",
        numbers,
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        numbers,
    ),
)
conditions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda a: f"not ({a})", inner),
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    ),
    max_leaves=5,
)
values = st.fixed_dictionaries(
    {
        "n1": st.one_of(st.none(), st.sampled_from([0, 1, 2, 2.5, 3])),
        "n2": st.one_of(st.none(), st.sampled_from([0, 1, 1.25, 5])),
        "b1": st.one_of(st.none(), st.booleans()),
        "b2": st.one_of(st.none(), st.booleans()),
        "e1": st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        "d1": st.one_of(st.none(), st.dates(dt.date(2026, 9, 1), AS_OF)),
        "items": st.one_of(
            st.none(),
            st.lists(
                st.fixed_dictionaries(
                    {
                        "x": st.one_of(st.none(), st.sampled_from([0, 1, 2])),
                        "f": st.one_of(st.none(), st.booleans()),
                    }
                ),
                max_size=3,
            ),
        ),
    }
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conditions, min_size=1, max_size=4), st.lists(values, min_size=1, max_size=6))
def test_compiled_conditions_agree_with_the_interpreter(
    texts: list[str], envs: list[dict[str, Any]]
) -> None:
    nodes = [parse(text) for text in texts]
    for node, text in zip(nodes, texts, strict=True):
        assert typecheck(node, SCHEMA)[1] == [], text
    engine = DurableEngine.for_conditions(nodes, "prop")
    for env in envs:
        env = {**env, "as_of": AS_OF}
        fired = engine.run(env)
        for index, (node, text) in enumerate(zip(nodes, texts, strict=True)):
            assert compile_expr(node)(env) == evaluate(node, env), (text, env)
            outcomes = {
                engine.program.outcomes[name][1]
                for name in fired
                if engine.program.outcomes[name][0] == index
            }
            got = True if "true" in outcomes else None if "unknown" in outcomes else False
            assert len(outcomes) <= 1, (text, env, outcomes)
            assert got is evaluate(node, env), (text, env)


# ----------------------------------------------------------------------------- default policy


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(enterprises(as_of=AS_OF))
def test_all_engines_grade_the_default_policy_identically(facts: dict[str, Any]) -> None:
    policy = _default()
    dumps = {}
    for engine in ("durable", "compiled", "python", "columnar"):
        dumped = policy.grade(facts, as_of=AS_OF, engine=engine).model_dump(mode="json")  # type: ignore[arg-type]
        assert dumped.pop("engine") == engine
        dumps[engine] = dumped
    assert dumps["durable"] == dumps["compiled"] == dumps["python"] == dumps["columnar"]


@pytest.mark.slow
def test_engines_agree_over_a_generated_district() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from population import population

    policy = _default()
    rows = population(1500, seed=7)
    durable = [
        a.model_dump(exclude={"engine"})
        for a in policy.grade_many(rows, as_of=AS_OF, engine="durable")
    ]
    compiled = [a.model_dump(exclude={"engine"}) for a in policy.grade_many(rows, as_of=AS_OF)]
    columnar = [
        a.model_dump(exclude={"engine"})
        for a in policy.grade_many(rows, as_of=AS_OF, engine="columnar")
    ]
    assert len(durable) == len(compiled) == len(columnar) == 1500
    assert durable == compiled == columnar


_POLICY: list[riskgrade.Policy] = []


def _default() -> riskgrade.Policy:
    if not _POLICY:
        _POLICY.append(riskgrade.load_policy())
    return _POLICY[0]


def test_large_conditions_fall_back_to_slots_and_still_agree() -> None:
    text = " or ".join(f"(n1 > {i} and b1 and not b2)" for i in range(12))
    node = parse(text)
    program = compile_durable([node])
    assert program.slots, "a condition this large should be computed in Python"
    engine = DurableEngine(program, "big")
    for env in (
        {"n1": 5, "b1": True, "b2": False},
        {"n1": None, "b1": True, "b2": False},
        {"n1": 0},
    ):
        fired = engine.run({**env, "as_of": AS_OF})
        got = True if "r0_t0" in fired else None if "r0_u0" in fired else False
        assert got is evaluate(node, env)


def test_engine_refuses_a_program_it_cannot_build() -> None:
    program = compile_durable([parse("n1 > 1")])
    program.rulesets[0]["r0_t0"]["all"][0]["m"] = {"$in": {"v_n1": [1]}}  # no such operator
    with pytest.raises(riskgrade.EngineError, match="refused"):
        DurableEngine(program, "broken")


def test_non_exclusive_branches_are_detected() -> None:
    program = compile_durable([parse("n1 > 1")])
    rule = program.rulesets[0]["r0_t0"]
    rule["all"][0]["m"] = {"$or": [{"$gt": {"v_n1": 1}}, {"$gt": {"v_n1": 2}}]}
    engine = DurableEngine(program, "dup")
    with pytest.raises(riskgrade.EngineError, match="fired twice"):
        engine.run({"n1": 5})
    assert engine.run({"n1": 0}) == []  # the next enterprise grades normally


def test_engine_errors_become_grade_errors_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = riskgrade.load_policy(FIXTURES / "mini.yaml")
    engine = policy.engine()
    original = engine.run
    calls = {"n": 0}

    def flaky(env: Any) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise riskgrade.EngineError("boom")
        return original(env)

    monkeypatch.setattr(engine, "run", flaky)
    rows = [{"id": f"u{i}", "industry": "retail", "employees": 5} for i in range(3)]
    results = list(policy.grade_many(rows, as_of=AS_OF, engine="durable"))
    assert [type(r).__name__ for r in results] == ["Assessment", "GradeError", "Assessment"]
    assert results[1].index == 1 and results[1].entity_id == "u1"


def test_only_the_adapter_imports_durable() -> None:
    root = pathlib.Path(riskgrade.__file__).parent
    importers = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in ("durable", "durable_rules_engine") for n in names):
                importers.append(path.relative_to(root).as_posix())
    assert sorted(set(importers)) == ["rules/durable_engine.py"]


def test_each_policy_version_gets_its_own_rulesets(mini_policy: riskgrade.Policy) -> None:
    other = riskgrade.load_policy(FIXTURES / "mini.yaml")
    assert not set(mini_policy.engine().handles) & set(other.engine().handles)
    assert mini_policy.engine() is mini_policy.engine()


def test_many_passing_tests_are_split_across_rulesets() -> None:
    # One ruleset with 80 tests a fact passes would be refused (durable error 303, > 64).
    nodes = [parse(f"n1 > {i}") for i in range(80)]
    engine = DurableEngine.for_conditions(nodes, "wide")
    assert len(engine.program.rulesets) >= 2
    fired = engine.run({"n1": 1000, "as_of": AS_OF})
    assert sorted(fired) == sorted(f"r{i}_t0" for i in range(80))


def test_engine_faults_do_not_leak_into_the_next_enterprise() -> None:
    engine = DurableEngine.for_conditions([parse("n1 > 1"), parse("b1")], "isolation")
    first = engine.run({"n1": 5, "b1": True, "as_of": AS_OF})
    for _ in range(50):
        assert engine.run({"n1": 0, "b1": False, "as_of": AS_OF}) == []
    assert engine.run({"n1": 5, "b1": True, "as_of": AS_OF}) == first


def test_missing_engine_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from riskgrade.rules import durable_engine

    monkeypatch.setattr(durable_engine, "_IMPORT_ERROR", ImportError("PyEval_CallObject"))
    with pytest.raises(riskgrade.EngineError, match=r"Python 3\.11 or 3\.12"):
        DurableEngine.for_conditions([parse("n1 > 1")], "missing")
    policy = riskgrade.load_policy(FIXTURES / "mini.yaml")
    facts = {"id": "u", "industry": "retail", "employees": 3}
    assert policy.grade(facts, as_of=AS_OF, engine="python").entity_id == "u"
    with pytest.raises(riskgrade.EngineError):
        policy.grade(facts, as_of=AS_OF)


@settings(max_examples=examples(100), deadline=None)
@given(enterprises(as_of=AS_OF))
def test_fast_fact_dict_equals_model_dump(facts: dict[str, Any]) -> None:
    from riskgrade.grading.evaluate import facts_of

    enterprise = riskgrade.Enterprise.model_validate(facts)
    dumped = enterprise.model_dump(mode="python")
    as_lists = {k: list(v) if isinstance(v, tuple) else v for k, v in dumped.items()}
    assert facts_of(enterprise) == as_lists


def _rss_kb() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_engine_memory_stays_flat(default_policy: riskgrade.Policy) -> None:
    """Sessions are deleted after each fact: 20,000 more gradings on the engine must not grow
    the process (``benchmarks/scenarios.py soak`` runs 100,000 through the whole pipeline)."""
    from riskgrade.grading.evaluate import environment

    engine = default_policy.engine()
    enterprise, extras = default_policy.validate(
        {"id": "m", "industry": "catering", "employees": 9, "uses_gas": True}
    )
    env = environment(default_policy.program, enterprise, extras, AS_OF)
    first = engine.run(env)
    for _ in range(2_000):
        engine.run(env)
    before = _rss_kb()
    for _ in range(20_000):
        assert len(engine.run(env)) == len(first)
    assert _rss_kb() - before < 1024  # a leak of one session per fact would be many MB


def test_a_duplicate_fact_is_an_engine_error_for_that_enterprise_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The adapter never repeats a fact id and deletes every session; forced to do both, the
    engine's "duplicate" answer becomes an EngineError and the next enterprise is unaffected."""
    import itertools

    from riskgrade.rules import durable_engine

    engine = DurableEngine.for_conditions([parse("n1 > 1")], "duplicate")
    with monkeypatch.context() as patch:
        patch.setattr(engine, "fact_ids", itertools.repeat(7))
        patch.setattr(durable_engine._native, "delete_state", lambda handle, sid: None)
        assert engine.run({"n1": 5}) == ["r0_t0"]
        with pytest.raises(riskgrade.EngineError, match="duplicate"):
            engine.run({"n1": 5})
    assert engine.run({"n1": 5}) == ["r0_t0"] and engine.run({"n1": 0}) == []
