"""Stage 5 over a whole table: every unit's derived facts and rule outcomes as columns.

The columnar counterpart of :mod:`riskgrade.grading.evaluate`, built on
:mod:`riskgrade.rules.columnar` from the same checked expressions. Derived facts are added in
dependency order (the first case that holds wins; an undecided case before it makes the value
unknown), then one Boolean column per rule: true (breached), null (unknown) or false.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from riskgrade.facts import Enterprise
from riskgrade.grading.evaluate import facts_of
from riskgrade.grading.program import Program
from riskgrade.rules.columnar import ROW, Columnar, frame_of, with_aggregates


def unit_frame(
    program: Program, units: Iterable[tuple[Enterprise, Mapping[str, Any]]]
) -> pl.DataFrame:
    """Validated units (each with the policy's extra facts) as one typed table."""
    schema = program.policy.schema
    rows = ({**facts_of(unit), **extras} for unit, extras in units)
    return frame_of(rows, {n: t for n, t in schema.items() if n not in _derived(program)})


def _derived(program: Program) -> set[str]:
    return {d.name for d in program.policy.derived}


def with_derived(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """``frame`` with a column for each of the policy's derived facts."""
    compiler = Columnar(program.policy.schema, as_of)
    for fact in program.policy.derived:
        value: pl.Expr | None = None
        chain: Any = None
        for when, then in fact.cases:
            condition, result = compiler.expr(when), compiler.expr(then)
            if chain is None:
                chain = pl.when(condition.is_null()).then(None).when(condition).then(result)
            else:
                chain = chain.when(condition.is_null()).then(None).when(condition).then(result)
        value = chain.otherwise(None) if chain is not None else pl.lit(None)
        frame = with_aggregates(frame, compiler)
        frame = frame.with_columns(value.alias(fact.name))
    return frame


def rule_outcomes(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """One Boolean column per rule, in policy order and named by rule id, beside :data:`ROW`."""
    compiler = Columnar(program.policy.schema, as_of)
    conditions = [compiler.expr(rule.condition) for rule in program.policy.rules]
    frame = with_aggregates(frame, compiler)
    ids = [rule.rule.id for rule in program.policy.rules]
    return frame.select(
        ROW, *(c.cast(pl.Boolean).alias(i) for c, i in zip(conditions, ids, strict=True))
    )


def grade_table(
    program: Program, units: Iterable[tuple[Enterprise, Mapping[str, Any]]], as_of: dt.date
) -> pl.DataFrame:
    """Stages 5–6 for validated units, as one table in their order: id, name, duty score and
    grade, risk score, band and level, the overrides applied, the breached rules (worst first)
    and the scoring facts (finding counts)."""
    from riskgrade.grading import columnar_score

    frame = with_derived(unit_frame(program, units), program, as_of)
    outcomes = rule_outcomes(frame, program, as_of)
    findings = columnar_score.rule_findings(outcomes, frame["id"], program, as_of)
    duty = columnar_score.duty(findings, program)
    scored = frame.join(duty, on=ROW, how="left", maintain_order="left")
    risk = columnar_score.risk(scored, program, as_of)
    return (
        scored.select(ROW, "id", "name", *duty.columns[1:])
        .join(risk, on=ROW, how="left", maintain_order="left")
        .sort(ROW)
    )
