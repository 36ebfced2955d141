"""Stage 5, evaluate: facts -> the outcome of every rule (true / unknown / false) + trace.

Three paths give the same outcomes: the durable_rules engine (``engine="durable"``), the
checked expressions compiled to Python closures (``engine="compiled"``, the fast path for batch
work) and a direct three-valued interpretation of them (``engine="python"``, the reference).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from riskgrade.check.checked import CheckedPolicy
from riskgrade.facts import Enterprise
from riskgrade.rules.closures import Compiled, compile_expr
from riskgrade.rules.interpret import evaluate
from riskgrade.rules.typecheck import AS_OF

Outcome = Literal["true", "unknown", "false"]
ENGINES = ("durable", "compiled", "python")


@dataclass(frozen=True)
class CompiledPath:
    """The policy's derived facts and rule conditions as closures (see rules/closures.py)."""

    derived: tuple[tuple[str, tuple[tuple[Compiled, Compiled], ...]], ...]
    rules: tuple[Compiled, ...]

    @classmethod
    def build(cls, policy: CheckedPolicy) -> CompiledPath:
        derived = tuple(
            (d.name, tuple((compile_expr(w), compile_expr(v)) for w, v in d.cases))
            for d in policy.derived
        )
        return cls(derived, tuple(compile_expr(rule.condition) for rule in policy.rules))

    @classmethod
    def interpreted(cls, policy: CheckedPolicy) -> CompiledPath:
        """The same shape, evaluating by interpretation (the reference path); built once."""
        cached = policy._cache.get("interpreted")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        derived = tuple(
            (d.name, tuple((partial(evaluate, w), partial(evaluate, v)) for w, v in d.cases))
            for d in policy.derived
        )
        path = cls(derived, tuple(partial(evaluate, rule.condition) for rule in policy.rules))
        policy._cache["interpreted"] = path
        return path


@dataclass(frozen=True)
class Evaluation:
    """Every rule's outcome in policy order, the facts it saw, and the order rules fired in."""

    env: Mapping[str, Any]
    outcomes: list[Outcome]
    fired: list[int]


_NESTED = ("hazards", "buildings", "elevators")


def facts_of(enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's facts as a plain dict (list items as dicts): ``model_dump`` without
    its cost on the hot path."""
    env = dict(enterprise.__dict__)
    for name in _NESTED:
        items = env[name]
        if items is not None:
            env[name] = [dict(item.__dict__) for item in items]
    return env


def environment(
    policy: CheckedPolicy,
    enterprise: Enterprise,
    extras: Mapping[str, Any],
    as_of: dt.date,
    compiled: CompiledPath | None = None,
) -> dict[str, Any]:
    """The facts rules read: the enterprise's, the policy's extra facts, ``as_of`` and the
    derived facts (computed in dependency order; the first case that holds wins, an undecided
    case before it makes the value unknown). ``compiled`` computes them with closures; without
    it they are interpreted."""
    env = facts_of(enterprise)
    for name in policy.extra_facts:
        env[name] = extras.get(name)
    env[AS_OF] = as_of
    derived = compiled.derived if compiled is not None else CompiledPath.interpreted(policy).derived
    for name, cases in derived:
        value = None
        for when, value_of in cases:
            holds = when(env)
            if holds is None:
                break
            if holds:
                value = value_of(env)
                break
        env[name] = value
    return env


def evaluate_python(policy: CheckedPolicy, env: Mapping[str, Any]) -> Evaluation:
    """Rule outcomes by interpreting the checked expressions (the reference path)."""
    return evaluate_compiled(CompiledPath.interpreted(policy), env)


def evaluate_compiled(compiled: CompiledPath, env: Mapping[str, Any]) -> Evaluation:
    """Rule outcomes from a path's condition functions, in policy order."""
    outcomes: list[Outcome] = []
    for condition in compiled.rules:
        value = condition(env)
        outcomes.append("unknown" if value is None else "true" if value else "false")
    fired = [i for i, outcome in enumerate(outcomes) if outcome != "false"]
    return Evaluation(env, outcomes, fired)


def evaluate_durable(engine: Any, policy: CheckedPolicy, env: Mapping[str, Any]) -> Evaluation:
    outcomes: list[Outcome] = ["false"] * len(policy.rules)
    fired: list[int] = []
    for name in engine.run(env):
        index, outcome = engine.program.outcomes[name]
        outcomes[index] = outcome
        fired.append(index)
    return Evaluation(env, outcomes, fired)
