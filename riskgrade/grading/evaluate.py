"""Stage 5, evaluate: facts -> the outcome of every rule (true / unknown / false) + trace.

Three paths give the same outcomes: the durable_rules engine (``engine="durable"``), the
checked expressions compiled to Python closures (``engine="compiled"``, the fast path for batch
work) and a direct three-valued interpretation of them (``engine="python"``, the reference).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from riskgrade.facts import Enterprise
from riskgrade.grading.program import CompiledPath, Program
from riskgrade.rules.typecheck import AS_OF

Outcome = Literal["true", "unknown", "false"]


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
    program: Program,
    enterprise: Enterprise,
    extras: Mapping[str, Any],
    as_of: dt.date,
    path: CompiledPath | None = None,
) -> dict[str, Any]:
    """The facts rules read: the enterprise's, the policy's extra facts, ``as_of`` and the
    derived facts (computed in dependency order; the first case that holds wins, an undecided
    case before it makes the value unknown). ``path`` computes them (by default the
    interpreted reference path)."""
    env = facts_of(enterprise)
    for name in program.policy.extra_facts:
        env[name] = extras.get(name)
    env[AS_OF] = as_of
    derived = (path or program.interpreted).derived
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


def evaluate_python(program: Program, env: Mapping[str, Any]) -> Evaluation:
    """Rule outcomes by interpreting the checked expressions (the reference path)."""
    return evaluate_compiled(program.interpreted, env)


def evaluate_compiled(compiled: CompiledPath, env: Mapping[str, Any]) -> Evaluation:
    """Rule outcomes from a path's condition functions, in policy order."""
    outcomes: list[Outcome] = []
    for condition in compiled.rules:
        value = condition(env)
        outcomes.append("unknown" if value is None else "true" if value else "false")
    fired = [i for i, outcome in enumerate(outcomes) if outcome != "false"]
    return Evaluation(env, outcomes, fired)


def evaluate_durable(program: Program, env: Mapping[str, Any]) -> Evaluation:
    """Rule outcomes from the durable_rules engine, in the order its rules fired."""
    engine = program.durable()
    outcomes: list[Outcome] = ["false"] * len(program.policy.rules)
    fired: list[int] = []
    for name in engine.run(env):
        index, outcome = engine.program.outcomes[name]
        outcomes[index] = outcome
        fired.append(index)
    return Evaluation(env, outcomes, fired)
