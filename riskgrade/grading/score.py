"""Stage 6, score: findings -> duty score and grade; facts + findings -> risk score and level.

All arithmetic is decimal, so a score lands on the same side of a band boundary on every
platform. Factor tables are read top to bottom and the first row whose condition holds gives
the factor; a row whose condition is undecided for missing facts also counts as holding
(pessimistic), so that unknown facts never lower a risk score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from riskgrade.assessment import SEVERITY_ORDER, DutyGrade, Finding, RiskLevel, Score, TraceEvent
from riskgrade.check.checked import SCORING_FACTS, CheckedPolicy
from riskgrade.check.format import MatrixTable
from riskgrade.grading.findings import gap_messages, jsonable, missing_facts
from riskgrade.grading.program import Program
from riskgrade.i18n import SEPARATORS, t
from riskgrade.rules.expr import names_in
from riskgrade.scoring.bands import first_band
from riskgrade.scoring.checklist import capped, checklist_score

_LEVEL_SEVERITY = {"red": "major", "orange": "serious", "yellow": "minor", "blue": "minor"}


@dataclass(frozen=True)
class Grades:
    """What scoring one enterprise gives: the score, duty grade and risk level, the findings
    the scoring stage adds (overrides, factor and override data gaps, the risk level's own
    finding) and the factor and override trace."""

    score: Score
    duty_grade: DutyGrade
    risk_level: RiskLevel
    findings: list[Finding]
    trace: list[TraceEvent]
    env: Mapping[str, Any]
    """The facts plus the scoring facts (finding counts, duty score and grade)."""


def duty_grade(
    policy: CheckedPolicy, findings: list[Finding]
) -> tuple[Decimal, dict[str, float], DutyGrade]:
    """Checklist deductions: start minus each breached rule's deduction, graded by bands and
    capped by the worst violation's severity."""
    spec = policy.scoring.duty
    deductions: dict[str, float] = {}
    for finding in findings:
        if finding.kind == "violation" and finding.rule not in deductions:
            deductions[finding.rule] = finding.deduction
    score = checklist_score(spec.start, deductions)
    grade = first_band(score, DutyGrade.names(), spec.bands, "D")
    found = (f.severity for f in findings if f.kind == "violation")
    return score, deductions, DutyGrade(capped(grade, found, spec.caps))


def scoring_env(
    env: Mapping[str, Any], findings: list[Finding], duty_score: Decimal, duty: DutyGrade
) -> dict[str, Any]:
    """The facts factor tables and overrides read: the enterprise's plus counts of findings."""
    violations = [f for f in findings if f.kind == "violation"]
    counts = {
        "findings_major": sum(1 for f in violations if f.severity == "major"),
        "findings_serious": sum(1 for f in violations if f.severity == "serious"),
        "findings_minor": sum(1 for f in violations if f.severity == "minor"),
        "findings_total": len(violations),
        "data_gaps": sum(1 for f in findings if f.kind == "data_gap"),
        "duty_score": float(duty_score),
        "duty_grade": duty.value,
    }
    assert counts.keys() == SCORING_FACTS.keys()
    return {**env, **counts}


