"""Stage 6 over a whole table: rule outcomes -> duty score and grade, risk score and level.

The columnar counterpart of :mod:`riskgrade.grading.score`, with its semantics:

- a rule is breached when it came out true, or unknown under ``unknown: finding`` (then its
  severity is capped by ``defaults.assumed_severity``); a waiver active for the unit drops it;
- the duty score is the checklist's start minus each breached rule's deduction, in exact
  fixed-point arithmetic (millionths), graded by the bands and capped by the worst severity;
- factor tables are read top to bottom (an undecided row holds unless it says ``skip``);
- the risk score and band come from the policy's own method: the few distinct combinations of
  factor rows in the table are scored once each in Python (so a method stays a plain function)
  and joined back;
- overrides raise the level to their floor (an undecided one only under ``unknown: apply``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from riskgrade.assessment import SEVERITY_ORDER, DutyGrade, RiskLevel
from riskgrade.check.checked import SCORING_FACTS, CheckedRule
from riskgrade.errors import EngineError
from riskgrade.grading.program import Program
from riskgrade.rules.columnar import ROW, Columnar, lists_where, texts_where, with_aggregates
from riskgrade.scoring.bands import first_band

_MICRO = 1_000_000
_SEVERITIES = ("major", "serious", "minor", "info")  # the order findings are listed in


def _micro(value: float | Decimal) -> int:
    scaled = Decimal(str(value)) * _MICRO
    if scaled != scaled.to_integral_value():
        raise EngineError(
            f"the columnar engine counts points to six decimals, and {value} has more: round "
            "it, or grade on another engine"
        )
    return int(scaled)


def rule_findings(
    outcomes: pl.DataFrame, ids: pl.Series, program: Program, as_of: dt.date
) -> pl.DataFrame:
    """Per unit and rule: breached (``v:<rule>``) and whether it is a data gap (``g:<rule>``);
    ``ids`` are the units' ids, for waivers. Its severity is :func:`severity_is`'s."""
    columns = program.kept(("findings", as_of), lambda: _findings(program, as_of))
    return outcomes.with_columns(ids.alias("__id")).select(ROW, *columns)


def _findings(program: Program, as_of: dt.date) -> list[pl.Expr]:
    policy = program.policy
    waived: dict[str, list[str]] = {}
    for waiver in policy.waivers:
        if as_of <= waiver.expires:
            waived.setdefault(waiver.rule, []).append(waiver.unit)
    columns: list[pl.Expr] = []
    for checked in policy.rules:
        rule = checked.rule
        outcome = pl.col(rule.id)
        kept = ~pl.col("__id").is_in(waived[rule.id]) if rule.id in waived else pl.lit(True)
        columns += [
            (outcome.fill_null(checked.unknown == "finding") & kept).alias(f"v:{rule.id}"),
            (outcome.is_null() & kept).alias(f"g:{rule.id}"),
        ]
    return columns


def severity_is(rule: CheckedRule, level: str, program: Program) -> pl.Expr | bool:
    """Whether ``rule``'s finding for a unit has severity ``level``: its own, or the policy's
    ``defaults.assumed_severity`` cap where it rests on unknown facts (its ``g:`` column, which
    for a breached rule is true exactly when its outcome was unknown). A Boolean expression, so
    that scoring compares no text per unit; a plain bool where it does not depend on the unit."""
    severity = rule.rule.severity
    cap = program.policy.header.defaults.assumed_severity
    assumed = severity
    if cap is not None and SEVERITY_ORDER[severity] > SEVERITY_ORDER[cap]:
        assumed = cap
    if (severity == level) == (assumed == level):
        return severity == level
    unknown = pl.col(f"g:{rule.rule.id}")
    return unknown if assumed == level else ~unknown


def duty(findings: pl.DataFrame, program: Program) -> pl.DataFrame:
    """Duty score, grade and the scoring facts (finding counts) per unit."""
    score, columns = program.kept(("duty",), lambda: _duty(program))
    # the score in its own column first: the bands and caps below read it many times, and
    # a tree repeated in one query costs Polars far more to plan than a column
    return findings.with_columns(score).select(ROW, *columns)


def _duty(program: Program) -> tuple[pl.Expr, list[pl.Expr]]:
    """:func:`duty`'s score column, and its columns from it."""
    policy = program.policy
    spec = policy.scoring.duty
    rules = [checked.rule for checked in policy.rules]
    breached = {r.id: pl.col(f"v:{r.id}") for r in rules}

    def of(level: str) -> list[pl.Expr]:
        found = [
            _breached(c, level, program)
            for c in policy.rules
            if severity_is(c, level, program) is not False
        ]
        return found or [pl.lit(False)]

    deducted = pl.sum_horizontal(  # 0 to start from: a policy may have no rules
        pl.lit(0), *(pl.when(breached[r.id]).then(_micro(r.deduction)).otherwise(0) for r in rules)
    )
    start = pl.max_horizontal(pl.lit(_micro(spec.start)) - deducted, pl.lit(0)).alias("__duty")
    score = pl.col("__duty")
    grade: pl.Expr = pl.lit(DutyGrade.D.rank)
    bands: Mapping[Any, Any] = spec.bands
    for name in reversed(DutyGrade.names()):
        band = bands.get(name)
        if band is not None:
            edge = _micro(band.min)
            reached = score > edge if band.exclusive else score >= edge
            grade = pl.when(reached).then(pl.lit(DutyGrade(name).rank)).otherwise(grade)
    for found, cap in spec.caps.items():
        present = pl.any_horizontal(of(found))
        grade = (
            pl.when(present).then(pl.max_horizontal(grade, DutyGrade(cap).rank)).otherwise(grade)
        )

    def count(level: str) -> pl.Expr:
        return pl.sum_horizontal(found.cast(pl.Int64) for found in of(level))

    names = dict(enumerate(DutyGrade.names()))
    return start, [
        count("major").cast(pl.Float64).alias("findings_major"),
        count("serious").cast(pl.Float64).alias("findings_serious"),
        count("minor").cast(pl.Float64).alias("findings_minor"),
        pl.sum_horizontal(pl.lit(0), *(b.cast(pl.Int64) for b in breached.values()))
        .cast(pl.Float64)
        .alias("findings_total"),
        pl.sum_horizontal(pl.lit(0), *(pl.col(f"g:{r.id}").cast(pl.Int64) for r in rules))
        .cast(pl.Float64)
        .alias("data_gaps"),
        # exact: Polars divides by a constant through its reciprocal (not Python's division)
        (score.cast(pl.Decimal(38, 6)) / _MICRO).cast(pl.Float64).alias("duty_score"),
        grade.replace_strict(names, return_dtype=pl.String).alias("duty_grade"),
        _violations(program).alias("violations"),
        _violations(program, assumed=True).alias("assumed_violations"),
    ]


