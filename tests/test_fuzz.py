"""Fuzzing (bounded for CI; `--hypothesis-profile=long` runs more): arbitrary facts, expression
text and mutated policies may only produce riskgrade's own errors, never a crash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskgrade
from riskgrade.check import check
from riskgrade.check.checked import BASE_SCHEMA
from riskgrade.check.load import load_text
from riskgrade.policy import Policy, load_policy_source, policy_source
from riskgrade.rules.expr import ExprSyntaxError, parse
from riskgrade.rules.typecheck import typecheck
from riskgrade.testing import enterprises
from tests.conftest import examples

pytestmark = pytest.mark.slow  # the fuzzing suite

AS_OF = dt.date(2026, 11, 28)
POLICY = riskgrade.load_policy()
FIELDS = list(riskgrade.Enterprise.model_fields)
MINI = (Path(__file__).parent / "fixtures" / "mini.yaml").read_text(encoding="utf-8")
JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def _damaged(facts: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({k: st.one_of(st.just(v), JSON_LIKE) for k, v in facts.items()})


@settings(max_examples=examples(300), deadline=None, suppress_health_check=SLOW)
@given(
    st.one_of(
        st.dictionaries(st.sampled_from(FIELDS), JSON_LIKE, max_size=12),
        enterprises(as_of=AS_OF).flatmap(_damaged),
    )
)
def test_arbitrary_facts_only_raise_fact_errors(facts: dict[str, Any]) -> None:
    for engine in ("compiled", "durable"):
        try:
            a = POLICY.grade(facts, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
        except riskgrade.FactError as exc:
            assert exc.fields, exc
        else:
            assert a.risk_level in riskgrade.RiskLevel
    results = list(
        POLICY.grade_many([facts, {"id": "ok", "industry": "retail", "employees": 1}], as_of=AS_OF)
    )
    assert len(results) == 2 and isinstance(results[1], riskgrade.Assessment)


def test_nan_and_infinity_are_refused() -> None:
    for value in (float("nan"), float("inf")):
        try:
            POLICY.grade(
                {"id": "x", "industry": "retail", "employees": 3, "annual_revenue": value},
                as_of=AS_OF,
            )
        except riskgrade.FactError as exc:
            assert exc.fields == ["annual_revenue"]
        else:
            raise AssertionError(f"{value} accepted")


TOKENS = st.sampled_from(
    [
        *"abcdefghijklmnopqrstuvwxyz_0123456789 ()[]<>=!+-*/.,'\"",
        "and",
        "or",
        "not",
        "in",
        "null",
        "true",
        "employees",
        "hazards",
        "count(",
        "any(",
        "days_since(",
        "as_of",
    ]
)


@settings(max_examples=examples(500), deadline=None, suppress_health_check=SLOW)
@given(st.lists(TOKENS, max_size=30).map("".join) | st.text(max_size=60))
def test_arbitrary_expressions_only_raise_syntax_errors(text: str) -> None:
    try:
        node = parse(text)
    except ExprSyntaxError as exc:
        assert 0 <= exc.column <= len(text)
        return
    typecheck(node, BASE_SCHEMA)


PIECES = st.sampled_from(
    [
        "employees",
        "100",
        "-1",
        "1e308",
        "0.5",
        "not ",
        " or ",
        " and ",
        "null",
        "true",
        "hazards",
        "count(hazards)",
        "/ 0",
        "red",
        "A",
        "[law_24]",
        "'",
        '"',
        ":",
        "\n",
        "  ",
        "- ",
        "&a ",
        "*a",
        "!!python/object:os.system ",
        "{",
        "]",
    ]
)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=SLOW)
@given(st.integers(0, len(MINI) - 1), st.integers(0, 12), st.lists(PIECES, max_size=4).map("".join))
def test_mutated_policies_give_located_errors_or_grade(pos: int, cut: int, insert: str) -> None:
    text = MINI[:pos] + insert + MINI[pos + cut :]
    document, problems = load_text(text, "mutated.yaml")
    if document is not None:
        checked, more = check([document])
        problems = problems + more
        if checked is not None and not [p for p in problems if p.severity == "error"]:
            policy = Policy(checked)
            for engine in ("compiled", "durable"):
                policy.grade(
                    {"id": "x", "industry": "mining", "employees": 150}, as_of=AS_OF, engine=engine
                )  # type: ignore[arg-type]
            return
    errors = [p for p in problems if p.severity == "error"]
    assert errors
    assert all(p.file == "mutated.yaml" and p.line >= 0 and p.code.startswith("RG") for p in errors)


DEFAULT_SOURCE = policy_source()
DEFAULT_FILES = sorted(DEFAULT_SOURCE)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=SLOW)
@given(st.sampled_from(DEFAULT_FILES), st.data())
def test_mutated_default_policy_gives_located_errors_or_grades(name: str, data: Any) -> None:
    text = DEFAULT_SOURCE[name]
    pos = data.draw(st.integers(0, len(text) - 1))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(st.lists(PIECES, max_size=4).map("".join))
    source = {**DEFAULT_SOURCE, name: text[:pos] + insert + text[pos + cut :]}
    try:
        policy = load_policy_source(source)
    except riskgrade.PolicyError as exc:
        assert exc.diagnostics
        assert all(d.file in source and d.line >= 0 for d in exc.diagnostics), exc
        return
    for engine in ("compiled", "durable"):
        try:
            policy.grade(
                {"id": "x", "industry": "mining", "employees": 150}, as_of=AS_OF, engine=engine
            )  # type: ignore[arg-type]
        except riskgrade.FactError:
            pass  # a mutation can make the policy require facts this unit lacks


YAML_KEYS = st.sampled_from(
    ["policy", "facts", "derived", "rules", "catalogue", "scoring", "tests", "waivers", "id",
     "when", "expr", "type", "value", "severity", "basis", "bases", "duties", "x"]
)  # fmt: skip
YAML_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=15),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(YAML_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=SLOW)
@given(st.dictionaries(YAML_KEYS, YAML_LIKE, max_size=6))
def test_arbitrary_yaml_documents_give_policy_errors(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    try:
        load_policy_source({"arbitrary.yaml": text})
    except riskgrade.PolicyError as exc:
        assert exc.diagnostics and all(d.file == "arbitrary.yaml" for d in exc.diagnostics)
