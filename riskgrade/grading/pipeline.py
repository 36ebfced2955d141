"""One unit through stages 4–7: validate its facts, evaluate the rules, score, recommend.

Each stage is a function of its own module; this one runs them in order and returns named
results (:class:`Evaluated` after evaluation, :class:`Graded` at the end), never tuples::

    program = Program(checked)
    enterprise, extras = validate(checked, {"id": "u1", "industry": "retail", "employees": 8})
    graded = grade_unit(program, enterprise, extras, dt.date(2026, 11, 28), "compiled")
    graded.assessment.risk_level
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from riskgrade.assessment import Assessment, Finding, TraceEvent, WaiverNote
from riskgrade.check.checked import CheckedPolicy
from riskgrade.errors import EngineError, FactError
from riskgrade.facts import Enterprise, declared_value, parse_enterprise
from riskgrade.grading.evaluate import (
    Evaluation,
    Outcome,
    environment,
    evaluate_compiled,
    evaluate_durable,
    evaluate_python,
)
from riskgrade.grading.findings import apply_waivers, order_findings, rule_findings
from riskgrade.grading.program import Program
from riskgrade.grading.recommend import recommend
from riskgrade.grading.score import grade as score

EngineName = Literal["durable", "compiled", "python", "columnar"]
ENGINES: tuple[EngineName, ...] = ("durable", "compiled", "python", "columnar")


@dataclass(frozen=True)
class Evaluated:
    """One unit after evaluation (stage 5), before scoring."""

    enterprise: Enterprise
    facts: dict[str, Any]
    """The facts the rules saw: the unit's, the policy's extra and derived facts, ``as_of``."""
    findings: list[Finding]
    """Violations and data gaps of the policy's rules, waivers applied."""
    trace: list[TraceEvent]
    waivers: list[WaiverNote]


@dataclass(frozen=True)
class Graded:
    """One unit through every stage: its assessment and the facts it was graded on."""

    assessment: Assessment
    enterprise: Enterprise
    facts: dict[str, Any]
    """As :attr:`Evaluated.facts` (supervision reads the derived ``high_risk`` there)."""


def check_engine(engine: str) -> None:
    """Raise :class:`EngineError` unless ``engine`` names one of :data:`ENGINES`."""
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def row_id(row: Any) -> str | None:
    """The id a failed row's :class:`~riskgrade.GradeError` names when validation named none:
    an :class:`Enterprise`'s, or a mapping's ``id`` if it is text."""
    if isinstance(row, Enterprise):
        return row.id
    if isinstance(row, Mapping):
        value = row.get("id")
        return value if isinstance(value, str) else None
    return None


def validate(
    policy: CheckedPolicy, facts: Mapping[str, Any] | Enterprise
) -> tuple[Enterprise, dict[str, Any]]:
    """Stage 4: facts -> the fact schema plus the policy's extra facts; raises FactError
    naming every bad field. An :class:`Enterprise` is taken as already valid (no extras)."""
    if isinstance(facts, Enterprise):
        return facts, {}
    if not isinstance(facts, Mapping):
        raise FactError([("(enterprise)", f"expected a mapping, got {type(facts).__name__}")])
    declared = policy.extra_facts
    base = {k: v for k, v in facts.items() if k not in declared}
    errors: list[tuple[str, str]] = []
    extras: dict[str, Any] = {}
    for name, decl in declared.items():
        try:
            extras[name] = declared_value(facts.get(name), decl.type, decl.values)
        except ValueError as exc:
            errors.append((name, str(exc)))
    try:
        enterprise = parse_enterprise(dict(base))
    except FactError as exc:
        raise FactError(exc.errors + errors, exc.entity_id) from exc
    if errors:
        raise FactError(errors, enterprise.id)
    return enterprise, extras


def evaluate_unit(
    program: Program,
    enterprise: Enterprise,
    extras: Mapping[str, Any],
    as_of: dt.date,
    engine: EngineName,
    outcomes: list[Outcome] | None = None,
) -> Evaluated:
    """Stage 5 for one validated unit on the named engine, waivers applied. ``outcomes``: the
    unit's rule outcomes where the columnar engine already evaluated it with others."""
    check_engine(engine)
    if engine == "python":  # the reference: everything interpreted
        env = environment(program, enterprise, extras, as_of)
        evaluation = evaluate_python(program, env)
    else:  # derived facts by closures (proven equal to the interpreter); rules by engine
        env = environment(program, enterprise, extras, as_of, program.compiled)
        if engine == "durable":
            evaluation = evaluate_durable(program, env)
        elif engine == "columnar":  # the rules as Polars expressions over a table of units
            if outcomes is None:
                from riskgrade.grading.columnar import unit_outcomes

                outcomes = unit_outcomes(program, [(enterprise, extras)], as_of)[0]
            fired = [i for i, outcome in enumerate(outcomes) if outcome != "false"]
            evaluation = Evaluation(env, outcomes, fired)
        else:
            evaluation = evaluate_compiled(program.compiled, env)
    findings, trace = rule_findings(program, evaluation)
    findings, waivers = apply_waivers(program.policy, enterprise.id, findings, as_of)
    return Evaluated(enterprise, env, findings, trace, waivers)


def grade_unit(
    program: Program,
    enterprise: Enterprise,
    extras: Mapping[str, Any],
    as_of: dt.date,
    engine: EngineName,
    outcomes: list[Outcome] | None = None,
) -> Graded:
    """Stages 5–7 for one validated unit: its :class:`Assessment` (``outcomes`` as for
    :func:`evaluate_unit`)."""
    policy = program.policy
    evaluated = evaluate_unit(program, enterprise, extras, as_of, engine, outcomes)
    env = evaluated.facts
    grades = score(program, env, evaluated.findings)
    findings = order_findings(policy, evaluated.findings + grades.findings)
    assessment = Assessment.trusted(
        entity_id=enterprise.id,
        name=enterprise.name,
        as_of=as_of,
        risk_level=grades.risk_level,
        duty_grade=grades.duty_grade,
        score=grades.score,
        findings=findings,
        recommendations=recommend(program, findings, grades.risk_level, env, grades.env),
        trace=evaluated.trace + grades.trace,
        waivers=evaluated.waivers,
        policy_name=policy.header.name,
        policy_version=policy.header.version,
        policy_hash=policy.content_hash,
        engine=engine,
    )
    return Graded(assessment, enterprise, env)