def _violations(program: Program, *, assumed: bool = False) -> pl.Expr:
    """The breached rules' ids, worst severity first, then in policy order (space-joined);
    ``assumed``: only those breached for want of facts (their ``g:`` column)."""
    parts = [
        (
            _breached(c, level, program) & pl.col(f"g:{c.rule.id}")
            if assumed
            else _breached(c, level, program),
            c.rule.id,
        )
        for level in _SEVERITIES
        for c in program.policy.rules
        if severity_is(c, level, program) is not False
    ]
    return texts_where(parts, " ")


def _breached(rule: CheckedRule, level: str, program: Program) -> pl.Expr:
    """Whether ``rule`` is breached by the unit with severity ``level``."""
    breached, severity = pl.col(f"v:{rule.rule.id}"), severity_is(rule, level, program)
    if isinstance(severity, bool):
        return breached if severity else pl.lit(False)
    return breached & severity


def risk(frame: pl.DataFrame, program: Program, as_of: dt.date) -> pl.DataFrame:
    """Risk score, band level, overrides applied and risk level per unit. ``frame`` holds the
    facts (derived ones included) and the scoring facts of :func:`duty`."""
    plan = program.kept(("risk", as_of), lambda: _Risk.of(program, as_of))
    frame = with_aggregates(frame, plan.compiler).with_columns(plan.choices)
    keys = [f"f:{name}" for name in program.policy.factors]
    combos = frame.select(keys).unique()
    scored = combos.with_columns(_score_combos(combos, program))
    frame = frame.join(scored, on=keys, how="left", maintain_order="left", nulls_equal=True)
    # each override's condition once, as a column: the level and the list below read it again
    frame = frame.with_columns(*plan.passed_over, *plan.flags)
    return frame.select(ROW, "risk_score", "band_level", *plan.columns)