def grade(
    program: Program,
    env: Mapping[str, Any],
    findings: list[Finding],
    cleared: frozenset[str] = frozenset(),
) -> Grades:
    """Score one enterprise: duty grade, risk score, band level and overrides.

    ``cleared`` names overrides to treat as resolved (used to ask "what if" questions)."""
    policy = program.policy
    duty_score, deductions, duty = duty_grade(policy, findings)
    senv = scoring_env(env, findings, duty_score, duty)
    trace: list[TraceEvent] = []
    factors: dict[str, Decimal] = {}
    extra_findings: list[Finding] = []
    for name, rows in policy.factors.items():
        skipped: list[str] = []
        for row in rows:
            holds = program.closure(row.condition)(senv)
            if holds is None and row.unknown == "skip":
                row_reads = sorted(names_in(row.condition) & set(policy.schema))
                skipped += [m for m in missing_facts(policy, row_reads, env) if m not in skipped]
                continue
            if holds is None or holds:
                factors[name] = row.value
                trace.append(
                    TraceEvent.trusted(
                        stage="factor",
                        id=f"{name}={row.value}",
                        outcome="true" if holds else "unknown",
                        source=str(row.location),
                    )
                )
                break
        if skipped:  # reported, so that unknown facts never lower a factor silently
            extra_findings.append(_factor_gap(program, name, factors[name], skipped))
    risk_score = policy.risk_method.combine(factors)
    risk = policy.scoring.risk
    if risk.matrix is not None:
        band = policy.matrix_cells[factors[risk.matrix.rows], factors[risk.matrix.columns]]
    else:
        band = first_band(risk_score, RiskLevel.names(worst_first=True), risk.bands, "blue")
    level = RiskLevel.from_name(band)
    applied: list[str] = []
    for checked in policy.overrides:
        override = checked.override
        holds = program.closure(checked.condition)(senv)
        if holds is False or override.id in cleared:
            continue
        reads = sorted(names_in(checked.condition) & set(policy.schema))
        trace.append(
            TraceEvent.trusted(
                stage="override",
                id=override.id,
                outcome="true" if holds else "unknown",
                source=str(checked.location),
            )
        )
        evidence = {n: jsonable(env.get(n)) for n in reads}
        if holds is None:
            missing = missing_facts(policy, reads, env)
            extra_findings.append(
                _finding(
                    program,
                    override.id,
                    "data_gap",
                    "info",
                    override.basis,
                    gap_messages(override.message, missing),
                    evidence=evidence,
                    missing=missing,
                    source=str(checked.location),
                )
            )
            if override.unknown == "ignore":
                continue
        floor = RiskLevel.from_name(override.at_least)
        applied.append(override.id)
        extra_findings.append(
            _finding(
                program,
                override.id,
                "override",
                _LEVEL_SEVERITY[override.at_least],
                override.basis,
                {"zh": override.message.zh, "en": override.message.en},
                evidence=evidence,
                assumed=holds is None,
                source=str(checked.location),
            )
        )
        level = max(level, floor)
    triggers = policy.level_triggers.get(level.name.lower(), ())
    if any(c is None or program.closure(c)(senv) is not False for _, c in triggers):
        extra_findings.append(_risk_finding(program, level, factors, risk_score))
    score = Score.trusted(
        duty_score=float(duty_score),
        duty_start=float(policy.scoring.duty.start),
        deductions=deductions,
        risk_method=policy.risk_method.name,
        factors={k: float(v) for k, v in factors.items()},
        risk_score=float(risk_score),
        band_level=band,
        overrides=applied,
        tier=env.get("tier") if isinstance(env.get("tier"), str) else None,
    )
    return Grades(score, duty, level, extra_findings, trace, senv)


def matrix_cell(matrix: MatrixTable, factors: Mapping[str, Any]) -> str:
    """The cell a stated matrix is read at, for people: ``S=2, L=4``."""
    row, column = Decimal(str(factors[matrix.rows])), Decimal(str(factors[matrix.columns]))
    return f"{matrix.rows}={row.normalize():f}, {matrix.columns}={column.normalize():f}"


__all__ = ["SEVERITY_ORDER", "Grades", "duty_grade", "grade", "matrix_cell"]


def _finding(
    program: Program,
    rule: str,
    kind: str,
    severity: str,
    basis_ids: list[str],
    messages: dict[str, str],
    **extra: Any,
) -> Finding:
    """A finding of the scoring stage (duty "risk"), citing ``basis_ids``."""
    return Finding.trusted(
        rule=rule,
        kind=kind,  # type: ignore[arg-type]
        duty="risk",
        severity=severity,  # type: ignore[arg-type]
        basis=program.basis_text(basis_ids),
        bases=list(basis_ids),
        message=messages["zh"],
        messages=messages,
        **extra,
    )


def _risk_finding(
    program: Program, level: RiskLevel, factors: dict[str, Decimal], risk_score: Decimal
) -> Finding:
    """The risk level as a finding, so countermeasures it triggers can name their cause."""
    policy = program.policy
    matrix = policy.scoring.risk.matrix
    if matrix is not None:
        arithmetic = f"{policy.risk_method.name.upper()}: {matrix_cell(matrix, factors)}"
    else:
        product = " × ".join(f"{name}={value.normalize():f}" for name, value in factors.items())
        arithmetic = f"{policy.risk_method.name.upper()}: {product} = {risk_score.normalize():f}"
    messages = {
        lang: t("finding_risk_level", lang, label=level.label(lang), arithmetic=arithmetic)
        for lang in ("zh", "en")
    }
    evidence = {name: float(value) for name, value in factors.items()}
    return _finding(
        program,
        "risk_level",
        "risk",
        "info",
        policy.scoring.risk.basis,
        messages,
        evidence=evidence,
    )


def _factor_gap(program: Program, factor: str, value: Decimal, missing: list[str]) -> Finding:
    """A data gap: a factor row was passed over because its facts are unknown."""
    policy = program.policy
    shown = f"{value.normalize():f}"
    messages = {
        lang: t(
            "finding_factor_gap",
            lang,
            factor=factor,
            shown=shown,
            missing=SEPARATORS[lang].join(missing),
        )
        for lang in ("zh", "en")
    }
    return _finding(
        program,
        f"factor_{factor}",
        "data_gap",
        "info",
        policy.scoring.risk.basis,
        messages,
        evidence={},
        missing=missing,
    )