@dataclass(frozen=True)
class _Risk:
    """The expressions of :func:`risk` for one policy and date."""

    compiler: Columnar
    choices: list[pl.Expr]
    """The row each factor takes (``f:<factor>``)."""
    passed_over: list[pl.Expr]
    """Skipped rows left undecided: data gaps (``fg:<factor>:<row>``)."""
    flags: list[pl.Expr]
    """Whether each override applies (``o:<id>``) and is undecided (``og:<id>``)."""
    columns: list[pl.Expr]
    """The overrides applied, the risk level, and the columns of ``passed_over`` and ``flags``."""

    @classmethod
    def of(cls, program: Program, as_of: dt.date) -> _Risk:
        policy = program.policy
        compiler = Columnar({**policy.schema, **SCORING_FACTS}, as_of)
        choices: list[pl.Expr] = []
        passed_over: list[pl.Expr] = []
        for name, rows in policy.factors.items():
            chosen: pl.Expr = pl.lit(None, pl.Int32)
            undecided = [compiler.expr(row.condition).is_null() for row in rows]
            for index in reversed(range(len(rows))):
                holds = compiler.expr(rows[index].condition)
                taken = holds.fill_null(rows[index].unknown != "skip")
                chosen = pl.when(taken).then(pl.lit(index, pl.Int32)).otherwise(chosen)
            choices.append(chosen.alias(f"f:{name}"))
            passed_over += [
                (undecided[k] & (pl.col(f"f:{name}") > k)).alias(f"fg:{name}:{k}")
                for k, row in enumerate(rows)
                if row.unknown == "skip"
            ]
        flags: list[pl.Expr] = []
        for checked in policy.overrides:
            holds = compiler.expr(checked.condition)
            applies = holds.fill_null(checked.override.unknown == "apply")
            flags += [
                applies.alias(f"o:{checked.override.id}"),
                holds.is_null().alias(f"og:{checked.override.id}"),
            ]
        level: pl.Expr = pl.col("__band_rank")
        applied: list[tuple[pl.Expr, str]] = []
        for checked in policy.overrides:
            applies = pl.col(f"o:{checked.override.id}")
            floor = int(RiskLevel.from_name(checked.override.at_least))
            level = pl.when(applies).then(pl.max_horizontal(level, pl.lit(floor))).otherwise(level)
            applied.append((applies, checked.override.id))
        names = {int(level): level.name.lower() for level in RiskLevel}
        columns = [
            lists_where(applied).alias("overrides"),
            level.replace_strict(names, return_dtype=pl.String).alias("risk_level"),
            *(pl.col(e.meta.output_name()) for e in [*flags, *passed_over]),
        ]
        return cls(compiler, choices, passed_over, flags, columns)


def _score_combos(combos: pl.DataFrame, program: Program) -> list[pl.Series]:
    """Risk score, band and band rank of each distinct combination of factor rows."""
    policy = program.policy
    risk = policy.scoring.risk
    names = list(policy.factors)
    scores: list[float] = []
    bands: list[str] = []
    for combo in combos.iter_rows():
        factors = {
            name: policy.factors[name][index].value
            for name, index in zip(names, combo, strict=True)
        }
        score = policy.risk_method.combine(factors)
        if risk.matrix is not None:
            band = policy.matrix_cells[factors[risk.matrix.rows], factors[risk.matrix.columns]]
        else:
            band = first_band(score, RiskLevel.names(worst_first=True), risk.bands, "blue")
        scores.append(float(score))
        bands.append(band)
    return [
        pl.Series("risk_score", scores, dtype=pl.Float64),
        pl.Series("band_level", bands, dtype=pl.String),
        pl.Series("__band_rank", [int(RiskLevel.from_name(b)) for b in bands], dtype=pl.Int64),
    ]
